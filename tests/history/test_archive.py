"""The archiver on a real day made through the API and its writer: what lands in PostgreSQL, idempotency,
verification, retention and stream trimming behind the archiver, and safety against a kill at each step."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.history.archive import Archiver, VerificationFailed
from api.history.models import ArchivedDay, BookingRow, ExecutedStop, Rider, ShiftRow, StatusChange
from api.history.redis_day import day_records
from api.history.riders import RiderPolicy, forget_rider
from api.keys import Keys
from api.timefmt import day_start

from .day import closed_after, settings

TABLES = ["riders", "bookings", "booking_status_changes", "legs", "shifts", "executed_stops", "positions",
          "cost_shares", "commands", "commits", "archived_days"]


def _archiver(redis, world, engine, history, step=None) -> Archiver:
    return Archiver(redis, settings(), world, engine, history, step=step)


def _dump(engine) -> dict[str, list]:
    """Every row of every history table (ordered), to compare whole database states."""
    with engine.connect() as conn:
        return {t: sorted((tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))), key=repr) for t in TABLES}


def test_a_real_day_lands_in_the_history(day_redis, world, history_engine, history_settings):
    made, redis = day_redis
    report = _archiver(redis, world, history_engine, history_settings).run_once(closed_after(made.day))
    assert report.archived == [f"all/{made.day}"]
    assert f"all/{made.open_day}" in report.waiting  # the next day is neither over nor settled
    with Session(history_engine) as s:
        bookings = {b.id: b for b in s.scalars(select(BookingRow))}
        assert {b: bookings[b].status for b in bookings} == {
            made.completed: "completed", made.no_show: "no_show", made.cancelled: "cancelled",
            made.rejected: "rejected"}
        ride = bookings[made.completed]
        assert (ride.picked_up_s, ride.dropped_off_s) == (10 * 3600 + 120, 10 * 3600 + 720)  # boarded, dropped
        assert ride.promised_pickup_start_s is not None and ride.promised_pickup_end_s > ride.promised_pickup_start_s
        assert ride.fare_yen == 100  # Tomioka's resident fare, one rider
        assert bookings[made.rejected].rejection_reason == "outside_service_hours"
        assert bookings[made.cancelled].cancel_reason == "illness"  # the reason code the desk gave
        assert bookings[made.cancelled].cancel_late is False
        mine = select(StatusChange).where(StatusChange.booking_id == made.completed).order_by(StatusChange.seq)
        trail = list(s.scalars(mine))
        assert [(c.op, c.ok) for c in trail if c.op not in ("status", "intake")] == [
            ("request", True), ("confirm", True), ("arrive", True), ("board", True), ("drop_off", True)]
        statuses = [c.status for c in trail if c.op == "status"]
        assert statuses[:2] == ["offered", "confirmed"] and statuses[-2:] == ["onboard", "completed"]
        assert set(statuses[2:-2]) <= {"assigned"}  # the engine's own changes are in the trail too
        assert all(a.at <= b.at for a, b in zip(trail, trail[1:], strict=False))
        refused = list(s.scalars(select(StatusChange).where(StatusChange.booking_id == made.rejected)
                                 .order_by(StatusChange.seq)))
        assert [(c.op, c.status, c.reason) for c in refused] == [
            ("intake", "requested", None), ("request", "requested", "outside_service_hours"),
            ("status", "rejected", "outside_service_hours")]
        stops = list(s.scalars(select(ExecutedStop).order_by(ExecutedStop.seq)))
        assert [(x.booking_id, x.kind) for x in stops] == [(made.completed, "pickup"), (made.completed, "dropoff")]
        assert stops[0].arrival_s == 10 * 3600 + 60 and stops[0].departure_s == 10 * 3600 + 120
        assert stops[0].promised_earliest_s == ride.promised_pickup_start_s
        shift = s.get(ShiftRow, ("all", ride.service_day, made.vehicle))
        assert (shift.started_s, shift.ended_s, shift.stops) == (8 * 3600, 17 * 3600, 2)
        assert shift.vehicle_km > 0
        km = s.execute(text("SELECT sum(vehicle_km) FROM cost_shares")).scalar()
        assert km == pytest.approx(s.execute(text("SELECT sum(vehicle_km) FROM shifts")).scalar())
        positions = s.execute(text("SELECT at_s FROM positions ORDER BY at_s")).scalars().all()
        assert positions == [9 * 3600 + 40 * 60, 9 * 3600 + 50 * 60]  # two reports at 09:40 sampled to one
        rider = s.scalars(select(Rider)).one()
        assert rider.rider_key == RiderPolicy("test-secret").key(made.rider_id) != made.rider_id
        assert rider.name is None and rider.phone is None  # Tomioka's rules (default) keep no personal data
        assert ride.rider_key == rider.rider_key
        keys = Keys(settings().key_prefix)
        stream = [json.loads(f["cmd"]) for _, f in redis.xrange(keys.booking_stream("all"))]
        stream += [json.loads(f["cmd"]) for _, f in redis.xrange(keys.vehicle_stream("all"))]
        commands = s.execute(text("SELECT count(*) FROM commands")).scalar()
        assert commands == sum(1 for c in stream if c["day"] == made.day and c["op"] != "position")
        record = s.get(ArchivedDay, ("all", ride.service_day))
        assert record.verified_at is not None and record.redis_trimmed_at is None
    assert redis.exists(keys.snapshot("all", made.day))  # inside the retention window Redis keeps the day


def test_archiving_twice_changes_nothing(day_redis, world, history_engine, history_settings):
    made, redis = day_redis
    archiver = _archiver(redis, world, history_engine, history_settings)
    archiver.run_once(closed_after(made.day))
    before = _dump(history_engine)
    again = archiver.run_once(closed_after(made.day))
    assert again.archived == [] and again.unchanged == [f"all/{made.day}"]
    assert _dump(history_engine) == before


def test_a_day_is_not_archived_before_it_is_closed(day_redis, world, history_engine, history_settings):
    made, redis = day_redis
    during = (day_start(made.day)).timestamp() + 20 * 3600
    report = _archiver(redis, world, history_engine, history_settings).run_once(during)
    assert report.archived == [] and "not over" in report.waiting[f"all/{made.day}"]
    late = closed_after(made.open_day)  # over, but one booking was confirmed and never driven
    report = _archiver(redis, world, history_engine, history_settings).run_once(late)
    assert "still open" in report.waiting[f"all/{made.open_day}"]
    assert made.open_booking in report.waiting[f"all/{made.open_day}"]
    with Session(history_engine) as s:
        assert s.scalar(select(BookingRow.id).where(BookingRow.id == made.open_booking)) is None


def test_retention_trims_redis_and_streams_behind_the_archiver(day_redis, world, history_engine, history_settings):
    made, redis = day_redis
    keys = Keys(settings().key_prefix)
    kept = replace(history_settings, retention_days=0)
    report = _archiver(redis, world, history_engine, kept).run_once(closed_after(made.day, hours=24))
    assert report.trimmed == [f"all/{made.day}"]
    assert not redis.exists(keys.snapshot("all", made.day))
    assert made.day not in redis.smembers(keys.days("all"))
    for booking_id in (made.completed, made.no_show, made.cancelled, made.rejected):
        assert not redis.exists(keys.booking(booking_id))
    assert not redis.zrange(keys.bookings_of_rider(made.rider_id), 0, -1)
    assert redis.exists(keys.rider(made.rider_id))  # riders stay: they book again
    # the open day is untouched, and so is every stream entry and commit of it
    assert redis.exists(keys.booking(made.open_booking)) and redis.exists(keys.snapshot("all", made.open_day))
    left = [json.loads(f["cmd"]) for _, f in redis.xrange(keys.booking_stream("all"))]
    left += [json.loads(f["cmd"]) for _, f in redis.xrange(keys.vehicle_stream("all"))]
    assert left and all(c["day"] == made.open_day for c in left)
    commits = [json.loads(f["versions"]) for _, f in redis.xrange(keys.commits("all"))]
    assert commits and all(made.open_day in v for v in commits)
    assert report.stream_entries_removed > 0
    with Session(history_engine) as s:  # what left Redis is all in the history
        assert s.execute(text("SELECT count(*) FROM bookings")).scalar() == 4
        assert s.get(ArchivedDay, ("all", day_start(made.day).date())).redis_trimmed_at is not None


class Crash(Exception):
    pass


@pytest.mark.parametrize("where", ["written", "before_verify", "redis_trimmed"])
def test_a_kill_at_any_step_is_completed_by_the_next_run(where, day_redis, world, history_engine,
                                                         history_settings):
    made, redis = day_redis
    keys = Keys(settings().key_prefix)
    kept = replace(history_settings, retention_days=0)
    now = closed_after(made.day, hours=24)

    def crash(step: str, area: str, day: str) -> None:
        if step == where:
            raise Crash(step)

    trails = sum(len(r["trail"]) + 1 for r in day_records(redis, keys, "all", made.day).values())  # + intake
    with pytest.raises(Crash):
        _archiver(redis, world, history_engine, kept, step=crash).run_once(now)
    with Session(history_engine) as s:
        record = s.get(ArchivedDay, ("all", day_start(made.day).date()))
        stored = s.execute(text("SELECT count(*) FROM bookings")).scalar()
    if where == "written":  # inside the transaction: nothing of the day was committed
        assert record is None and stored == 0
    else:
        assert stored == 4 and (record.verified_at is None) == (where == "before_verify")
    assert redis.exists(keys.snapshot("all", made.day)) == (where != "redis_trimmed")
    stream_before = redis.xlen(keys.booking_stream("all"))
    report = _archiver(redis, world, history_engine, kept).run_once(now)
    assert f"all/{made.day}" in report.trimmed
    assert redis.xlen(keys.booking_stream("all")) < stream_before  # the streams are cut after all
    with Session(history_engine) as s:
        record = s.get(ArchivedDay, ("all", day_start(made.day).date()))
        assert record.verified_at is not None and record.redis_trimmed_at is not None
        assert s.execute(text("SELECT count(*) FROM bookings")).scalar() == 4
        assert s.execute(text("SELECT count(*) FROM booking_status_changes")).scalar() == trails


def test_nothing_is_trimmed_when_postgres_does_not_hold_what_redis_holds(day_redis, world, history_engine,
                                                                          history_settings):
    made, redis = day_redis
    keys = Keys(settings().key_prefix)

    def lose_a_row(step: str, area: str, day: str) -> None:  # a row lost between writing and verifying
        if step == "before_verify":
            with history_engine.begin() as conn:
                conn.execute(text("DELETE FROM executed_stops WHERE seq = 1"))

    kept = replace(history_settings, retention_days=0)
    with pytest.raises(VerificationFailed, match="counts differ"):
        _archiver(redis, world, history_engine, kept, step=lose_a_row).run_once(closed_after(made.day, hours=24))
    assert redis.exists(keys.snapshot("all", made.day)) and redis.exists(keys.booking(made.completed))

    def change_a_time(step: str, area: str, day: str) -> None:
        if step == "before_verify":
            with history_engine.begin() as conn:
                conn.execute(text("UPDATE executed_stops SET arrival_s = arrival_s + 1 WHERE seq = 0"))

    with pytest.raises(VerificationFailed, match="checksum"):
        _archiver(redis, world, history_engine, kept, step=change_a_time).run_once(closed_after(made.day, hours=24))
    assert redis.exists(keys.snapshot("all", made.day))
    # an unverified day is written again from Redis: the next clean pass repairs it and only then trims
    report = _archiver(redis, world, history_engine, kept).run_once(closed_after(made.day, hours=24))
    assert report.archived == [f"all/{made.day}"] and report.trimmed == [f"all/{made.day}"]


def test_a_rider_is_deleted_from_the_history_on_request(day_redis, world, history_engine, history_settings):
    made, redis = day_redis
    allowed = replace(history_settings, pii_municipalities=frozenset({"10210"}))  # Tomioka allows personal data
    _archiver(redis, world, history_engine, allowed).run_once(closed_after(made.day))
    policy = RiderPolicy("test-secret")
    with Session(history_engine) as s:
        rider = s.get(Rider, policy.key(made.rider_id))
        assert (rider.name, rider.phone) == ("上州 花子", "0274-62-9999")
    with Session(history_engine) as s, s.begin():
        assert forget_rider(s, policy, rider_id=made.rider_id) == 1
    with Session(history_engine) as s:
        assert s.get(Rider, policy.key(made.rider_id)) is None
        ride = s.get(BookingRow, made.completed)
        assert ride.rider_key is None and ride.status == "completed"  # the trip still counts
        assert s.execute(text("SELECT count(*) FROM bookings")).scalar() == 4


def test_the_archive_command(day_redis, history_db, tmp_path):
    import os
    import subprocess
    import sys
    from datetime import datetime
    from pathlib import Path

    from api.timefmt import JST

    made, redis = day_redis
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "REDIS_URL": settings().redis_url, "KANRA_KEY_PREFIX": settings().key_prefix,
           "KANRA_HISTORY_URL": history_db, "KANRA_HISTORY_RIDER_SECRET": "test-secret"}
    now = datetime.fromtimestamp(closed_after(made.day, hours=24), JST).isoformat()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "api.archive", *args], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=300)

    for bad, needle in ((["--now", "yesterday"], "--now"), (["--retention-days", "-1"], "retention")):
        done = run(*bad)
        assert done.returncode == 2 and needle in done.stderr and "Traceback" not in done.stderr
    done = run("--now", now, "--retention-days", "0")
    assert done.returncode == 0, done.stderr
    assert "保存 archived 1" in done.stdout and "Redis から削除 trimmed 1" in done.stdout
    assert not redis.exists(Keys(settings().key_prefix).snapshot("all", made.day))
    again = run("--now", now, "--retention-days", "0")
    assert again.returncode == 0 and "保存 archived 0" in again.stdout
    forgot = run("--forget-rider", made.rider_id)
    assert forgot.returncode == 0 and "1 bookings unlinked" in forgot.stdout
    down = subprocess.run([sys.executable, "-m", "api.archive", "--now", now], cwd=repo, capture_output=True,
                          text=True, timeout=300,
                          env={**env, "KANRA_HISTORY_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"})
    assert down.returncode == 1 and "Traceback" not in down.stderr


def test_a_trimmed_day_that_comes_back_is_not_overwritten(day_redis, world, history_engine, history_settings):
    made, redis = day_redis
    keys = Keys(settings().key_prefix)
    kept = replace(history_settings, retention_days=0)
    snapshot = redis.hgetall(keys.snapshot("all", made.day))
    now = closed_after(made.day, hours=24)
    _archiver(redis, world, history_engine, kept).run_once(now)
    before = _dump(history_engine)
    # a late driver event re-creates the day in Redis: a snapshot without the booking records
    redis.hset(keys.snapshot("all", made.day), mapping=snapshot)
    redis.sadd(keys.days("all"), made.day)
    report = _archiver(redis, world, history_engine, kept).run_once(now)
    assert "came back" in report.waiting[f"all/{made.day}"]
    assert _dump(history_engine) == before


def test_the_worker_runs_the_archiver_on_its_schedule(day_redis, world, history_engine, history_settings):
    from api.history.archive import ArchiveSchedule
    from api.worker import Worker

    made, redis = day_redis
    worker = Worker(settings(), world, client=redis, name="history-test-worker")
    worker.archive = ArchiveSchedule(_archiver(redis, world, history_engine, history_settings), interval_s=3600,
                                     clock=lambda: closed_after(made.day))
    worker.run_once()
    assert worker.archive.last_report.archived == [f"all/{made.day}"]
    worker.archive.last_report = None
    worker.run_once()  # within the interval: no second pass
    assert worker.archive.last_report is None
    with Session(history_engine) as s:
        assert s.execute(text("SELECT count(*) FROM bookings")).scalar() == 4


def test_a_commit_after_verification_stops_the_trim(day_redis, world, history_engine, history_settings):
    made, redis = day_redis
    keys = Keys(settings().key_prefix)
    kept = replace(history_settings, retention_days=0)
    now = closed_after(made.day, hours=24)

    def late_commit(step: str, area: str, day: str) -> None:  # a writer commits to the day meanwhile
        if step == "before_verify":
            redis.hincrby(keys.snapshot(area, day), "version", 1)

    report = _archiver(redis, world, history_engine, kept, step=late_commit).run_once(now)
    assert report.archived == [f"all/{made.day}"] and report.trimmed == []
    assert redis.exists(keys.snapshot("all", made.day)) and redis.exists(keys.booking(made.completed))
    assert any(json.loads(f["cmd"])["day"] == made.day for _, f in redis.xrange(keys.booking_stream("all")))
    report = _archiver(redis, world, history_engine, kept).run_once(now)
    assert report.trimmed == [f"all/{made.day}"]
