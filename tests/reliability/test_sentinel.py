"""Failover with a real Sentinel: a primary, a replica and three sentinels on loopback (scripts/reliability).

The API and the worker connect through the sentinels (``redis+sentinel://``). The primary is killed under
booking load: the sentinels promote the replica, the API answers 503 with Retry-After (never 500) until it
can write again, the worker carries on against the new primary, and the audit finds every booking answered
2xx exactly once, no seat given twice and every plan valid. A second test shows the write a failover
loses with asynchronous replication (an acknowledged booking, gone) and that ``WAIT`` closes it.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from reliability.load import BookingLoad
from reliability.sentinel import SentinelStack
from reliability.stack import ApiServer, Worker, wait_until

from api.app import create_app
from api.keys import Keys
from api.settings import Settings
from api.writer import AreaWriter, LostLease, _Batch

from .conftest import Credentials, at, day_after, stack_env
from .test_faults import _assert_sound

PREFIX = "kt"


def _worker_commits_since(client, area: str, since_s: float) -> list[dict]:
    """Entries of the area's commit log written by a worker after wall-clock ``since_s`` (epoch seconds)."""
    entries = client.xrange(Keys(PREFIX).commits(area), min=f"{int(since_s * 1000)}-0")
    return [fields for _, fields in entries if fields["writer"].startswith("worker:")]


def test_primary_killed_under_load_the_replica_takes_over(tmp_path: Path, credentials: Credentials, world) -> None:
    """SIGKILL the primary mid-stream; a supervisor restarts it, and it rejoins as the new primary's replica."""
    with SentinelStack(tmp_path / "redis") as stack:
        env = stack_env(credentials, stack.url(), KANRA_REDIS_WAIT_MS="500")  # WAIT 1: the default via Sentinel
        days = [day_after(1)]
        api = ApiServer(env, tmp_path / "api.log").start()
        worker = Worker(env, tmp_path / "worker.log").start()
        try:
            api.wait_ready()
            load = BookingLoad([api.base_url], credentials.keys["operator"], days, rate=5, count=110,
                               duration_s=26, mode="mixed", seed=17)
            thread = load.start()
            wait_until(lambda: load.sent >= 20, 30, "first bookings sent")
            old_port = stack.master_port()
            killed_at, killed_wall = time.monotonic(), time.time()
            stack.primary.stop(signal.SIGKILL)
            new_port, switch_s = stack.wait_failover(old_port)
            assert new_port == stack.replica.port
            stack.restart_as_replica(stack.primary)  # what systemd + the node's start script would do
            stack.wait_replicas(1)
            rejoined_s = time.monotonic() - killed_at
            assert load.sent < load.count and thread.is_alive(), "the load ended before the failover"
            thread.join(120)
            client = stack.client()
            _assert_sound(client, days, load, world)
            result = load.result
            assert result.unavailable > 0, "no 503 seen during the failover"
            assert max(result.answered_at) > max(result.unavailable_at), "no booking answered after the 503s"
            assert _worker_commits_since(client, "all", killed_wall), "the worker committed nothing after failover"
            assert worker.alive(), worker.log_text()[-3000:]
            outage = [t - killed_at for t in result.unavailable_at if t >= killed_at]
            print(f"\nfailover: sentinels switched after {switch_s:.1f} s, old primary back as replica after "
                  f"{rejoined_s:.1f} s; 503s {result.unavailable} (last {max(outage):.1f} s after the kill); "
                  f"{len(result.accepted)} bookings, p50 {result.percentile(0.5) * 1000:.0f} ms, "
                  f"p99 {result.percentile(0.99) * 1000:.0f} ms")
        finally:
            worker.stop()
            api.stop()
    logs = api.log_text() + worker.log_text()
    assert "Traceback" not in logs, logs[-3000:]


def _book(http: TestClient, key: str, day: str, hhmm: str, operator: dict[str, str]):
    body = {"pickup": {"place": "tomioka_general_hospital"}, "dropoff": {"place": "kanra_town_office"},
            "time": at(day, hhmm), "seats": 1}
    return http.post("/bookings", json=body, headers={**operator, "Idempotency-Key": key})


def _until_answered(call, timeout_s: float = 30.0):
    """Repeat ``call`` while it answers 503 (what a careful client does with Retry-After)."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = call()
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_failover_loses_an_acknowledged_booking_unless_the_answer_waits_for_the_replica(
        tmp_path: Path, credentials: Credentials, settings: Settings, world) -> None:
    """Replication held back (the replica's link cut), two bookings, then the primary killed.

    Without WAIT the booking is answered 201 from the primary alone and is gone after the failover. With
    ``KANRA_REDIS_WAIT_REPLICAS=1`` the same situation answers 503 + Retry-After; the client's retry with the
    same Idempotency-Key after the failover takes it on the new primary, and it is there exactly once.
    """
    keys = Keys(PREFIX)
    operator = credentials.header("operator")
    day = day_after(1)
    with SentinelStack(tmp_path / "redis", replication_proxy=True) as stack:
        base = settings.with_(redis_url=stack.url(), key_prefix=PREFIX, redis_wait_ms=500)
        with TestClient(create_app(base.with_(redis_wait_replicas=0), world), raise_server_exceptions=False) as fast, \
                TestClient(create_app(base.with_(redis_wait_replicas=1), world),
                           raise_server_exceptions=False) as safe:
            first = _book(safe, "before-the-cut", day, "10:00", operator)
            assert first.status_code == 201, first.text
            replica = stack.client(stack.replica.port)
            assert replica.get(keys.booking(first.json()["id"])) is not None  # WAIT: on the replica already

            stack.replication_proxy.cut()
            unsafe = _book(fast, "acked-by-primary-only", day, "11:00", operator)
            assert unsafe.status_code == 201, unsafe.text
            held = _book(safe, "held-until-replicated", day, "12:00", operator)
            assert held.status_code == 503 and held.headers["Retry-After"], held.text
            assert "replica" in held.json()["detail"][0]["reason"]

            old_port = stack.master_port()
            stack.primary.stop(signal.SIGKILL)
            stack.wait_failover(old_port)
            during = _book(safe, "held-until-replicated", day, "12:00", operator)
            assert during.status_code == 503, during.text  # the new primary has no replica yet: still held
            stack.restart_as_replica(stack.primary)
            stack.wait_replicas(1)

            lost = _until_answered(lambda: fast.get(f"/bookings/{unsafe.json()['id']}", headers=operator))
            assert lost.status_code == 404, "the booking acknowledged by the primary alone survived"
            retried = _until_answered(lambda: _book(safe, "held-until-replicated", day, "12:00", operator))
            assert retried.status_code in (200, 201), retried.text

        client = stack.client()
        ids = client.zrange(keys.bookings_of_day(day), 0, -1)
        assert first.json()["id"] in ids and retried.json()["id"] in ids
        assert unsafe.json()["id"] not in ids
        assert client.get(keys.idempotency("held-until-replicated")) == retried.json()["id"]
        records = [json.loads(r) for r in client.mget([keys.booking(b) for b in ids])]
        assert sorted(r["requested_time"] for r in records) == sorted({r["requested_time"] for r in records})
        assert len(ids) == 2


@pytest.mark.slow
def test_link_to_the_primary_cut_under_load(tmp_path: Path, credentials: Credentials, world) -> None:
    """The primary keeps running but nobody reaches it (sentinels, replica, API, worker: all via a proxy)."""
    with SentinelStack(tmp_path / "redis", through_proxy=True) as stack:
        env = stack_env(credentials, stack.url(), KANRA_REDIS_WAIT_MS="500")
        days = [day_after(1)]
        api = ApiServer(env, tmp_path / "api.log").start()
        worker = Worker(env, tmp_path / "worker.log").start()
        try:
            api.wait_ready()
            load = BookingLoad([api.base_url], credentials.keys["operator"], days, rate=5, count=150,
                               duration_s=35, mode="mixed", seed=19)
            thread = load.start()
            wait_until(lambda: load.sent >= 20, 30, "first bookings sent")
            old_port = stack.master_port()
            cut_wall = time.time()
            stack.proxy.cut()
            new_port, switch_s = stack.wait_failover(old_port)
            assert new_port == stack.replica.port
            # the isolated primary is still a primary; once the link is back the sentinels demote it
            stack.proxy.restore()
            stack.wait_replicas(1, timeout_s=40)
            thread.join(150)
            client = stack.client()
            _assert_sound(client, days, load, world)
            assert load.result.unavailable > 0
            assert _worker_commits_since(client, "all", cut_wall)
            print(f"\nlink cut: sentinels switched after {switch_s:.1f} s; 503s {load.result.unavailable}; "
                  f"{len(load.result.accepted)} bookings")
        finally:
            worker.stop()
            api.stop()
    logs = api.log_text() + worker.log_text()
    assert "Traceback" not in logs, logs[-3000:]


def test_a_fencing_token_issued_again_after_failover_is_not_the_stale_writers(clean_redis, settings: Settings,
                                                                               world) -> None:
    """The replica promoted may lack the last ``INCR`` of the fence counter and the lease: it hands the same
    token to the next writer. The stale holder of that token (same process name even) must not commit."""
    keys = Keys(settings.key_prefix)
    stale = AreaWriter(clean_redis, keys, settings, world, name="api:1@desk")
    token = stale.lease("all").acquire(1.0)
    assert token is not None
    clean_redis.delete(keys.lock("all"))  # what the promoted replica never received
    clean_redis.set(keys.fence("all"), token - 1)
    fresh = AreaWriter(clean_redis, keys, settings, world, name="api:1@desk")  # a restarted container
    assert fresh.lease("all").acquire(1.0) == token
    with pytest.raises(LostLease):
        stale._commit("all", token, _Batch())
    fresh._commit("all", token, _Batch())  # the lease's holder commits
