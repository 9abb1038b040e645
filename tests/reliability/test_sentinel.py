"""Failover with a real Sentinel: a primary, a replica and three sentinels on loopback (scripts/reliability).

The API and the worker connect through the sentinels (``redis+sentinel://``). The primary is killed under
booking load: the sentinels promote the replica, the API answers 503 with Retry-After (never 500) until it
can write again, the worker carries on against the new primary, and the audit finds every booking answered
2xx exactly once, no seat given twice and every plan valid. A second test shows the write a failover
loses with asynchronous replication (an acknowledged booking, gone) and that ``WAIT`` closes it; a third
that a fencing token the new primary hands out again does not let a stale writer commit. Slow variants:
the link to the primary cut instead of the process killed, and the scale-out layout (two API processes,
two workers partitioned by area) through the kill.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from reliability.audit import CommitLog
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


def _worker_commits_since(client, area: str, since_s: float) -> int:
    """Commits of the area a worker made after wall-clock ``since_s`` (epoch seconds)."""
    writers = CommitLog.read(client, PREFIX, area).writers(f"{int(since_s * 1000)}-0")
    return sum(n for name, n in writers.items() if name.startswith("worker:"))


def _through_failover(tmp_path: Path, credentials: Credentials, world, fault: str, apis: int = 1,
                      worker_areas: tuple[str, ...] = ("",), areas: str | None = None, rate: float = 5,
                      count: int = 110, duration_s: float = 26, seed: int = 17) -> str:
    """Bookings under load through one failover of the primary; asserts the books and returns the figures.

    ``fault``: ``kill`` (SIGKILL; a supervisor restarts the node as the new primary's replica) or ``cut``
    (the primary keeps running behind a proxy nobody gets through; the link comes back after the switch).
    ``worker_areas``: one worker per entry, ``--areas`` that entry ("" = every area).
    """
    with SentinelStack(tmp_path / "redis", through_proxy=fault == "cut") as stack:
        extra = {"KANRA_REDIS_WAIT_MS": "500", **({"KANRA_AREAS": areas} if areas else {})}
        env = stack_env(credentials, stack.url(), **extra)  # WAIT 1 replica: the default through Sentinel
        days = [day_after(1)]
        servers = [ApiServer(env, tmp_path / f"api-{i}.log").start() for i in range(apis)]
        workers = [Worker(env, tmp_path / f"worker-{i}.log", ["--areas", a] if a else None).start()
                   for i, a in enumerate(worker_areas)]
        try:
            for api in servers:
                api.wait_ready()
            load = BookingLoad([a.base_url for a in servers], credentials.keys["operator"], days, rate=rate,
                               count=count, duration_s=duration_s, mode="mixed", seed=seed)
            thread = load.start()
            wait_until(lambda: load.sent >= 20, 30, "first bookings sent")
            old_port = stack.master_port()
            fault_at, fault_wall = time.monotonic(), time.time()
            if fault == "kill":
                stack.primary.stop(signal.SIGKILL)
            else:
                stack.proxy.cut()
            new_port, switch_s = stack.wait_failover(old_port)
            assert new_port == stack.replica.port
            if fault == "kill":
                stack.restart_as_replica(stack.primary)  # what systemd + the node's start script would do
            else:
                stack.proxy.restore()  # the isolated primary is still a primary: the sentinels demote it
            stack.wait_replicas(1, timeout_s=40)
            rejoined_s = time.monotonic() - fault_at
            assert load.sent < load.count and thread.is_alive(), "the load ended before the failover"
            thread.join(150)
            client = stack.client()
            _assert_sound(client, days, load, world)
            result = load.result
            assert result.unavailable > 0, "no 503 seen during the failover"
            assert max(result.answered_at) > max(result.unavailable_at), "no booking answered after the 503s"
            for area in (a.split("=")[0] for a in areas.split(";")) if areas else ("all",):
                assert _worker_commits_since(client, area, fault_wall), f"no worker commit in {area} after failover"
            for worker in workers:
                assert worker.alive(), worker.log_text()[-3000:]
            outage = [t - fault_at for t in result.unavailable_at if t >= fault_at]
            summary = (f"{fault}: sentinels switched after {switch_s:.1f} s, old primary a replica after "
                       f"{rejoined_s:.1f} s; {result.unavailable} answers 503 (the last {max(outage):.1f} s after "
                       f"the fault); {len(result.accepted)} bookings, p50 {result.percentile(0.5) * 1000:.0f} ms, "
                       f"p99 {result.percentile(0.99) * 1000:.0f} ms")
            print("\n" + summary)
        finally:
            for service in [*workers, *servers]:
                service.stop()
    for service in [*workers, *servers]:
        assert "Traceback" not in service.log_text(), service.log_path
    return summary


@pytest.mark.slow
def test_primary_killed_under_load_the_replica_takes_over(tmp_path: Path, credentials: Credentials, world) -> None:
    """SIGKILL the primary mid-stream; the API answers 503 meanwhile, the worker carries on, books sound."""
    _through_failover(tmp_path, credentials, world, "kill")


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
    _through_failover(tmp_path, credentials, world, "cut", count=150, duration_s=35, seed=19)


@pytest.mark.slow
def test_scale_out_layout_through_a_failover(tmp_path: Path, credentials: Credentials, world) -> None:
    """Two API processes and two workers partitioned by area (scale_out.md) while the primary is killed."""
    _through_failover(tmp_path, credentials, world, "kill", apis=2, worker_areas=("west", "east"),
                      areas="west=10382,10383;east=10210,10384", count=150, duration_s=35, seed=23)


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


def test_waiting_for_a_replica_that_is_not_there_answers_writes_503_and_reads_as_usual(
        clean_redis, credentials: Credentials, settings: Settings, world) -> None:
    """One server and no replica, but ``KANRA_REDIS_WAIT_REPLICAS=1``: a booking is refused with 503 and
    ``Retry-After`` after the wait (not acknowledged), a read is answered at once; with 0 it is taken."""
    operator = credentials.header("operator")
    day = day_after(1)
    strict = settings.with_(redis_wait_replicas=1, redis_wait_ms=200)
    with TestClient(create_app(strict, world), raise_server_exceptions=False) as http:
        began = time.monotonic()
        refused = _book(http, "no-replica-0001", day, "10:00", operator)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "2", refused.text
        assert time.monotonic() - began >= 0.2
        assert refused.json()["detail"][0]["field"] == "service"
        assert "0 confirmed in 200 ms" in refused.json()["detail"][0]["reason"]
        assert http.get(f"/bookings?day={day}", headers=operator).status_code == 200
    with TestClient(create_app(settings, world), raise_server_exceptions=False) as http:
        again = _book(http, "no-replica-0001", day, "10:00", operator)  # the same key: the booking was kept
        assert again.status_code == 200, again.text
        assert again.json()["status"] in ("offered", "rejected")
