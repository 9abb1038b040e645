"""The logs Redis keeps beside the days: the commit log is never cut ahead of the archiver (a day with more
commits than the old count cap is archived whole), and the staff audit log moves into the history behind
the retention window (idempotent, safe to kill between the insert and the trim)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.app import create_app
from api.history.archive import Archiver
from api.history.models import AuditEntry, CommitRow
from api.keys import Keys
from api.timefmt import day_start

from .day import DISP, at, closed_after, settings

OLD_CAP = 20  # the commit log used to be XADD MAXLEN ~ events_maxlen; a small cap shows the loss quickly
EVENTS = 160  # well past a whole stream node (100 entries) beyond the cap: approximate trimming cuts one


def test_a_day_with_more_commits_than_the_old_cap_is_archived_whole(day_redis, world, history_engine,
                                                                     history_settings):
    made, redis = day_redis
    small = settings().with_(events_maxlen=OLD_CAP)
    keys = Keys(small.key_prefix)
    vehicle = "tomioka-2" if made.vehicle != "tomioka-2" else "tomioka-3"
    with TestClient(create_app(small, world)) as client:
        events = [{"type": "shift_start", "at": at(made.day, "08:00")}]
        events += [{"type": "position", "lat": 36.2550 + i * 1e-5, "lon": 138.8899,
                    "at": f"{made.day}T08:{i // 60 + 1:02d}:{i % 60:02d}+09:00"} for i in range(EVENTS)]
        events.append({"type": "shift_end", "at": at(made.day, "12:00")})
        for event in events:
            response = client.post(f"/vehicles/{vehicle}/events", json=event, headers=DISP)
            assert response.status_code == 200, (event, response.text)
    version = int(redis.hget(keys.snapshot("all", made.day), "version"))
    logged = [json.loads(f["versions"]) for _, f in redis.xrange(keys.commits("all"))]
    assert len(logged) > OLD_CAP + 100 and version > EVENTS
    assert sorted(v[made.day] for v in logged if made.day in v) == list(range(1, version + 1))  # none cut

    report = Archiver(redis, small, world, history_engine, history_settings).run_once(closed_after(made.day))
    assert report.archived == [f"all/{made.day}"]
    with Session(history_engine) as s:
        versions = sorted(s.scalars(select(CommitRow.version).where(
            CommitRow.service_day == day_start(made.day).date())))
    assert versions == list(range(1, version + 1))  # every commit that wrote the day is in the history


def _entries(redis, prefix: str) -> list[tuple[str, dict[str, str]]]:
    return redis.xrange(audit.stream_key(prefix))


class Crash(Exception):
    pass


def test_the_audit_log_moves_to_the_history_behind_the_retention_window(day_redis, world, history_engine,
                                                                        history_settings):
    made, redis = day_redis
    prefix = settings().key_prefix
    kept = replace(history_settings, retention_days=0)
    now = closed_after(made.day, hours=24)  # cutoff: the day after made.day's next; every entry so far is older
    newer = audit.entry("desk-1", "rider.edited", "rd-later", at=now + 3600)
    redis.xadd(audit.stream_key(prefix), newer)
    before = _entries(redis, prefix)
    old = before[:-1]
    assert len(old) >= 8 and {f["action"] for _, f in old} >= {"booking.created", "booking.confirmed"}

    def crash(step: str, area: str, day: str) -> None:
        if step == "audit_written":
            raise Crash(step)

    with pytest.raises(Crash):  # killed after the insert, before the trim: the entries are in both
        Archiver(redis, settings(), world, history_engine, kept, step=crash).run_once(now)
    assert _entries(redis, prefix) == before
    report = Archiver(redis, settings(), world, history_engine, kept).run_once(now)
    assert report.audit_entries_moved == len(old)
    assert [i for i, _ in _entries(redis, prefix)] == [before[-1][0]]  # only the newer entry stays in Redis
    with Session(history_engine) as s:
        stored = {e.entry_id: e for e in s.scalars(select(AuditEntry))}
    assert sorted(stored) == sorted(i for i, _ in old)  # each once, none lost
    for entry_id, fields in old:
        row = stored[entry_id]
        assert (row.who, row.action, row.target, row.ok) == (fields["who"], fields["action"], fields["target"],
                                                              fields["ok"] == "1")
        assert row.before == json.loads(fields["before"]) and row.after == json.loads(fields["after"])
        assert row.at.timestamp() == pytest.approx(float(fields["at"]), abs=1e-3)
    again = Archiver(redis, settings(), world, history_engine, kept).run_once(now)
    assert again.audit_entries_moved == 0
    with Session(history_engine) as s:
        assert len(s.scalars(select(AuditEntry)).all()) == len(old)
