"""Two API processes and two dispatch workers on one Redis under a bounded load, with writers paused
(SIGSTOP) past their lease: exactly one writer per area at a time (fenced commits, consecutive snapshot
versions), no lost update, no booking answered twice or planned on two vehicles."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import redis
from reliability.audit import CommitLog, audit
from reliability.load import BookingLoad
from reliability.stack import ApiServer, RedisServer, Worker, wait_until

from .conftest import Credentials, day_after, stack_env
from .test_faults import PREFIX, _settle

LEASE_MS = 1500


def _pause(service: Worker, seconds: float) -> None:
    """Freeze a process (a long GC pause, a stalled VM) for longer than its lease, then let it go on."""
    service.proc.send_signal(signal.SIGSTOP)
    time.sleep(seconds)
    service.proc.send_signal(signal.SIGCONT)


def _cluster_run(tmp_path: Path, own_redis: RedisServer, credentials: Credentials, world, seconds: float,
                 rate: float, pauses: int) -> None:
    env = stack_env(credentials, own_redis.url(), KANRA_LOCK_TTL_MS=str(LEASE_MS), KANRA_REOPT_INTERVAL_S="5",
                    KANRA_REOPT_TIME_LIMIT_S="0.5")
    days = [day_after(1), day_after(2), day_after(3)]
    apis = [ApiServer(env, tmp_path / f"api-{i}.log").start() for i in range(2)]
    workers = [Worker(env, tmp_path / f"worker-{i}.log").start() for i in range(2)]
    try:
        for api in apis:
            api.wait_ready()
        load = BookingLoad([a.base_url for a in apis], credentials.keys["operator"], days, rate=rate,
                           count=int(rate * seconds), duration_s=seconds, concurrency=6, mode="mixed", seed=3)
        thread = load.start()
        for i in range(pauses):
            wait_until(lambda n=i: load.sent >= (n + 1) * load.count // (pauses + 2), seconds, "load progress")
            _pause(workers[i % 2], 2 * LEASE_MS / 1000)
        thread.join(seconds + 120)
        client = redis.Redis.from_url(own_redis.url(), decode_responses=True)
        result = load.result
        assert result.errors == [] and result.gave_up == [], (result.errors[:5], result.gave_up[:5])
        assert len(result.accepted) == load.sent == load.count
        _settle(client, days)
        report = audit(client, PREFIX, days, accepted=result.accepted, network=world.network)
        assert report.problems == [], report.summary() + "\n" + "\n".join(report.problems[:20])
        assert report.statuses["confirmed"] + report.statuses["assigned"] > 0
        log = CommitLog.read(client, PREFIX, "all")
        assert log.problems() == [], log.problems()[:10]
        writers = log.writers()
        assert sum(1 for w in writers if w.startswith("api")) == 2, writers  # both API processes wrote ...
        assert any(w.startswith("worker") for w in writers), writers  # ... and a worker, one at a time
    finally:
        for service in [*workers, *apis]:
            service.stop()
    for service in [*workers, *apis]:
        assert "Traceback" not in service.log_text(), service.log_path


@pytest.mark.slow
def test_two_apis_two_workers_short(tmp_path: Path, own_redis: RedisServer, credentials: Credentials, world) -> None:
    _cluster_run(tmp_path, own_redis, credentials, world, seconds=15, rate=6, pauses=1)


@pytest.mark.slow
def test_two_apis_two_workers_minutes(tmp_path: Path, own_redis: RedisServer, credentials: Credentials,
                                      world) -> None:
    _cluster_run(tmp_path, own_redis, credentials, world, seconds=240, rate=4, pauses=6)
