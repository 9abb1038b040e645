"""The dispatch worker and the single-writer protocol: async intake, restart, fencing, leadership."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from api.keys import Keys
from api.worker import Worker
from api.writer import AreaWriter, LostLease, _Batch

from .conftest import REDIS_URL, at, key_header, tomorrow

OP = key_header("operator")
REPO = Path(__file__).resolve().parents[2]
PLACES = ["tomioka_general_hospital", "st:Joshu-Tomioka", "tomioka_city_hall", "kanra_town_office",
          "st:Shimonita", "oz:富岡市/七日市", "oz:甘楽町/福島", "st:Joshu-Ichinomiya"]


def _async_bookings(client, n: int, prefix: str) -> list[str]:
    day = tomorrow()
    ids = []
    for i in range(n):
        body = {"pickup": {"place": PLACES[i % len(PLACES)]}, "dropoff": {"place": PLACES[(i * 3 + 1) % len(PLACES)]},
                "time": at(day, f"{9 + (i % 7):02d}:{(i * 7) % 60:02d}")}
        if body["pickup"] == body["dropoff"]:
            body["dropoff"] = {"place": "st:Joshu-Tomioka" if body["pickup"]["place"] != "st:Joshu-Tomioka"
                               else "tomioka_city_hall"}
        r = client.post("/bookings?mode=async", json=body, headers={**OP, "Idempotency-Key": f"{prefix}-{i:05d}"})
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "requested"
        ids.append(r.json()["id"])
    return ids


def _check_books(client, redis_client, settings, ids: list[str]) -> None:
    """Every booking answered exactly once; no booking on two vehicles; records agree with the engine."""
    keys = Keys(settings.key_prefix)
    day = tomorrow()
    records = {b: json.loads(redis_client.get(keys.booking(b))) for b in ids}
    assert all(r["status"] != "requested" for r in records.values()), [r["status"] for r in records.values()]
    plans = client.get("/dispatch/plans", params={"day": day, "route": False}, headers=key_header("dispatcher"))
    seen: dict[str, str] = {}
    for plan in plans.json()["plans"]:
        for stop in plan["stops"]:
            other = seen.setdefault(stop["booking_id"], plan["vehicle_id"])
            assert other == plan["vehicle_id"], f"{stop['booking_id']} on {other} and {plan['vehicle_id']}"
    offered = {b for b, r in records.items() if r["status"] == "offered"}
    assert offered == set(seen), "offered bookings and planned bookings differ"
    for b in offered:
        assert records[b]["offer"]["vehicle_id"] == seen[b]
    snapshot = json.loads(redis_client.hget(keys.snapshot("all", day), "data"))
    assert snapshot  # the state lives in Redis, not in a process
    stream = redis_client.xrange(keys.booking_stream("all"))
    assert len(stream) == len(ids)
    assert redis_client.hget(keys.cursor("all"), "bookings") == stream[-1][0]
    for entry_id, _ in stream:
        assert redis_client.exists(keys.result("all", entry_id)), f"no result for {entry_id}"


def test_async_intake_is_answered_by_the_worker(client, redis_client, settings, world):
    ids = _async_bookings(client, 12, "async")
    worker = Worker(settings, world, client=redis_client, name="test-worker")
    assert worker.run_once() == 12
    assert worker.run_once() == 0  # nothing is applied twice
    _check_books(client, redis_client, settings, ids)
    one = client.get(f"/bookings/{ids[0]}", headers=OP).json()
    assert one["offer"] or one["rejection"]


def test_second_worker_stands_by(client, redis_client, settings, world):
    _async_bookings(client, 2, "standby")
    leader = Worker(settings, world, client=redis_client, name="leader")
    standby = Worker(settings, world, client=redis_client, name="standby")
    assert leader.run_once() == 2
    _async_bookings(client, 1, "standby-more")
    assert standby.run_once() == 0 and standby.areas["all"].token is None
    assert leader.run_once() == 1


def test_stale_writer_cannot_commit_after_its_lease_expired(client, redis_client, settings, world):
    """A paused writer whose lease ran out is fenced off: its commit is refused and its state discarded."""
    _async_bookings(client, 2, "fence")
    quick = settings.with_(lock_ttl_ms=200)
    keys = Keys(settings.key_prefix)
    stale = AreaWriter(redis_client, keys, quick, world)
    token = stale.lease("all").acquire(1.0)
    pending = stale._pending("all")
    assert len(pending) == 2
    batch = _Batch()
    for entry_id, stream, command in pending:  # the stale writer applies the commands ...
        stale._apply_one("all", batch, entry_id, stream, command)
    time.sleep(0.35)  # ... then pauses ("GC pause") and its lease expires
    fresh = AreaWriter(redis_client, keys, settings, world)
    report = fresh.drain("all")
    assert report is not None and report.applied == 2 and report.fence > token
    with pytest.raises(LostLease):
        stale._commit("all", token, batch)
    version = int(redis_client.hget(keys.snapshot("all", tomorrow()), "version"))
    assert version == 1  # only the fresh writer's commit landed
    commits = redis_client.xrange(keys.commits("all"))
    assert [(c["writer"], int(c["fence"])) for _, c in commits] == [(fresh.name, report.fence)]


def _start_worker(settings) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": REDIS_URL, "KANRA_KEY_PREFIX": settings.key_prefix,
           "KANRA_LOCK_TTL_MS": "1500", "KANRA_REOPT_INTERVAL_S": "3600",
           "KANRA_WRITER_BATCH": "1", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "api.worker"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_worker_killed_mid_stream_loses_and_doubles_nothing(client, redis_client, settings):
    """SIGKILL a worker while bookings are in flight; a new worker rebuilds from Redis and finishes."""
    keys = Keys(settings.key_prefix)
    ids = _async_bookings(client, 40, "restart")
    worker = _start_worker(settings)
    try:
        answered = lambda: sum(  # noqa: E731
            json.loads(redis_client.get(keys.booking(b)))["status"] != "requested" for b in ids)
        assert _wait(lambda: answered() > 0, 30), worker.stderr.read() if worker.poll() is not None else "no progress"
        more = _async_bookings(client, 10, "restart-late")  # arrive while the first worker runs
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        at_kill = answered()
        assert 0 < at_kill < len(ids), "the kill should land with bookings in flight"
    finally:
        if worker.poll() is None:
            worker.kill()
    replacement = _start_worker(settings)
    try:
        everything = ids + more
        done = lambda: all(  # noqa: E731
            json.loads(redis_client.get(keys.booking(b)))["status"] != "requested" for b in everything)
        assert _wait(done, 60), "the restarted worker did not finish the stream"
    finally:
        replacement.send_signal(signal.SIGTERM)
        replacement.wait(10)
    _check_books(client, redis_client, settings, everything)


def test_workers_partitioned_by_area_stand_in_and_hand_back(settings, world, clean_redis):
    """Each worker leads its own area; a dead worker's area is taken over after its lease, then handed back."""
    split = settings.with_(areas={"west": ("10382", "10383"), "east": ("10210", "10384")}, lock_ttl_ms=300)
    keys = Keys(split.key_prefix)
    west = Worker(split, world, client=clean_redis, name="worker:west", areas=["west"])
    east = Worker(split, world, client=clean_redis, name="worker:east", areas=["east"])
    west.run_once()  # alone so far: west also stands in for east, which nobody claims yet
    assert clean_redis.get(keys.leader("east")).startswith("worker:west#")
    east.run_once()  # claims east
    west.run_once()  # sees the claim and hands east back
    east.run_once()
    assert clean_redis.get(keys.leader("west")).startswith("worker:west#")
    assert clean_redis.get(keys.leader("east")).startswith("worker:east#")
    east.run_once()  # west's worker claims its area: east stays out
    assert clean_redis.get(keys.leader("west")).startswith("worker:west#")

    time.sleep(0.4)  # west dies: its claim and lease run out
    east.run_once()
    assert clean_redis.get(keys.leader("west")).startswith("worker:east#")

    back = Worker(split, world, client=clean_redis, name="worker:west-2", areas=["west"])
    back.run_once()  # claims west; the lease is still east's
    east.run_once()  # east sees the claim and hands west back
    back.run_once()
    assert clean_redis.get(keys.leader("west")).startswith("worker:west-2#")
    assert clean_redis.get(keys.leader("east")).startswith("worker:east#")


class _FailingCommit:
    """A Redis client whose first transaction fails: before it reached Redis, or after (the reply is lost)."""

    def __init__(self, client, lands: bool) -> None:
        self._client = client
        self.lands = lands
        self.failed = False

    def pipeline(self, *args, **kwargs):
        pipe = self._client.pipeline(*args, **kwargs)
        real = pipe.execute

        def execute(*a, **k):
            if not self.failed and pipe.explicit_transaction:
                self.failed = True
                if self.lands:
                    real(*a, **k)
                raise redis.exceptions.ConnectionError("reply lost (injected)")
            return real(*a, **k)

        pipe.execute = execute
        return pipe

    def __getattr__(self, name):
        return getattr(self._client, name)


@pytest.mark.parametrize("lands", [False, True])
def test_a_failed_commit_leaves_no_half_applied_state(client, redis_client, settings, world, lands):
    ids = _async_bookings(client, 3, "lost-reply")
    flaky = _FailingCommit(redis_client, lands)
    writer = AreaWriter(flaky, Keys(settings.key_prefix), settings, world, name="worker:flaky")
    with pytest.raises(redis.exceptions.ConnectionError):
        writer.drain("all")
    # the engine in memory was dropped: the next pass starts from what Redis holds
    report = writer.drain("all")
    assert flaky.failed and report is not None and report.applied == (0 if lands else 3)
    records = [client.get(f"/bookings/{b}", headers=OP).json() for b in ids]
    assert all(r["status"] in ("offered", "rejected") and r["error"] is None for r in records), records
