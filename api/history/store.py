"""Writing a day into the history and reading it back: one transaction per day, and a checksum of exactly
the rows written, so the archiver can prove PostgreSQL holds what Redis held before it trims Redis.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from api.history.models import (
    ArchivedDay,
    BookingRow,
    CommandRow,
    CommitRow,
    CostShare,
    ExecutedStop,
    Leg,
    Position,
    Rider,
    ShiftRow,
    StatusChange,
)

Rows = Mapping[str, list[dict[str, Any]]]
#: Tables keyed by (area, service_day) directly, in the order they are written.
DIRECT = {"bookings": BookingRow, "shifts": ShiftRow, "executed_stops": ExecutedStop, "positions": Position,
          "cost_shares": CostShare, "commands": CommandRow, "commits": CommitRow}
#: Tables keyed through a booking of the day.
VIA_BOOKING = {"booking_status_changes": StatusChange, "legs": Leg}
TABLES = {"riders": Rider, **DIRECT, **VIA_BOOKING}


def connect(url: str) -> Engine:
    """An engine for the history database at ``url`` (a SQLAlchemy URL, ``postgresql+psycopg://...``)."""
    return create_engine(url, pool_pre_ping=True, future=True)


# ------------------------------------------------------------------ checksum
def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _key(table: str, row: dict[str, Any]) -> tuple:
    primary = [c.name for c in TABLES[table].__table__.primary_key.columns]
    return tuple(str(row[c]) for c in primary)


#: Columns another day may change (a rider's first day is the earliest day written).
_UNCHECKED = {"riders": ("first_day",)}


def checksum(rows: Rows) -> str:
    """SHA-256 over every row of every table, canonically ordered (times to the ms, floats to 1e-6)."""
    digest = hashlib.sha256()
    for table in sorted(TABLES):
        for row in sorted(rows.get(table, []), key=lambda r, t=table: _key(t, r)):
            row = {k: v for k, v in row.items() if k not in _UNCHECKED.get(table, ())}
            digest.update(table.encode())
            digest.update(json.dumps(_canonical(row), sort_keys=True, ensure_ascii=False, default=str).encode())
    return digest.hexdigest()


def counts(rows: Rows) -> dict[str, int]:
    return {table: len(rows.get(table, [])) for table in sorted(TABLES)}


# ------------------------------------------------------------------ writing and reading
def archived_day(session: Session, area: str, day: str) -> ArchivedDay | None:
    return session.get(ArchivedDay, (area, date.fromisoformat(day)))


def write_day(session: Session, area: str, day: str, rows: Rows, source: str = "redis") -> str:
    """Replace the day's rows by ``rows`` inside the caller's transaction; return their checksum.

    Deleting first makes a redo after a crash or a changed Redis copy land on the same state. Riders are
    shared between days: they are upserted (their first day kept), never deleted here.
    """
    service_day = date.fromisoformat(day)
    ids = select(BookingRow.id).where(BookingRow.area == area, BookingRow.service_day == service_day)
    for model in VIA_BOOKING.values():
        session.execute(delete(model).where(model.booking_id.in_(ids)))
    for model in DIRECT.values():
        session.execute(delete(model).where(model.area == area, model.service_day == service_day))
    if rows.get("riders"):
        stmt = pg_insert(Rider).values(rows["riders"])
        session.execute(stmt.on_conflict_do_update(
            index_elements=[Rider.rider_key],
            set_={c: getattr(stmt.excluded, c) for c in ("home_municipality", "fare_class", "wheelchair", "name",
                                                          "phone")}
            | {"first_day": func.least(Rider.first_day, stmt.excluded.first_day)}))
    for table in (*DIRECT, *VIA_BOOKING):
        if rows.get(table):
            session.execute(TABLES[table].__table__.insert(), rows[table])
    digest = checksum(rows)
    record = archived_day(session, area, day) or ArchivedDay(area=area, service_day=service_day)
    record.source = source
    record.archived_at = datetime.now(UTC)
    record.checksum = digest
    record.counts = counts(rows)
    record.verified_at = None
    session.add(record)
    return digest


def read_day(session: Session, area: str, day: str) -> dict[str, list[dict[str, Any]]]:
    """The day's rows as stored (same shape as :func:`api.history.rows.day_rows`)."""
    service_day = date.fromisoformat(day)
    out: dict[str, list[dict[str, Any]]] = {}
    for table, model in DIRECT.items():
        result = session.execute(select(model.__table__).where(model.area == area, model.service_day == service_day))
        out[table] = [dict(r._mapping) for r in result]
    ids = [r["id"] for r in out["bookings"]]
    for table, model in VIA_BOOKING.items():
        result = session.execute(select(model.__table__).where(model.booking_id.in_(ids))) if ids else []
        out[table] = [dict(r._mapping) for r in result]
    keys = sorted({r["rider_key"] for r in out["bookings"] if r["rider_key"]})
    result = session.execute(select(Rider.__table__).where(Rider.rider_key.in_(keys))) if keys else []
    out["riders"] = [dict(r._mapping) for r in result]
    return out
