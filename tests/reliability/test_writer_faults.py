"""The area writer when Redis fails under it mid-drain: a blip is not an engine bug, and an unsure commit
leaves no half-applied state behind. In-process, with a Redis client that fails exactly where told."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis
from reliability.audit import audit

from api.keys import Keys
from api.writer import AreaWriter, LostLease

from .conftest import at, day_after

PREFIX = "kt-rel"


class Blip:
    """Wraps a Redis client; the ``n``-th call of ``method`` fails with ConnectionError (once)."""

    def __init__(self, client: redis.Redis, method: str, n: int = 1, after_sending: bool = False) -> None:
        self._client = client
        self._method = method
        self._left = n
        self._after = after_sending
        self.fired = False

    def _trip(self) -> bool:
        if self.fired:
            return False
        self._left -= 1
        if self._left == 0:
            self.fired = True
            return True
        return False

    def pipeline(self, *args: Any, **kwargs: Any) -> Any:
        pipe = self._client.pipeline(*args, **kwargs)
        if self._method != "execute":
            return pipe
        blip = self
        real_execute = pipe.execute

        def execute(*a: Any, **k: Any) -> Any:
            if blip._trip():
                if blip._after:
                    real_execute(*a, **k)  # the commit lands; only its reply is lost
                raise redis.exceptions.ConnectionError("connection reset (injected)")
            return real_execute(*a, **k)

        pipe.execute = execute
        return pipe

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name != self._method or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._trip():
                raise redis.exceptions.ConnectionError("connection reset (injected)")
            return attr(*args, **kwargs)

        return call


def _queue(client, credentials, n: int) -> dict[str, str]:
    """``n`` bookings taken for the worker (async), not yet answered; key -> booking id."""
    places = ["st:Joshu-Tomioka", "tomioka_general_hospital", "tomioka_city_hall", "kanra_town_office"]
    accepted = {}
    for i in range(n):
        body = {"pickup": {"place": places[i % 4]}, "dropoff": {"place": places[(i + 1) % 4]},
                "time": at(day_after(1), f"{9 + i:02d}:00")}
        key = f"blip-{i:04d}"
        response = client.post("/bookings", params={"mode": "async"}, json=body,
                               headers={**credentials.header("operator"), "Idempotency-Key": key})
        assert response.status_code == 202, response.text
        accepted[key] = response.json()["id"]
    return accepted


def _drain_through(writer: AreaWriter) -> None:
    """Drain like the worker loop does: a Redis error aborts the pass, the next pass tries again."""
    for _ in range(5):
        try:
            writer.drain("all")
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            continue
        return


@pytest.mark.parametrize(
    ("method", "n", "after_sending"),
    [("get", 1, False),  # reading the first booking record fails
     ("get", 2, False),  # reading a later one fails
     ("execute", 1, False),  # the commit never reaches Redis
     ("execute", 1, True)],  # the commit lands, its reply is lost
)
def test_redis_blip_mid_drain_loses_and_doubles_nothing(client, credentials, clean_redis, settings, world,
                                                        method, n, after_sending):
    accepted = _queue(client, credentials, 3)
    blip = Blip(clean_redis, method, n, after_sending)
    writer = AreaWriter(blip, Keys(PREFIX), settings, world, name="worker:blip")
    _drain_through(writer)
    assert blip.fired, "the fault was not injected"
    report = audit(clean_redis, PREFIX, [day_after(1)], accepted=accepted, network=world.network)
    assert report.problems == [], report.summary() + "\n" + "\n".join(report.problems)
    for booking_id in accepted.values():
        booking = client.get(f"/bookings/{booking_id}", headers=credentials.header("operator")).json()
        assert booking["status"] == "offered" and booking["error"] is None, booking


class Slow:
    """Wraps a Redis client; every record read takes ``delay_s`` longer (a slow network, a loaded host)."""

    def __init__(self, client: redis.Redis, delay_s: float) -> None:
        self._client = client
        self._delay_s = delay_s

    def get(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(self._delay_s)
        return self._client.get(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_backlog_longer_than_the_lease_still_drains(client, credentials, clean_redis, settings, world):
    """40 commands at 20 ms each outlast a 300 ms lease: the writer must commit in time, not redo the batch
    (refused at commit) for ever."""
    accepted = _queue(client, credentials, 8) | _queue_more(client, credentials, 32)
    writer = AreaWriter(Slow(clean_redis, 0.02), Keys(PREFIX), settings.with_(lock_ttl_ms=300), world,
                        name="worker:slow")
    for _ in range(5):
        try:
            writer.drain("all", budget_s=30)
        except LostLease:
            continue
    report = audit(clean_redis, PREFIX, [day_after(1), day_after(2)], accepted=accepted, network=world.network)
    assert report.problems == [], report.summary() + "\n" + "\n".join(report.problems[:10])


def _queue_more(client, credentials, n: int) -> dict[str, str]:
    places = ["st:Joshu-Tomioka", "tomioka_general_hospital", "tomioka_city_hall", "kanra_town_office",
              "st:Shimonita", "nanokaichi_hospital"]
    accepted = {}
    for i in range(n):
        body = {"pickup": {"place": places[i % 6]}, "dropoff": {"place": places[(i + 2) % 6]},
                "time": at(day_after(2), f"{9 + i % 7:02d}:{(i * 11) % 60:02d}")}
        key = f"backlog-{i:04d}"
        response = client.post("/bookings", params={"mode": "async"}, json=body,
                               headers={**credentials.header("operator"), "Idempotency-Key": key})
        assert response.status_code == 202, response.text
        accepted[key] = response.json()["id"]
    return accepted


def test_days_gone_by_leave_the_writers_memory(client, credentials, clean_redis, settings, world):
    """A long-running worker drops the engines of past days; a day asked about again reloads from Redis."""
    accepted = _queue(client, credentials, 2)
    writer = AreaWriter(clean_redis, Keys(PREFIX), settings, world, name="worker:days")
    writer.drain("all")
    tomorrow = day_after(1)
    assert writer.view("all", tomorrow) is not None
    assert writer.forget_days_before(day_after(0)) == 0
    assert writer.forget_days_before(day_after(2)) == 1
    assert writer._cache == {} and writer._views == {}
    reloaded = writer.view("all", tomorrow)
    assert reloaded is not None and set(accepted.values()) <= set(reloaded.states())
    report = audit(clean_redis, PREFIX, [tomorrow], accepted=accepted, network=world.network)
    assert report.problems == []
