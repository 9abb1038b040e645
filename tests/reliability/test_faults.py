"""Faults while bookings stream in: the worker killed and restarted, Redis crashed and restarted from its
AOF, the link to Redis cut for seconds. After each, the books are audited: every booking answered 2xx is
there exactly once, no seat is given twice, every plan passes our validator, nothing was left unanswered;
and while Redis was away the API answered 503 with Retry-After, never 500.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
import redis
from reliability.audit import audit
from reliability.load import BookingLoad
from reliability.stack import ApiServer, RedisServer, TcpProxy, Worker, wait_until

from api.keys import Keys

from .conftest import Credentials, day_after, stack_env

PREFIX = "kt"


def _answered(client: redis.Redis, days: list[str]) -> tuple[int, int]:
    """(bookings answered, bookings taken) of ``days``."""
    keys = Keys(PREFIX)
    ids = [b for d in days for b in client.zrange(keys.bookings_of_day(d), 0, -1)]
    raws = client.mget([keys.booking(b) for b in ids]) if ids else []
    return sum(r is not None and json.loads(r)["status"] != "requested" for r in raws), len(ids)


def _settle(client: redis.Redis, days: list[str], timeout_s: float = 90.0) -> None:
    """Wait until no booking of ``days`` is still waiting for its answer."""
    wait_until(lambda: (lambda a, n: a == n)(*_answered(client, days)), timeout_s, "every booking answered")


def _assert_sound(client: redis.Redis, days: list[str], load: BookingLoad, world) -> None:
    result = load.result
    assert result.errors == [], result.errors[:5]
    assert result.gave_up == [], f"{len(result.gave_up)} bookings never got an answer: {result.gave_up[:5]}"
    assert len(result.accepted) == load.sent
    _settle(client, days)
    report = audit(client, PREFIX, days, accepted=result.accepted, network=world.network)
    assert report.problems == [], report.summary() + "\n" + "\n".join(report.problems[:20])
    assert report.bookings == len(result.accepted)


@pytest.mark.slow
def test_worker_killed_and_restarted_while_bookings_stream_in(tmp_path: Path, own_redis: RedisServer,
                                                              credentials: Credentials, world) -> None:
    """SIGKILL the worker twice mid-stream (async intake: the worker does all the dispatching)."""
    env = stack_env(credentials, own_redis.url())
    days = [day_after(1), day_after(2)]
    api = ApiServer(env, tmp_path / "api.log").start()
    worker = Worker(env, tmp_path / "worker.log").start()
    try:
        api.wait_ready()
        load = BookingLoad([api.base_url], credentials.keys["operator"], days, rate=8, count=60, duration_s=30,
                           mode="async", seed=7)
        thread = load.start()
        client = redis.Redis.from_url(own_redis.url(), decode_responses=True)
        for _ in range(2):  # kill the worker, then kill its replacement once it has done some work
            target = _answered(client, days)[0] + 5
            wait_until(lambda t=target: _answered(client, days)[0] >= t, 60, "the worker answering bookings")
            worker.kill()
            worker = Worker(env, tmp_path / "worker.log").start()
        assert load.sent < load.count, "the load ended before the faults"
        thread.join(90)
        _assert_sound(client, days, load, world)
    finally:
        worker.stop()
        api.stop()
    assert "Traceback" not in worker.log_text() + api.log_text()


@pytest.mark.slow
def test_redis_crash_and_restart_from_aof(tmp_path: Path, own_redis: RedisServer, credentials: Credentials,
                                          world) -> None:
    """Crash Redis (SIGKILL) mid-run and restart it from its append-only file after 2 s."""
    env = stack_env(credentials, own_redis.url())
    days = [day_after(1), day_after(2)]
    api = ApiServer(env, tmp_path / "api.log").start()
    worker = Worker(env, tmp_path / "worker.log").start()
    try:
        api.wait_ready()
        load = BookingLoad([api.base_url], credentials.keys["operator"], days, rate=6, count=70, duration_s=40,
                           seed=11)
        thread = load.start()
        wait_until(lambda: load.sent >= 20, 30, "first bookings sent")
        own_redis.restart(signal.SIGKILL, down_s=2.0)
        thread.join(120)
        assert load.result.unavailable > 0, "no 503 seen while Redis was down"
        client = redis.Redis.from_url(own_redis.url(), decode_responses=True)
        _assert_sound(client, days, load, world)
    finally:
        worker.stop()
        api.stop()
    assert "Traceback" not in api.log_text()


def test_link_to_redis_cut_for_seconds(tmp_path: Path, own_redis: RedisServer, credentials: Credentials,
                                       world) -> None:
    """Cut the TCP link between the API/worker and Redis for 3 s while bookings stream in."""
    with TcpProxy(own_redis.port) as proxy:
        env = stack_env(credentials, proxy.url())
        days = [day_after(1)]
        api = ApiServer(env, tmp_path / "api.log").start()
        worker = Worker(env, tmp_path / "worker.log").start()
        try:
            api.wait_ready()
            load = BookingLoad([api.base_url], credentials.keys["operator"], days, rate=6, count=50, duration_s=30,
                               seed=5)
            thread = load.start()
            wait_until(lambda: load.sent >= 12, 30, "first bookings sent")
            proxy.cut()
            cut_at = time.monotonic()
            wait_until(lambda: load.result.unavailable > 0, 10, "a 503 while the link is down")
            time.sleep(max(0.0, 3.0 - (time.monotonic() - cut_at)))
            proxy.restore()
            thread.join(120)
            client = redis.Redis.from_url(own_redis.url(), decode_responses=True)
            _assert_sound(client, days, load, world)
        finally:
            worker.stop()
            api.stop()
    assert "Traceback" not in api.log_text()


REFUSALS = {
    # Redis full: the production config's noeviction policy refuses writes (OOM)
    "out of memory": (lambda r: r.config_set("maxmemory", int(r.info("memory")["used_memory"]) + 4096),
                      lambda r: r.config_set("maxmemory", 0)),
    # our primary was demoted in a failover: writes answer READONLY until a primary is back
    "demoted to replica": (lambda r: r.replicaof("127.0.0.1", 1), lambda r: r.replicaof("NO", "ONE")),
    # a primary that lost its replicas refuses writes (min-replicas-to-write)
    "no replicas": (lambda r: r.config_set("min-replicas-to-write", 1),
                    lambda r: r.config_set("min-replicas-to-write", 0)),
}


def test_redis_refusing_writes_is_503_and_the_worker_survives(tmp_path: Path, own_redis: RedisServer,
                                                              credentials: Credentials, world) -> None:
    """Redis up but refusing writes (full, demoted, no replicas) for 2 s each while bookings stream in."""
    env = stack_env(credentials, own_redis.url())
    days = [day_after(1)]
    api = ApiServer(env, tmp_path / "api.log").start()
    worker = Worker(env, tmp_path / "worker.log").start()
    admin = redis.Redis.from_url(own_redis.url(), decode_responses=True)
    try:
        api.wait_ready()
        load = BookingLoad([api.base_url], credentials.keys["operator"], days, rate=6, count=60, duration_s=30,
                           mode="mixed", seed=13)
        thread = load.start()
        for refuse, allow in REFUSALS.values():
            wait_until(lambda n=load.sent: load.sent >= n + 6, 30, "bookings flowing")
            seen = load.result.unavailable
            refuse(admin)
            try:
                wait_until(lambda s=seen: load.result.unavailable > s, 10, "a 503 while Redis refuses writes")
                time.sleep(1.0)
            finally:
                allow(admin)
        thread.join(120)
        assert worker.alive(), worker.log_text()[-3000:]
        _assert_sound(admin, days, load, world)
    finally:
        worker.stop()
        api.stop()
    assert "Traceback" not in api.log_text() + worker.log_text()
