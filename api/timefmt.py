"""Asia/Tokyo wall-clock times at the edges, (service day, seconds since its midnight) inside.

Japan has kept +09:00 all year since 1951, so a fixed offset is exact.

The service clock (:func:`clock`, :func:`now_jst`) is the system clock unless ``KANRA_CLOCK_FILE`` names a
file holding seconds to add to it: compressed time for soaks and tests that run many service days in an
hour (``benchmarks/month_soak.py`` advances it for the API and the worker at once). Never set in production.
Leases, rate limits, sessions and Redis expiries keep the real clock.
"""

from __future__ import annotations

import os
import time as _time
from datetime import date, datetime, time, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
CLOCK_FILE_ENV = "KANRA_CLOCK_FILE"
_offset_cache: dict[str, tuple[tuple[int, int], float]] = {}


def clock_offset_s() -> float:
    """Seconds the service clock runs ahead of the system clock (0 unless ``KANRA_CLOCK_FILE`` is set).

    The file is read again only when it changes (modification time or inode); an unreadable or malformed file keeps
    the last offset read (0 at first), so a soak rewriting it (write then rename) never stops the clock.
    """
    path = os.environ.get(CLOCK_FILE_ENV)
    if not path:
        return 0.0
    try:
        found = os.stat(path)
    except OSError:
        return _offset_cache.get(path, ((0, 0), 0.0))[1]
    stamp = (found.st_mtime_ns, found.st_ino)  # a rewrite by rename is a new inode even within one tick
    cached = _offset_cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, encoding="utf-8") as handle:
            offset = float(handle.read().strip() or 0)
    except (OSError, ValueError):
        offset = cached[1] if cached is not None else 0.0
    _offset_cache[path] = (stamp, offset)
    return offset


def clock() -> float:
    """Unix seconds of the service clock (the system clock plus :func:`clock_offset_s`)."""
    return _time.time() + clock_offset_s()


def to_service_time(moment: datetime) -> tuple[str, int]:
    """Split a moment into its Tokyo service day (``YYYY-MM-DD``) and whole seconds since that midnight.

    A naive datetime is read as Tokyo time (phone staff type local times).
    """
    local = moment.replace(tzinfo=JST) if moment.tzinfo is None else moment.astimezone(JST)
    midnight = datetime.combine(local.date(), time(0), tzinfo=JST)
    return local.date().isoformat(), int((local - midnight).total_seconds())


def seconds_on(day: str, moment: datetime) -> int:
    """Seconds between ``day``'s Tokyo midnight and ``moment`` (negative before, > 86,400 after)."""
    local = moment.replace(tzinfo=JST) if moment.tzinfo is None else moment
    return int((local - day_start(day)).total_seconds())


def day_start(day: str) -> datetime:
    """Tokyo midnight opening service day ``day``."""
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=JST)


def to_iso(day: str, seconds: float) -> str:
    """ISO 8601 Tokyo time of ``seconds`` after ``day``'s midnight, e.g. ``2026-12-01T10:00:00+09:00``."""
    return (day_start(day) + timedelta(seconds=round(seconds))).isoformat()


def now_jst() -> datetime:
    """The service clock's moment in Tokyo."""
    return datetime.fromtimestamp(clock(), JST)


def today() -> str:
    return now_jst().date().isoformat()


def epoch_seconds_on(day: str, epoch_s: float) -> int:
    """Seconds since ``day``'s Tokyo midnight of a Unix time (``epoch_s`` seconds)."""
    return int(epoch_s - day_start(day).timestamp())
