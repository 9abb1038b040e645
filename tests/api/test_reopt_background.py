"""The worker's background re-optimisation: a search found on an earlier copy of the day is published only if it
still fits the plans when it ends (real Redis; the child process is replaced by an in-process pool here)."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from api import reopt_search
from api.worker import Worker

from .conftest import at, key_header, tomorrow

OP, DISP, DRV = key_header("operator"), key_header("dispatcher"), key_header("driver")


class InlinePool:
    """Runs the child's search function here, at submit: its future is done at once."""

    broken = False

    def submit(self, *args) -> Future:
        future: Future = Future()
        future.set_result(reopt_search.search_day(*args))
        return future

    def close(self) -> None:
        pass


@pytest.fixture
def worker(settings, world, clean_redis, monkeypatch) -> Worker:
    monkeypatch.setattr(reopt_search, "_world", world)
    out = Worker(settings.with_(reopt_interval_s=3600.0, reopt_time_limit_s=1.0), world, client=clean_redis,
                 name="worker:background")
    out.pool = InlinePool()
    return out


def _moved_away(client, key: str) -> str:
    """A booking a dispatcher moved, unpinned, to a far vehicle: a re-optimisation brings it back."""
    body = {"pickup": {"place": "tomioka_city_hall"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(tomorrow(), "10:00")}
    bid = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": key}).json()["id"]
    client.post(f"/bookings/{bid}/confirm", headers=OP)
    moved = client.post("/dispatch/reassign", json={"booking_id": bid, "vehicle_id": "nanmoku-1", "pin": False},
                        headers=DISP)
    assert moved.status_code == 200, moved.text
    return bid


def test_a_search_is_published_after_an_event_that_leaves_its_plan_feasible(client, worker):
    bid = _moved_away(client, "bg-key-0001")
    job = worker.writer.start_reoptimise("all", tomorrow(), 1.0, worker.pool)
    # meanwhile a driver reports: the committed day moves on, the search's plan still fits
    start = client.post("/vehicles/tomioka-1/events", json={"type": "shift_start"}, headers=DRV)
    assert start.status_code == 200, start.text
    run = worker.writer.finish_reoptimise(job)
    assert run.status == "published" and run.result.moved == 1, run
    assert client.get(f"/bookings/{bid}", headers=OP).json()["vehicle_id"] != "nanmoku-1"


def test_a_search_is_discarded_when_a_booking_arrived_meanwhile(client, worker):
    bid = _moved_away(client, "bg-key-0002")
    job = worker.writer.start_reoptimise("all", tomorrow(), 1.0, worker.pool)
    body = {"pickup": {"place": "tomioka_general_hospital"}, "dropoff": {"place": "tomioka_city_hall"},
            "time": at(tomorrow(), "11:00")}
    assert client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": "bg-key-0003"}).status_code == 201
    run = worker.writer.finish_reoptimise(job)
    assert run.status == "discarded" and "planned while the solver ran" in run.reason, run
    assert client.get(f"/bookings/{bid}", headers=OP).json()["vehicle_id"] == "nanmoku-1"


def test_the_worker_loop_answers_a_dispatchers_request_from_its_background_search(client, worker):
    bid = _moved_away(client, "bg-key-0004")
    asked = client.post("/dispatch/reoptimise", json={"day": tomorrow(), "time_limit_s": 1}, headers=DISP).json()
    worker.run_once(wait=False)  # takes the request and starts the search
    assert client.get(asked["poll"], headers=DISP).json()["status"] == "running"
    worker.run_once(wait=False)  # the search is done: its plan is published and the request answered
    done = client.get(asked["poll"], headers=DISP).json()
    assert done["status"] == "done" and done["results"]["all"]["status"] == "published", done
    assert client.get(f"/bookings/{bid}", headers=OP).json()["vehicle_id"] != "nanmoku-1"


def test_while_searching_the_worker_leaves_fresh_commands_to_the_callers_process(client, worker, clean_redis):
    import json
    import time

    body = {"pickup": {"place": "tomioka_city_hall"}, "dropoff": {"place": "st:Joshu-Tomioka"},
            "time": at(tomorrow(), "10:00")}
    sent = client.post("/bookings", params={"mode": "async"}, json=body,
                       headers={**OP, "Idempotency-Key": "bg-key-0005"})
    assert sent.status_code == 202
    report = worker.writer.drain("all", leave_young_s=60.0)
    assert report.applied == 1  # nobody waits on an async booking: taken at once
    assert client.get(f"/bookings/{sent.json()['id']}", headers=OP).json()["status"] == "offered"
    stream = worker.keys.vehicle_stream("all")
    event = {"op": "start_shift", "vehicle_id": "tomioka-1", "day": tomorrow(), "at": time.time()}
    clean_redis.xadd(stream, {"cmd": json.dumps(event)})
    assert worker.writer.drain("all", leave_young_s=60.0).applied == 0  # an API process is applying it
    assert worker.writer.drain("all").applied == 1


def test_a_dead_search_child_is_replaced(client, worker, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    class DeadPool(InlinePool):
        closed = False

        def submit(self, *args) -> Future:
            raise BrokenProcessPool("the child was killed")

        def close(self) -> None:
            self.closed = True

    dead = DeadPool()
    worker.pool = dead
    monkeypatch.setattr(reopt_search, "SearchPool", lambda world: InlinePool())
    bid = _moved_away(client, "bg-key-0006")
    asked = client.post("/dispatch/reoptimise", json={"day": tomorrow(), "time_limit_s": 1}, headers=DISP).json()
    worker.run_once(wait=False)
    worker.run_once(wait=False)
    assert dead.closed and isinstance(worker.pool, InlinePool)
    assert client.get(asked["poll"], headers=DISP).json()["results"]["all"]["status"] == "published"
    assert client.get(f"/bookings/{bid}", headers=OP).json()["vehicle_id"] != "nanmoku-1"
