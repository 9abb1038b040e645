"""Asia/Tokyo wall-clock times at the edges, (service day, seconds since its midnight) inside.

Japan has kept +09:00 all year since 1951, so a fixed offset is exact.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


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
    return datetime.now(JST)


def today() -> str:
    return now_jst().date().isoformat()


def epoch_seconds_on(day: str, epoch_s: float) -> int:
    """Seconds since ``day``'s Tokyo midnight of a Unix time (``epoch_s`` seconds)."""
    return int(epoch_s - day_start(day).timestamp())
