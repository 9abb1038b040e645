"""Dispatch workers partitioned by service area: two workers on one machine, each owning one area.

Each area is processed by exactly one worker (its commit log names one writer); when a worker dies its area
is taken over by the other once the dead worker's lease has expired, and handed back when it returns.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import redis
from reliability.audit import CommitLog, audit
from reliability.stack import ApiServer, RedisServer, Worker, wait_until

from .conftest import Credentials, at, day_after, stack_env
from .test_faults import PREFIX, _settle

AREAS = "west=10382,10383;east=10210,10384"  # Shimonita + Nanmoku | Tomioka + Kanra
LEASE_MS = 2000
PICKUPS = {"west": ["st:Shimonita", "shimonita_kosei_hospital", "shimonita_town_office"],
           "east": ["st:Joshu-Tomioka", "tomioka_general_hospital", "kanra_town_office"]}
DROPOFF = {"west": "st:Joshu-Tomioka", "east": "tomioka_city_hall"}


def _book(http: httpx.Client, area: str, n: int, tag: str, day: str) -> dict[str, str]:
    """``n`` bookings picked up in ``area`` taken for the worker (async); key -> booking id."""
    accepted = {}
    for i in range(n):
        pickup = PICKUPS[area][i % 3]
        dropoff = DROPOFF[area] if pickup != DROPOFF[area] else "st:Joshu-Fukushima"
        body = {"pickup": {"place": pickup}, "dropoff": {"place": dropoff},
                "time": at(day, f"{9 + i % 7:02d}:{(i * 13) % 60:02d}")}
        key = f"{tag}-{area}-{i:04d}"
        response = http.post("/bookings", params={"mode": "async"}, json=body, headers={"Idempotency-Key": key})
        assert response.status_code == 202, response.text
        assert response.json()["area"] == area
        accepted[key] = response.json()["id"]
    return accepted


def _writers(client: redis.Redis, area: str, since: str = "0-0") -> set[str]:
    return set(CommitLog.read(client, PREFIX, area).writers(since))


def test_two_workers_partition_areas_and_take_over(tmp_path: Path, own_redis: RedisServer,
                                                    credentials: Credentials, world) -> None:
    env = stack_env(credentials, own_redis.url(), KANRA_AREAS=AREAS, KANRA_LOCK_TTL_MS=str(LEASE_MS))
    day = day_after(1)
    api = ApiServer(env, tmp_path / "api.log").start()
    west = Worker(env, tmp_path / "worker-west.log", ["--areas", "west"]).start()
    east = Worker(env, tmp_path / "worker-east.log", ["--areas", "east"]).start()
    client = redis.Redis.from_url(own_redis.url(), decode_responses=True)
    accepted: dict[str, str] = {}
    try:
        api.wait_ready()
        with httpx.Client(base_url=api.base_url, headers=credentials.header("operator"), timeout=30) as http:
            for area in ("west", "east"):
                accepted |= _book(http, area, 8, "first", day)
            _settle(client, [day], 60)
            west_name, east_name = f"worker:{west.pid}", f"worker:{east.pid}"
            assert {w.split("@")[0] for w in _writers(client, "west")} == {west_name}
            assert {w.split("@")[0] for w in _writers(client, "east")} == {east_name}

            # the west worker dies; its area waits out the lease, then the east worker takes it over
            west.kill()
            killed_ms = int(client.time()[0] * 1000 + client.time()[1] / 1000)
            mark = f"{killed_ms}-0"
            accepted |= _book(http, "west", 4, "orphan", day)
            _settle(client, [day], 60)
            takeover = CommitLog.read(client, PREFIX, "west")
            after = [(eid, w) for eid, _, w, _ in takeover.entries if int(eid.split("-")[0]) > killed_ms]
            assert after and {w.split("@")[0] for _, w in after} == {east_name}, after
            waited_ms = int(after[0][0].split("-")[0]) - killed_ms
            assert LEASE_MS - 300 <= waited_ms <= LEASE_MS + 10_000, waited_ms
            assert {w.split("@")[0] for w in _writers(client, "east", mark)} <= {east_name}

            # a new west worker comes back and gets its area back; east stays where it was
            west = Worker(env, tmp_path / "worker-west.log", ["--areas", "west"]).start()
            new_west = f"worker:{west.pid}"
            wait_until(lambda: (client.get(f"{PREFIX}:area:west:owner") or "").split("@")[0] == new_west, 60,
                       "west handed back")
            back = client.time()
            mark = f"{int(back[0] * 1000 + back[1] / 1000)}-0"
            time.sleep(0.2)
            accepted |= _book(http, "west", 3, "back", day)
            accepted |= _book(http, "east", 3, "back", day)
            _settle(client, [day], 60)
            assert {w.split("@")[0] for w in _writers(client, "west", mark)} == {new_west}
            assert {w.split("@")[0] for w in _writers(client, "east", mark)} == {east_name}
        for area in ("west", "east"):
            assert CommitLog.read(client, PREFIX, area).problems() == []
        report = audit(client, PREFIX, [day], accepted=accepted, areas=["west", "east"], network=world.network)
        assert report.problems == [], report.summary() + "\n" + "\n".join(report.problems[:20])
        assert report.bookings == len(accepted) == 26
    finally:
        for service in (west, east, api):
            service.stop()
