"""The single writer of a service area: applies stream commands to the day's engines and commits.

Both the API (synchronous offers on the phone) and the worker call :meth:`AreaWriter.drain`; whoever
holds the area lease applies every command after the area's cursor, in stream order, and commits the
dispatcher snapshots, the cursor, the booking records, the command results and the outbound events in
one ``MULTI`` guarded by ``WATCH`` on the lease (fencing). A command is therefore applied exactly once,
and a crash between apply and commit just means the next writer applies it again from the snapshot.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from redis import Redis, WatchError
from redis.exceptions import RedisError

from api import audit
from api.commands import BOOKING_OPS, DISPATCH_OPS, apply
from api.engine import BookingState, DayEngine
from api.history.trail import note_command, note_status
from api.keys import Keys
from api.lock import AreaLock
from api.record_sync import AUDIT_ACTIONS, audit_entry, follow_plan, state_events
from api.reopt_run import ReoptimisationRun
from api.settings import Settings
from api.timefmt import clock, epoch_seconds_on, today
from api.world import World

log = logging.getLogger(__name__)

STREAMS = ("bookings", "vehicles")


class LostLease(RuntimeError):
    """Our area lease expired or was taken over before we committed; nothing was written."""


def _entry_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class DayState:
    """A loaded engine of one (area, day), the snapshot version it reflects and its booking states."""

    version: int
    engine: DayEngine
    states: dict[str, BookingState]


@dataclass
class DrainReport:
    applied: int = 0
    batches: int = 0
    fence: int = 0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class SearchJob:
    """A re-optimisation running elsewhere: of which day, from which committed version, and its future."""

    area: str
    day: str
    version: int
    began: float
    future: Any  # concurrent.futures.Future of an api.reopt_search.Searched


@dataclass
class _Batch:
    """What one batch changes, gathered before the commit."""

    days: dict[str, DayState] = field(default_factory=dict)
    cursor: dict[str, str] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, str]] = field(default_factory=list)


class AreaWriter:
    """Loads, changes and commits the dispatchers of service areas (one per day and area).

    Parameters
    ----------
    redis
        Synchronous client with ``decode_responses=True``.
    name
        Who commits (recorded in the area's commit log, ``Keys.commits``).
    """

    def __init__(self, redis: Redis, keys: Keys, settings: Settings, world: World, name: str = "writer",
                 may_solve: bool = True) -> None:
        self.name = name  # "api:<host>:<pid>" or "worker:<host>:<pid>", recorded with each commit
        # the lease value names this writer, not just the token: after a failover the new primary may hand
        # a token we hold (its INCR was lost) to another writer, and our commit must still be refused
        self.holder = f"{name}~{secrets.token_hex(4)}"
        self.may_solve = may_solve  # False in API processes: no OR-Tools search there (the GIL would stall them)
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.world = world
        self._cache: dict[tuple[str, str], DayState] = {}
        self._views: dict[tuple[str, str], tuple[int, Any]] = {}
        self._guards: dict[str, threading.Lock] = {}
        self._guards_lock = threading.Lock()
        self._swept_on = ""  # service day of the last sweep of past days (see _sweep)

    def _guard(self, area: str) -> threading.Lock:
        with self._guards_lock:
            return self._guards.setdefault(area, threading.Lock())

    def lease(self, area: str) -> AreaLock:
        return AreaLock.writer(self.redis, self.keys, area, self.settings.lock_ttl_ms, self.holder)

    # ------------------------------------------------------------------ loading
    def _new_engine(self, area: str, day: str) -> DayEngine:
        ids = sorted(self.redis.smembers(self.keys.vehicles))
        raws = self.redis.mget([self.keys.vehicle(v) for v in ids]) if ids else []
        definitions = [json.loads(r) for r in raws if r]
        mine = [d for d in definitions if self.settings.area_of(d["municipality"]) == area]
        return self.world.new_engine(mine, day)

    def _committed(self, area: str, day: str) -> tuple[int, DayEngine | None]:
        """Version and engine of the last commit of (area, day); engine None when nobody booked the day yet."""
        version_raw, data, trips = self.redis.hmget(self.keys.snapshot(area, day), ["version", "data", "trips"])
        if not data:
            return int(version_raw or 0), None
        engine = self.world.restore_engine(json.loads(data), json.loads(trips) if trips else None, day)
        return int(version_raw or 0), engine

    def _load(self, area: str, day: str) -> DayState:
        """The (area, day) engine as last committed; reuses the cached object if nobody wrote since."""
        version = int(self.redis.hget(self.keys.snapshot(area, day), "version") or 0)
        cached = self._cache.get((area, day))
        if cached is not None and cached.version == version:
            return cached
        self._sweep()
        version, engine = self._committed(area, day)
        engine = engine if engine is not None else self._new_engine(area, day)
        state = DayState(version, engine, engine.states())
        self._cache[(area, day)] = state
        return state

    def view(self, area: str, day: str) -> DayEngine | None:
        """A read-only engine of the last committed state (for GET endpoints); None if the day is empty.

        Kept apart from the writer's objects so reads never see a half-applied command.
        """
        version = int(self.redis.hget(self.keys.snapshot(area, day), "version") or 0)
        cached = self._views.get((area, day))
        if cached is not None and cached[0] == version:
            return cached[1]
        self._sweep()
        version, engine = self._committed(area, day)
        if engine is None:
            return None
        self._views[(area, day)] = (version, engine)
        return engine

    def scratch_copy(self, area: str, day: str) -> DayEngine | None:
        """A new engine of the last committed state that the caller may change and throw away (a dry run)."""
        return self._committed(area, day)[1]

    def _sweep(self) -> None:
        """On the first load of each new service day, forget the days before it.

        The worker also forgets them at each re-optimisation round; an API process has no such round, and
        without this kept every day it was ever asked about (one engine and one read view each) until it
        was restarted. A past day asked about later is loaded again, and forgotten at the next day's sweep.
        """
        current = today()
        if current != self._swept_on:
            self._swept_on = current
            self.forget_days_before(current)

    def forget_days_before(self, day: str) -> int:
        """Drop cached engines and read views of service days before ``day``; returns how many days went.

        Only memory is freed: a day still asked about is loaded again from its committed snapshot.
        """
        stale = {key for key in [*list(self._cache), *list(self._views)] if key[1] < day}
        for key in stale:
            self._cache.pop(key, None)
            self._views.pop(key, None)
        return len(stale)

    def _invalidate(self, area: str, days: Any) -> None:
        for day in days:
            self._cache.pop((area, day), None)

    # ------------------------------------------------------------------ draining
    def drain(self, area: str, wait_s: float | None = None, budget_s: float = 2.0,
              leave_young_s: float = 0.0) -> DrainReport | None:
        """Apply every pending command of ``area``; None if another writer held the lease for ``wait_s``.

        ``leave_young_s``: stop before the first command younger than this (seconds since it was sent) that
        an API caller is waiting for (all but ``mode=async`` intake): that caller's process applies it.
        """
        wait_s = self.settings.lock_wait_s if wait_s is None else wait_s
        deadline = time.monotonic() + wait_s
        guard = self._guard(area)
        if not guard.acquire(timeout=wait_s):
            return None
        try:
            lease = self.lease(area)
            token = lease.acquire(max(0.0, deadline - time.monotonic()))
            if token is None:
                return None
            report = DrainReport(fence=token)
            try:
                stop = time.monotonic() + budget_s
                while True:
                    applied = self._drain_batch(area, token, report, leave_young_s)
                    if applied == 0 or time.monotonic() > stop:
                        break
                    if not lease.extend(token):
                        raise LostLease(f"lease of area {area} lost between batches")
            finally:
                lease.release(token)
            return report
        finally:
            guard.release()

    def _pending(self, area: str) -> list[tuple[str, str, dict[str, Any]]]:
        cursor = self.redis.hgetall(self.keys.cursor(area))
        streams = {"bookings": self.keys.booking_stream(area), "vehicles": self.keys.vehicle_stream(area)}
        entries: list[tuple[str, str, dict[str, Any]]] = []
        limit: tuple[int, int] | None = None
        size = self.settings.writer_batch
        for name, stream in streams.items():
            batch = self.redis.xrange(stream, min="(" + cursor.get(name, "0-0"), count=size)
            entries += [(entry_id, name, json.loads(fields["cmd"])) for entry_id, fields in batch]
            if len(batch) == size:  # more wait beyond: apply nothing past what both streams cover
                last = _entry_key(batch[-1][0])
                limit = last if limit is None else min(limit, last)
        entries.sort(key=lambda e: _entry_key(e[0]))
        if limit is not None:
            entries = [e for e in entries if _entry_key(e[0]) <= limit]
        return entries[:size]

    def _record(self, batch: _Batch, booking_id: str | None) -> dict[str, Any] | None:
        if booking_id is None:
            return None
        if booking_id not in batch.records:
            raw = self.redis.get(self.keys.booking(booking_id))
            if raw is None:
                return None
            batch.records[booking_id] = json.loads(raw)
        return batch.records[booking_id]

    def _drain_batch(self, area: str, token: int, report: DrainReport, leave_young_s: float = 0.0) -> int:
        entries = self._pending(area)
        if leave_young_s > 0:
            now = time.time()
            young = [n for n, (_, _, cmd) in enumerate(entries)
                     if not cmd.get("async") and now - float(cmd.get("at", 0)) < leave_young_s]
            entries = entries[:young[0]] if young else entries
        if not entries:
            return 0
        batch = _Batch()
        # Commit well inside the lease: a batch that outlasted it would be refused at commit, and the
        # next pass would redo the same batch and be refused again (no progress while commands are slow).
        commit_by = time.monotonic() + self.settings.lock_ttl_ms / 3000
        try:
            for index, (entry_id, stream, command) in enumerate(entries):
                if index > 0 and time.monotonic() > commit_by:
                    entries = entries[:index]  # the rest waits for the next batch, in stream order
                    break
                try:
                    self._apply_one(area, batch, entry_id, stream, command)
                except RedisError:
                    raise  # the store failed, not the command: nothing is skipped, the next pass retries
                except Exception:
                    # An engine bug, not a caller mistake: the dispatcher may be half-changed. Commit the
                    # entries before this one from a clean reload, then skip this one with an error result.
                    log.exception("command %s (%s) of area %s failed in the engine", entry_id, command.get("op"),
                                  area)
                    self._invalidate(area, batch.days)
                    if index > 0:
                        return self._replay(area, token, report, entries[:index])
                    skip = _Batch(cursor={stream: entry_id})
                    result = {"ok": False, "entry_id": entry_id, "booking_id": command.get("booking_id")}
                    skip.results[entry_id] = {**result, "error": "internal error while applying the command"}
                    self._commit(area, token, skip)
                    report.results.update(skip.results)
                    return 1
            self._sync_states(area, batch)
            self._commit(area, token, batch)
        except BaseException:
            # Whatever stopped us, the in-memory engines may hold uncommitted changes: drop them, so the
            # next pass starts again from the committed snapshot (a lost reply to a landed commit included).
            self._invalidate(area, batch.days)
            raise
        report.applied += len(entries)
        report.batches += 1
        report.results.update(batch.results)
        return len(entries)

    def _replay(self, area: str, token: int, report: DrainReport, entries: list) -> int:
        batch = _Batch()
        for entry_id, stream, command in entries:
            self._apply_one(area, batch, entry_id, stream, command)
        self._sync_states(area, batch)
        self._commit(area, token, batch)
        report.applied += len(entries)
        report.results.update(batch.results)
        return len(entries)

    def _apply_one(self, area: str, batch: _Batch, entry_id: str, stream: str, command: dict[str, Any]) -> None:
        day = command["day"]
        if day not in batch.days:
            batch.days[day] = self._load(area, day)
        booking_id = command.get("booking_id")
        record = self._record(batch, booking_id)
        before = audit.booking_summary(record)
        if command["op"] in DISPATCH_OPS:  # the vehicle's locked order before the change
            held = batch.days[day].engine.sequence_locks().get(command.get("vehicle_id"), [])
            before = {"vehicle_id": command.get("vehicle_id"), "locked": [list(item) for item in held]}
        outcome = apply(batch.days[day].engine, command, record)
        batch.cursor[stream] = entry_id
        batch.results[entry_id] = outcome.result(entry_id, booking_id)
        if record is not None and command["op"] in BOOKING_OPS:
            # a booking's own action: its outcome (and only that) sets the record's error. A driver's
            # event that is refused never writes onto the booking; what events change arrives via the plan.
            record.update(outcome.record_changes)
            if not outcome.ok:
                record["error"] = outcome.error
            elif "error" not in outcome.record_changes:
                record["error"] = None
            record["updated_at"] = command["at"]
            note_command(record, command, outcome)
            batch.dirty.add(booking_id)
        elif record is not None and command["op"] != "position" and outcome.ok:  # an event that happened
            record["updated_at"] = command["at"]
            note_command(record, command, outcome)
            batch.dirty.add(booking_id)
        if command["op"] in AUDIT_ACTIONS:
            batch.audit.append(audit_entry(command, record, before, outcome))
        for event in outcome.events:
            batch.events.append({**event, "booking_id": booking_id, "day": day, "area": area, "at": command["at"]})
        for trip_id, change in outcome.replans.items():
            self._replanned(batch, trip_id, change, command, area)

    def _replanned(self, batch: _Batch, trip_id: str, change: dict[str, Any], command: dict[str, Any],
                   area: str) -> None:
        """A trip a train delay or a missed connection re-planned: its record shows the new legs."""
        record = self._record(batch, trip_id)
        if record is None:
            return
        old = record.get("offer") or {}
        # the offer's hold still runs from when it was first made
        record["offer"] = {**change["offer"], "offered_at": old.get("offered_at", change["offer"]["offered_at"])}
        record["updated_at"] = command["at"]
        batch.dirty.add(trip_id)
        batch.events.append({"type": "replanned", "booking_id": trip_id, "cause": command["op"],
                             "legs": change["legs"], "at_risk": change["at_risk"], "day": command["day"],
                             "area": area, "at": command["at"]})

    def _sync_states(self, area: str, batch: _Batch) -> None:
        """Carry what any command changed (a re-plan, a re-optimisation, a delay) into the booking records.

        Status, vehicle, pin, and the offer's vehicle and expected times follow the current plan, so a
        record never shows a vehicle or a time the plan no longer has.
        """
        now = clock()
        for day, state in batch.days.items():
            now_states = state.engine.states()
            for booking_id, current in now_states.items():
                if state.states.get(booking_id) == current:
                    continue
                record = self._record(batch, booking_id)
                if record is None:
                    continue
                at = record.get("updated_at") if booking_id in batch.dirty else None
                if follow_plan(record, current):
                    record["updated_at"] = now
                    batch.dirty.add(booking_id)
                previous = state.states.get(booking_id)
                if previous is None or (previous.status, previous.vehicle_id) != (current.status, current.vehicle_id):
                    note_status(record, current.status, current.vehicle_id, at)
                    batch.dirty.add(booking_id)
                state_events(batch.events, record, state.states.get(booking_id), current, day, area)
            state.states = now_states
        for booking_id in batch.dirty:  # a rejected request never enters the dispatcher's books
            record = batch.records[booking_id]
            if record.get("rejection") and record["status"] == "requested":
                record["status"] = "rejected"
        for fields in batch.audit:
            record = batch.records.get(fields["target"])
            if record is not None:
                fields["after"] = json.dumps(audit.booking_summary(record), ensure_ascii=False)

    # ------------------------------------------------------------------ committing
    def _commit(self, area: str, token: int, batch: _Batch) -> None:
        lock_key = self.keys.lock(area)
        now = time.time()
        try:
            with self.redis.pipeline(transaction=True) as pipe:
                pipe.watch(lock_key)
                if pipe.get(lock_key) != f"{self.holder}#{token}":
                    raise LostLease(f"lease of area {area} is no longer ours (fence {token})")
                pipe.multi()
                if batch.days:
                    versions = {day: state.version + 1 for day, state in batch.days.items()}
                    # no count cap: the archiver needs every commit of a day it has not moved yet, and trims
                    # the log behind the days it has moved (api.history.redis_day.trim_streams)
                    pipe.xadd(self.keys.commits(area),
                              {"writer": self.name, "fence": token, "versions": json.dumps(versions)})
                for day, state in batch.days.items():
                    data, trips = state.engine.snapshot()
                    fields = {"data": json.dumps(data, ensure_ascii=False), "version": state.version + 1,
                              "fence": token, "updated_at": now}
                    if trips is not None:
                        fields["trips"] = json.dumps(trips, ensure_ascii=False)
                    pipe.hset(self.keys.snapshot(area, day), mapping=fields)
                    pipe.sadd(self.keys.days(area), day)
                if batch.cursor:
                    pipe.hset(self.keys.cursor(area), mapping=batch.cursor)
                for booking_id in batch.dirty:
                    record = batch.records[booking_id]
                    pipe.set(self.keys.booking(booking_id), json.dumps(record, ensure_ascii=False))
                for entry_id, result in batch.results.items():
                    pipe.set(self.keys.result(area, entry_id), json.dumps(result), ex=self.settings.result_ttl_s)
                for fields in batch.audit:  # append-only: moved to the history behind the retention window
                    pipe.xadd(audit.stream_key(self.keys.prefix), fields)
                for event in batch.events:
                    pipe.xadd(
                        self.keys.events,
                        {"type": event["type"], "data": json.dumps(event, ensure_ascii=False)},
                        maxlen=self.settings.events_maxlen,
                        approximate=True,
                    )
                pipe.execute()
        except (WatchError, LostLease) as exc:
            self._invalidate(area, batch.days)
            raise LostLease(f"commit of area {area} refused: {exc}") from exc
        except BaseException:
            self._invalidate(area, batch.days)  # unsure whether it landed: reload from Redis next time
            raise
        for day, state in batch.days.items():
            state.version += 1
            self._cache[(area, day)] = state

    # ------------------------------------------------------------------ re-optimisation
    def start_reoptimise(self, area: str, day: str, time_limit_s: float, pool: Any,
                         now_epoch: float | None = None) -> SearchJob | ReoptimisationRun:
        """Hand a re-optimisation of the day's committed plans to ``pool`` (:class:`api.reopt_search.SearchPool`).

        Returns at once: the running :class:`SearchJob` (finish it with :meth:`finish_reoptimise` once its
        future is done), or the run's outcome when there is nothing to search (``empty``).
        """
        if not self.may_solve:
            raise RuntimeError(f"writer {self.name} serves an API process: re-optimisation runs in the worker")
        began = time.monotonic()
        version_raw, data, trips = self.redis.hmget(self.keys.snapshot(area, day), ["version", "data", "trips"])
        if not data:
            return ReoptimisationRun("empty", "nobody has booked this day yet", seconds=time.monotonic() - began)
        now = epoch_seconds_on(day, time.time() if now_epoch is None else now_epoch)
        future = pool.submit(json.loads(data), json.loads(trips) if trips else None, day, now, time_limit_s)
        return SearchJob(area, day, int(version_raw or 0), began, future)

    def finish_reoptimise(self, job: SearchJob, now_epoch: float | None = None) -> ReoptimisationRun:
        """Publish a finished search's plan if it still fits the day as committed now (bookings and events
        may have changed it meanwhile: see :meth:`dispatch.online.dispatcher.Dispatcher.refit`).

        ``published``, ``unchanged`` (the search found nothing better), ``discarded`` (it no longer fits; the
        next round tries again), ``busy`` or ``failed`` (the child's search raised).

        Raises
        ------
        LostLease
            The area's write lease was lost before the commit landed.
        """
        area, day = job.area, job.day
        try:
            searched = job.future.result()
        except Exception as exc:  # the child died or its search raised: report it, the next round tries again
            log.error("re-optimisation search of %s/%s failed in the child: %r", area, day, exc)
            return ReoptimisationRun("failed", "internal error while re-optimising",
                                     seconds=time.monotonic() - job.began)

        def run(status: str, result: Any, reason: str = "") -> ReoptimisationRun:
            return ReoptimisationRun(status, reason or result.reason, result, time.monotonic() - job.began)

        if searched.orders is None:
            return run("unchanged", searched.result)
        for _ in range(3):  # restored and refitted outside the lease; committed only onto that very version
            version, engine = self._committed(area, day)
            if engine is None:
                return run("discarded", searched.result, "the day's plans are gone")
            before = engine.states()
            now = epoch_seconds_on(day, time.time() if now_epoch is None else now_epoch)
            result = engine.refit(searched.orders, now, searched.result)
            if not result.published:
                return run("discarded" if version != job.version else "unchanged", result)
            committed = self._commit_refit(area, day, DayState(version, engine, before))
            if committed is not None:
                if version != job.version:
                    log.info("re-optimisation of %s/%s adopted after the plans moved on (%d -> %d)", area, day,
                             job.version, version)
                return run(committed, result)
        return run("discarded", searched.result, "the plans kept changing while the found plan was checked")

    def _commit_refit(self, area: str, day: str, state: DayState) -> str | None:
        """Commit a refitted day if nobody wrote since it was loaded: "published", "busy", or None (moved on)."""
        guard = self._guard(area)
        if not guard.acquire(timeout=self.settings.lock_wait_s):
            return "busy"
        try:
            lease = self.lease(area)
            token = lease.acquire(self.settings.lock_wait_s)
            if token is None:
                return "busy"
            try:
                if int(self.redis.hget(self.keys.snapshot(area, day), "version") or 0) != state.version:
                    return None
                batch = _Batch(days={day: state})
                batch.events.append({"type": "plans", "day": day, "area": area, "at": time.time()})
                self._sync_states(area, batch)
                self._commit(area, token, batch)
                return "published"
            finally:
                lease.release(token)
        finally:
            guard.release()

    def reoptimise(self, area: str, day: str, time_limit_s: float, now_epoch: float | None = None) -> ReoptimisationRun:
        """Re-optimise a day's plans outside the lease, then commit only if nobody wrote meanwhile.

        Runs the OR-Tools search in this process, so only the worker calls it (an API process's writer is
        built with ``may_solve=False`` and refuses): the phone line never waits for the solver.

        Raises
        ------
        RuntimeError
            This writer may not run the solver (it serves an API process).
        """
        if not self.may_solve:
            raise RuntimeError(f"writer {self.name} serves an API process: re-optimisation runs in the worker")
        began = time.monotonic()
        version, engine = self._committed(area, day)
        if engine is None:
            return ReoptimisationRun("empty", "nobody has booked this day yet", seconds=time.monotonic() - began)
        before = engine.states()
        now = epoch_seconds_on(day, clock() if now_epoch is None else now_epoch)
        result = engine.reoptimise(now, time_limit_s=time_limit_s)

        def run(status: str, reason: str = "") -> ReoptimisationRun:
            return ReoptimisationRun(status, reason or result.reason, result, time.monotonic() - began)

        guard = self._guard(area)
        if not guard.acquire(timeout=self.settings.lock_wait_s):
            return run("busy", "the area's writer stayed busy; the next round tries again")
        try:
            lease = self.lease(area)
            token = lease.acquire(self.settings.lock_wait_s)
            if token is None:
                return run("busy", "the area's write lease stayed taken; the next round tries again")
            try:
                current = int(self.redis.hget(self.keys.snapshot(area, day), "version") or 0)
                if current != version:
                    log.info("re-optimisation of %s/%s discarded: state moved on (%d -> %d)", area, day, version,
                             current)
                    return run("discarded", "bookings or events changed the plans while the solver ran")
                batch = _Batch(days={day: DayState(version, engine, before)})  # committed either way: stats
                if result.published:
                    batch.events.append({"type": "plans", "day": day, "area": area, "at": clock()})
                self._sync_states(area, batch)
                self._commit(area, token, batch)
                return run("published" if result.published else "unchanged")
            finally:
                lease.release(token)
        finally:
            guard.release()
