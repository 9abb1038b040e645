"""Riders in the history: a pseudonymous key, personal data only where the municipality's rules allow it,
and deletion on request.

The key is HMAC-SHA256 of the rider id under ``KANRA_HISTORY_RIDER_SECRET``: the same rider has the same
key on every day (so riders can be counted once a month), and nobody without the secret can get from the
key back to the rider id, name or phone number.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Numeric, cast, delete, func, select, update
from sqlalchemy.orm import Session

from api.history.models import BookingRow, Rider


@dataclass(frozen=True)
class RiderPolicy:
    """How riders are kept: the key's secret and the municipalities (JIS codes) that allow personal data."""

    secret: str
    pii_municipalities: frozenset[str] = frozenset()

    def key(self, rider_id: str) -> str:
        """The pseudonymous key of a rider id (32 hex digits)."""
        return hmac.new(self.secret.encode(), rider_id.encode(), hashlib.sha256).hexdigest()[:32]

    def keeps_pii(self, municipality: str | None) -> bool:
        return municipality is not None and municipality in self.pii_municipalities

    def rider_row(self, rider_id: str, rider: dict[str, Any], booking: dict[str, Any], day: date) -> dict[str, Any]:
        """The ``riders`` row of a rider as booked (``rider``: the rider record, possibly empty)."""
        home = ((rider.get("home") or {}).get("jis_code")) or booking.get("home_municipality")
        keep = self.keeps_pii(home)
        return {"rider_key": self.key(rider_id), "home_municipality": home,
                "fare_class": rider.get("fare_class") or booking.get("fare_class", "resident"),
                "wheelchair": bool(rider.get("wheelchair", False)),
                "name": rider.get("name") if keep else None, "phone": rider.get("phone") if keep else None,
                "first_day": day}


def forget_rider(session: Session, policy: RiderPolicy, rider_id: str | None = None,
                 rider_key: str | None = None) -> int:
    """Delete a rider from the history on request: the rider row goes, bookings keep their counts but lose the
    key and any notes (so nothing links them to the person any more). Returns the bookings unlinked."""
    key = rider_key or (policy.key(rider_id) if rider_id else None)
    if key is None:
        raise ValueError("give a rider id or a rider key")
    mine = BookingRow.rider_key == key
    for end in ("pickup", "dropoff"):  # an exact address point goes back to ~100 m, its label goes
        place, lat, lon = (getattr(BookingRow, f"{end}_{c}") for c in ("place", "lat", "lon"))
        session.execute(update(BookingRow).where(mine, place.is_(None)).values(
            {f"{end}_name": None, f"{end}_lat": func.round(cast(lat, Numeric), 3),
             f"{end}_lon": func.round(cast(lon, Numeric), 3)}))
    unlinked = session.execute(update(BookingRow).where(mine).values(rider_key=None, notes=None)).rowcount
    session.execute(delete(Rider).where(Rider.rider_key == key))
    return int(unlinked or 0)


def rider_exists(session: Session, key: str) -> bool:
    return session.scalar(select(Rider.rider_key).where(Rider.rider_key == key)) is not None
