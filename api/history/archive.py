"""The archiver: moves closed service days from Redis into the history, verified, then trims Redis.

Per (area, day), in this order, each step safe to interrupt:

1. **closed?** (:func:`api.history.redis_day.closed_reason`) - otherwise the day waits;
2. **write**: the day's rows replace whatever the history had of it, in one transaction, together with its
   ``archived_days`` row (checksum, counts; ``verified_at`` empty). A crash rolls the transaction back;
   an unchanged day (same checksum, verified) is not written again, so a second run changes nothing;
3. **verify**: read the day back, compare the counts with Redis and the checksum with the one computed
   from Redis; only then ``verified_at`` is set;
4. **trim** (only days older than the retention window, only when verified and the Redis copy is still
   the verified snapshot version, under WATCH): delete the Redis copy in one MULTI, then note
   ``redis_trimmed_at``. A crash
   between the two is found on the next run (verified, no snapshot left in Redis) and noted then;
5. **streams**: cut the command streams and the commit log up to the first entry whose day is not trimmed
   yet (or not applied by the writer yet);
6. **audit log**: the staff audit log's entries older than the retention window move into
   ``audit_entries`` and are then cut from Redis (:mod:`api.history.audit_archive`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from redis import Redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.history import redis_day
from api.history.audit_archive import archive_audit
from api.history.models import ArchivedDay
from api.history.riders import RiderPolicy
from api.history.rows import day_rows
from api.history.settings import HistorySettings
from api.history.store import archived_day, checksum, counts, read_day, write_day
from api.keys import Keys
from api.settings import Settings
from api.timefmt import JST, clock
from api.world import World

log = logging.getLogger("api.archive")


class VerificationFailed(RuntimeError):
    """PostgreSQL does not hold what Redis holds for a day: nothing is trimmed."""


@dataclass
class ArchiveReport:
    """What one pass did, per ``area/day``."""

    archived: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    waiting: dict[str, str] = field(default_factory=dict)
    trimmed: list[str] = field(default_factory=list)
    stream_entries_removed: int = 0
    audit_entries_moved: int = 0

    def summary(self) -> str:
        return (f"保存 archived {len(self.archived)}, 変更なし unchanged {len(self.unchanged)}, "
                f"待機 waiting {len(self.waiting)}, Redis から削除 trimmed {len(self.trimmed)}, "
                f"ストリーム削除 stream entries removed {self.stream_entries_removed}, "
                f"監査ログ移動 audit entries moved {self.audit_entries_moved}")


class Archiver:
    """Archives every configured service area; ``step`` (if given) is called as ``step(name, area, day)``
    between the steps above (the kill-safety tests interrupt it there)."""

    def __init__(self, redis: Redis, settings: Settings, world: World, engine: Engine, history: HistorySettings,
                 step: Callable[[str, str, str], None] | None = None) -> None:
        self.redis = redis
        self.keys = Keys(settings.key_prefix)
        self.settings = settings
        self.world = world
        self.engine = engine
        self.history = history
        self.policy = RiderPolicy(history.rider_secret, history.pii_municipalities)
        self.step = step or (lambda *_: None)

    def cutoff(self, now_epoch: float) -> str:
        """Days before this one (Tokyo date of ``now`` minus the retention window) leave Redis."""
        today = datetime.fromtimestamp(now_epoch, JST).date()
        return (today - timedelta(days=self.history.retention_days)).isoformat()

    def run_once(self, now_epoch: float | None = None) -> ArchiveReport:
        now_epoch = clock() if now_epoch is None else now_epoch
        report = ArchiveReport()
        for area in self.settings.areas:
            self._area(area, now_epoch, report)
        before = datetime.combine(date.fromisoformat(self.cutoff(now_epoch)), datetime.min.time(), JST).timestamp()
        report.audit_entries_moved = archive_audit(self.redis, self.keys.prefix, self.engine, before,
                                                   step=lambda name: self.step(name, "audit", ""))
        return report

    # ------------------------------------------------------------------ one area
    def _area(self, area: str, now_epoch: float, report: ArchiveReport) -> None:
        area_log = redis_day.read_area_log(self.redis, self.keys, area)
        cutoff = self.cutoff(now_epoch)
        for day in sorted(self.redis.smembers(self.keys.days(area))):
            name = f"{area}/{day}"
            reason = redis_day.closed_reason(self.redis, self.keys, area, day, area_log, now_epoch,
                                             self.history.close_margin_h)
            if reason is not None:
                report.waiting[name] = reason
                continue
            trimmed = self._trimmed_at(area, day)
            if trimmed is not None:  # late commands re-created a day already moved out: never overwrite it
                report.waiting[name] = (f"archived and trimmed from Redis at {trimmed.isoformat()}; it came back "
                                        "(late commands?): the history keeps the archived copy, check by hand")
                continue
            archived = self._archive_day(area, day, area_log, report)
            if archived is not None and day < cutoff:
                self._trim_day(area, day, *archived, report)
        self._note_trimmed(area, cutoff, report)
        gone = self._gone(area)
        # days that only ever had commands (a train delay on a day nobody booked) have nothing to archive
        held = set(self.redis.smembers(self.keys.days(area)))
        gone |= {d for d in area_log.commands if d and d < cutoff and d not in held}
        removed = redis_day.trim_streams(self.redis, self.keys, area, gone, area_log)
        report.stream_entries_removed += sum(removed.values())

    def _archive_day(self, area: str, day: str, area_log: redis_day.AreaLog,
                     report: ArchiveReport) -> tuple[str, int] | None:
        """Write and verify the day; (checksum, snapshot version) of what is verified, None if Redis has none."""
        name = f"{area}/{day}"
        loaded = redis_day.load_day(self.redis, self.keys, self.world, area, day, area_log)
        if loaded is None:
            return None
        rows = day_rows(loaded, self.policy, self.history.position_sample_s)
        digest = checksum(rows)
        with Session(self.engine) as session:
            known = archived_day(session, area, day)
            if known is not None and known.checksum == digest and known.verified_at is not None:
                report.unchanged.append(name)
                return digest, loaded.version
        # changed, or not verified (a crash before verifying, a failed verification): written again from Redis
        with Session(self.engine) as session, session.begin():
            write_day(session, area, day, rows, source="redis")
            self.step("written", area, day)
        log.info("%s: written (%s)", name, ", ".join(f"{k} {v}" for k, v in counts(rows).items() if v))
        self.step("before_verify", area, day)
        self._verify(area, day, rows, digest)
        report.archived.append(name)
        return digest, loaded.version

    def _verify(self, area: str, day: str, rows: dict, digest: str) -> None:
        with Session(self.engine) as session, session.begin():
            stored = read_day(session, area, day)
            expected, found = counts(rows), counts(stored)
            redis_bookings = len(redis_day.day_records(self.redis, self.keys, area, day))
            if found != expected or found["bookings"] != redis_bookings:
                raise VerificationFailed(f"{area}/{day}: counts differ: Redis {expected} "
                                         f"({redis_bookings} booking records), PostgreSQL {found}")
            if checksum(stored) != digest:
                raise VerificationFailed(f"{area}/{day}: checksum of the stored rows differs from Redis's")
            record = archived_day(session, area, day)
            assert record is not None
            record.verified_at = datetime.now(UTC)

    def _trim_day(self, area: str, day: str, digest: str, version: int, report: ArchiveReport) -> None:
        with Session(self.engine) as session:
            record = archived_day(session, area, day)
            if record is None or record.verified_at is None or record.checksum != digest:
                return
        removed = redis_day.trim_day(self.redis, self.keys, area, day, version)
        if removed is None:  # a late command changed the day after it was verified: archived again next pass
            log.warning("%s/%s: changed in Redis while archiving; trimmed on a later pass", area, day)
            return
        self.step("redis_trimmed", area, day)
        self._mark_trimmed(area, day)
        report.trimmed.append(f"{area}/{day}")
        log.info("%s/%s: trimmed from Redis (%d bookings)", area, day, removed)

    def _mark_trimmed(self, area: str, day: str) -> None:
        with Session(self.engine) as session, session.begin():
            record = archived_day(session, area, day)
            if record is not None and record.redis_trimmed_at is None:
                record.redis_trimmed_at = datetime.now(UTC)

    def _note_trimmed(self, area: str, cutoff: str, report: ArchiveReport) -> None:
        """Days verified and gone from Redis but not noted so (a crash right after the Redis trim)."""
        with Session(self.engine) as session:
            days = session.scalars(select(ArchivedDay.service_day).where(
                ArchivedDay.area == area, ArchivedDay.verified_at.is_not(None),
                ArchivedDay.redis_trimmed_at.is_(None), ArchivedDay.service_day < date.fromisoformat(cutoff))).all()
        for service_day in days:
            day = service_day.isoformat()
            if not self.redis.exists(self.keys.snapshot(area, day)):
                self._mark_trimmed(area, day)
                report.trimmed.append(f"{area}/{day}")

    def _trimmed_at(self, area: str, day: str) -> datetime | None:
        with Session(self.engine) as session:
            record = archived_day(session, area, day)
            return None if record is None else record.redis_trimmed_at

    def _gone(self, area: str) -> set[str]:
        with Session(self.engine) as session:
            days = session.scalars(select(ArchivedDay.service_day).where(
                ArchivedDay.area == area, ArchivedDay.redis_trimmed_at.is_not(None))).all()
        return {d.isoformat() for d in days}


class ArchiveSchedule:
    """For the worker: run the archiver every ``interval_s`` seconds (call :meth:`tick` from its loop)."""

    def __init__(self, archiver: Archiver, interval_s: float = 600.0,
                 clock: Callable[[], float] = clock) -> None:
        self.archiver = archiver
        self.interval_s = interval_s
        self.clock = clock  # Unix time the pass runs at (tests pass a later one)
        self._last = float("-inf")
        self.last_report: ArchiveReport | None = None

    def tick(self, now_monotonic: float | None = None) -> ArchiveReport | None:
        now = time.monotonic() if now_monotonic is None else now_monotonic
        if now - self._last < self.interval_s:
            return None
        self._last = now
        try:
            self.last_report = self.archiver.run_once(self.clock())
            return self.last_report
        except Exception:  # the archive is retried on the next tick; the worker keeps dispatching
            log.exception("archive pass failed; retried in %.0f s", self.interval_s)
            return None


def schedule_from_env(redis: Redis, settings: Settings, world: World) -> ArchiveSchedule | None:
    """The worker's archive schedule when ``KANRA_ARCHIVE_INTERVAL_S`` is set above 0 (else None).

    The pass runs inside the worker's loop, between drains: keep the interval long (an hour), or run
    ``python -m api.archive`` from cron instead on a busy area.
    """
    import os

    interval = float(os.environ.get("KANRA_ARCHIVE_INTERVAL_S") or 0)
    if interval <= 0:
        return None
    history = HistorySettings.from_env()
    from api.history.store import connect

    return ArchiveSchedule(Archiver(redis, settings, world, connect(history.url), history), interval)
