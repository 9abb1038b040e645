"""The dispatch worker: ``python -m api.worker [--areas west,east]``.

Per service area it holds a leader lease (so one worker is active and others stand by), applies the
commands on the area's booking and vehicle-event streams (bookings taken with ``mode=async``, commands
whose API call timed out, driver events), runs the re-optimisations dispatchers ask for
(:mod:`api.reopt_requests`; no solver search ever runs in an API process) and re-optimises the open days
periodically; the searches run in a child process (:mod:`api.reopt_search`), so commands keep being
applied while OR-Tools works, and a search's plan is published only if it still fits. All writes go
through :class:`api.writer.AreaWriter` under the area's write lease with fencing, so a second worker or
an API process writing at the same time is safe. It keeps nothing it could not rebuild: on (re)start
it loads the dispatcher snapshots and the stream cursors from Redis and carries on after the cursor.

Workers may be partitioned by area (``--areas``): a worker leads its own areas and keeps a claim on them;
it stands in for another area only while nobody claims it (its worker died: after that worker's lease
ran out) and hands it back as soon as that area's worker claims it again.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field

import redis

from api import reopt_requests
from api.errors import store_refused
from api.keys import Keys
from api.lock import AreaLock
from api.privacy import install_pii_filter
from api.redis_client import sync_client
from api.reopt_run import ReoptimisationRun
from api.settings import Settings, SettingsError
from api.timefmt import today
from api.world import World, load_fleet_file
from api.writer import AreaWriter, LostLease, SearchJob

log = logging.getLogger("api.worker")


@dataclass
class Search:
    """A re-optimisation searching in the child process: its job, and the dispatcher's request it answers."""

    job: SearchJob
    request: tuple[str, dict] | None  # (request id, meta); None for the periodic round
    began: float  # Unix seconds


@dataclass
class AreaRole:
    """This worker's standing in one area: the leader token while it leads, the search under way."""

    lease: AreaLock
    token: int | None = None
    last_reopt: float = field(default_factory=time.monotonic)
    search: Search | None = None
    due_days: list[str] = field(default_factory=list)  # the periodic round's days still to search


class Worker:
    """Drains and re-optimises every configured service area it leads."""

    def __init__(self, settings: Settings, world: World, client: redis.Redis | None = None,
                 name: str | None = None, areas: list[str] | None = None) -> None:
        self.settings = settings
        self.keys = Keys(settings.key_prefix)
        self.redis = client or sync_client(settings.redis_url, decode_responses=True, socket_timeout=10)
        self.name = name or f"worker:{os.getpid()}@{socket.gethostname()}"
        self.writer = AreaWriter(self.redis, self.keys, settings, world, name=self.name)
        unknown = sorted(set(areas or ()) - set(settings.areas))
        if unknown:
            raise SettingsError(f"unknown area(s) {', '.join(unknown)}; areas: {', '.join(settings.areas)}")
        self.own = frozenset(areas or settings.areas)
        self.areas = {a: AreaRole(AreaLock.leader(self.redis, self.keys, a, settings.lock_ttl_ms, self.name))
                      for a in settings.areas}
        self.stop = threading.Event()
        self.pool = None  # an api.reopt_search.SearchPool, forked on the first search in the background
        self.applied = 0
        self.archive = None  # an api.history.archive.ArchiveSchedule when KANRA_ARCHIVE_INTERVAL_S is set
        self.standing = None  # an api.standing_schedule.StandingSchedule (KANRA_STANDING_INTERVAL_S)
        # renew the lease often: a stand-in takes an area over only once this lease has run out after a death
        self.beat_s = max(0.05, min(settings.lock_ttl_ms / 3000, 0.25))

    def _claim_own(self) -> None:
        with self.redis.pipeline(transaction=False) as pipe:
            for area in self.own:
                pipe.set(self.keys.claim(area), self.name, px=self.settings.lock_ttl_ms)
            pipe.execute()

    def _claimed_by_other(self, area: str) -> bool:
        if area in self.own:
            return False
        claimant = self.redis.get(self.keys.claim(area))
        return claimant is not None and claimant != self.name

    def seed_fleet(self) -> None:
        if not self.redis.scard(self.keys.vehicles):
            for definition in load_fleet_file(self.settings.fleet_file):
                self.redis.set(self.keys.vehicle(definition["id"]), json.dumps(definition, ensure_ascii=False))
                self.redis.sadd(self.keys.vehicles, definition["id"])

    def _lead(self, area: str, role: AreaRole) -> bool:
        if self._claimed_by_other(area):  # its own worker is (back) up: stand aside
            if role.token is not None:
                role.lease.release(role.token)
                role.token = None
                log.info("worker %s handed area %s back", self.name, area)
            return False
        if role.token is not None and role.lease.extend(role.token):
            return True
        was_leader = role.token is not None
        role.token = role.lease.try_acquire()
        if role.token is not None:
            log.info("worker %s leads area %s (fence %d)", self.name, area, role.token)
        elif was_leader:
            log.warning("worker %s lost the lead of area %s", self.name, area)
        return role.token is not None

    def run_once(self, wait: bool = True) -> int:
        """One pass over the areas this worker leads; returns how many commands and requests it served.

        ``wait``: re-optimisations run here, to the end, within the pass (``--once``, tests). Otherwise (the
        :meth:`run` loop) they search in a child process while later passes keep applying commands, and a
        pass publishes a search's plan once it is done (if the plans did not move on so that it no longer fits).
        """
        applied = served = 0
        self._claim_own()
        for area, role in self.areas.items():
            if not self._lead(area, role):
                continue
            # while this area's search runs in the background, commands an API process is applying for its
            # caller right now are left to it (the phone desk must not wait for this worker)
            young = self.settings.lock_wait_s if not wait and role.search is not None else 0.0
            try:
                report = self.writer.drain(area, budget_s=self.beat_s, leave_young_s=young)
            except LostLease as exc:
                log.warning("area %s: %s", area, exc)
                continue
            if report is not None and report.applied:
                applied += report.applied
                log.info("area %s: applied %d commands (fence %d)", area, report.applied, report.fence)
            if not wait:
                served += self._search_in_background(area, role)
                continue
            if reopt_requests.serve_next(self.redis, self.keys, self.writer, area) is not None:
                served += 1  # a dispatcher's request: look again at once, more may wait
            if time.monotonic() - role.last_reopt >= self.settings.reopt_interval_s:
                role.last_reopt = time.monotonic()
                self._reoptimise(area)
                self.writer.forget_days_before(today())  # a long-running worker must not keep every day
        self.applied += applied
        if self.archive is not None:
            self.archive.tick()
        if self.standing is not None:
            self.standing.tick()  # standing bookings (定期予約) entering the horizon: at start, then every interval
        return applied + served

    def _search_in_background(self, area: str, role: AreaRole) -> int:
        """Finish the area's search if it is done, then start the next: a dispatcher's request first, then the
        periodic round's days. Returns how many searches it finished or started."""
        served = 0
        if role.search is not None:
            if not role.search.job.future.done():
                return 0  # still searching: this pass only applied commands
            search, role.search = role.search, None
            self._finish(area, search)
            served += 1
        taken = reopt_requests.take_next(self.redis, self.keys, area)
        if taken is not None:
            self._start(area, role, taken[1]["day"], float(taken[1]["time_limit_s"]), taken)
            return served + 1
        if not role.due_days and time.monotonic() - role.last_reopt >= self.settings.reopt_interval_s:
            role.last_reopt = time.monotonic()
            role.due_days = [d for d in sorted(self.redis.smembers(self.keys.days(area))) if d >= today()]
            self.writer.forget_days_before(today())
        if role.due_days:
            self._start(area, role, role.due_days.pop(0), self.settings.reopt_time_limit_s, None)
        return served

    def _start(self, area: str, role: AreaRole, day: str, time_limit_s: float,
               request: tuple[str, dict] | None) -> None:
        from concurrent.futures.process import BrokenProcessPool

        from api.reopt_search import SearchPool

        began = time.time()
        for attempt in range(2):
            if self.pool is None:
                self.pool = SearchPool(self.writer.world)
            try:
                job = self.writer.start_reoptimise(area, day, time_limit_s, self.pool)
                break
            except BrokenProcessPool:  # the child died (killed, out of memory): fork a new one, once
                log.warning("re-optimisation child of %s is gone; starting a new one", self.name)
                self.pool.close()
                self.pool = None
                if attempt:
                    job = ReoptimisationRun("failed", "the re-optimisation process could not be started")
        if isinstance(job, ReoptimisationRun):  # nothing to search (or no child to search in): answered at once
            if request is not None:
                reopt_requests.finish(self.redis, self.keys, area, request[0], request[1], job, began,
                                      self.writer.name)
            return
        role.search = Search(job, request, began)

    def _finish(self, area: str, search: Search) -> None:
        day = search.job.day
        try:
            run: ReoptimisationRun | None = self.writer.finish_reoptimise(search.job)
            reason = ""
        except LostLease as exc:
            run, reason = None, f"not committed: {exc}"
        if run is not None and run.status == "failed" and self.pool is not None and self.pool.broken:
            self.pool.close()  # the child died mid-search: the next search forks a new one
            self.pool = None
        if search.request is not None:
            reopt_requests.finish(self.redis, self.keys, area, search.request[0], search.request[1], run,
                                  search.began, self.writer.name, reason)
        if run is None:
            log.warning("re-optimisation of %s/%s not committed: %s", area, day, reason)
        elif run.status != "empty":
            log.info("re-optimised %s/%s in the background: %s %s", area, day, run.status, run.reason)

    def _reoptimise(self, area: str) -> None:
        for day in sorted(self.redis.smembers(self.keys.days(area))):
            if day < today():
                continue
            try:
                run = self.writer.reoptimise(area, day, self.settings.reopt_time_limit_s)
            except LostLease as exc:
                log.warning("re-optimisation of %s/%s not committed: %s", area, day, exc)
                continue
            if run.status != "empty":
                log.info("re-optimised %s/%s: %s %s", area, day, run.status, run.reason)

    def _wait_for_commands(self, timeout_s: float) -> bool:
        """Block until a command arrives on a stream of an area we lead (True), or ``timeout_s`` passes."""
        streams = {}
        for area, role in self.areas.items():
            if role.token is None:
                continue
            streams[self.keys.booking_stream(area)] = "$"
            streams[self.keys.vehicle_stream(area)] = "$"
        if not streams:
            self.stop.wait(timeout_s)
            return False
        return bool(self.redis.xread(streams, count=1, block=max(1, int(timeout_s * 1000))))

    def run(self, idle_s: float = 1.0) -> None:
        """Loop until :attr:`stop` is set; survives Redis outages by retrying.

        After new commands arrive it waits ``KANRA_WORKER_GRACE_MS`` before applying them, so an API
        process answering its caller on the phone applies its own command without a hand-over.
        """
        log.info("worker %s starting for areas %s", self.name, ", ".join(sorted(self.own)))
        grace_s = self.settings.worker_grace_ms / 1000
        while not self.stop.is_set():
            try:
                if self.run_once(wait=False) == 0 and self._wait_for_commands(min(idle_s, self.beat_s)):
                    self.stop.wait(grace_s)
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                log.warning("redis unavailable (%s); retrying", type(exc).__name__)
                self.stop.wait(1.0)
            except redis.exceptions.RedisError as exc:
                if store_refused(exc):  # full, demoted, no replicas: wait for Redis to take writes again
                    log.warning("redis refuses writes (%s); retrying", str(exc)[:60])
                else:
                    log.exception("redis error; retrying")
                self.stop.wait(1.0)
        for area, role in self.areas.items():
            try:
                if self.redis.get(self.keys.claim(area)) == self.name:
                    self.redis.delete(self.keys.claim(area))
                if role.token is not None:
                    role.lease.release(role.token)
                    log.info("worker %s released area %s", self.name, area)
            except redis.exceptions.RedisError:
                pass
        if self.pool is not None:
            self.pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--once", action="store_true", help="apply what is pending and exit")
    parser.add_argument("--areas", help="comma-separated service areas this worker owns (default: all); it "
                                        "stands in for the others only while their own worker is down")
    parser.add_argument("--log-level", default=os.environ.get("KANRA_LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    install_pii_filter()
    try:
        settings = Settings.from_env()
        areas = [a.strip() for a in args.areas.split(",") if a.strip()] if args.areas else None
        unknown = sorted(set(areas or ()) - set(settings.areas))
        if unknown:
            raise SettingsError(f"--areas: unknown area(s) {', '.join(unknown)}; areas: {', '.join(settings.areas)}")
        world = World.from_settings(settings)
        worker = Worker(settings, world, areas=areas)
        from api.history.archive import schedule_from_env

        worker.archive = schedule_from_env(worker.redis, settings, world)
        from api.standing_schedule import schedule_from_env as standing_from_env

        worker.standing = standing_from_env(worker.redis, settings, world, name=worker.name)
    except (SettingsError, ValueError) as exc:
        print(f"python -m api.worker: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: worker.stop.set())
    if settings.reopt_method == "rr":
        from dispatch.solver.rr import warm_up

        log.info("re-optimiser kernels ready in %.1f s", warm_up())  # before the first timed search
    try:
        worker.seed_fleet()
        if args.once:
            worker.run_once()
            return 0
        worker.run()
    except KeyboardInterrupt:
        worker.stop.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
