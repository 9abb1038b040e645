"""The history schema of finished service days (PostgreSQL, SQLAlchemy 2 declarative models).

One row set per (area, service day), written by :mod:`api.history.store` in one transaction; docs/history.md
describes every table. Times of day are seconds since the service day's midnight (Asia/Tokyo), as inside
the engine; moments (when a command was taken, a status changed) are ``timestamptz``. Distances are km,
durations hours, money yen. Riders appear only under a pseudonymous key (:mod:`api.history.riders`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Json = JSON().with_variant(JSONB(), "postgresql")
Moment = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ArchivedDay(Base):
    """One (area, service day) in the history: what was stored, its checksum, and whether Redis still has it."""

    __tablename__ = "archived_days"

    area: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(20), default="redis")  # "redis" (the live service) or "sim"
    archived_at: Mapped[datetime] = mapped_column(Moment)
    checksum: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict[str, Any]] = mapped_column(Json)
    verified_at: Mapped[datetime | None] = mapped_column(Moment, nullable=True)
    redis_trimmed_at: Mapped[datetime | None] = mapped_column(Moment, nullable=True)


class Rider(Base):
    """A rider as booked, under a pseudonymous key; name and phone only where the municipality allows."""

    __tablename__ = "riders"

    rider_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    home_municipality: Mapped[str | None] = mapped_column(String(10), nullable=True)
    fare_class: Mapped[str] = mapped_column(String(20), default="resident")
    wheelchair: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    first_day: Mapped[date | None] = mapped_column(Date, nullable=True)


class BookingRow(Base):
    """A caller's booking (a trip: one leg, or feeder -> train -> feeder) and how it ended."""

    __tablename__ = "bookings"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    area: Mapped[str] = mapped_column(String(40))
    service_day: Mapped[date] = mapped_column(Date)
    rider_key: Mapped[str | None] = mapped_column(ForeignKey("riders.rider_key", ondelete="SET NULL"),
                                                  nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="local")  # local | direct | chain
    home_municipality: Mapped[str | None] = mapped_column(String(10), nullable=True)
    fare_class: Mapped[str] = mapped_column(String(20), default="resident")
    seats: Mapped[int] = mapped_column(Integer)
    wheelchairs: Mapped[int] = mapped_column(Integer)
    pickup_place: Mapped[str | None] = mapped_column(String(80), nullable=True)
    pickup_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    pickup_jis: Mapped[str | None] = mapped_column(String(10), nullable=True)
    pickup_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    pickup_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    dropoff_place: Mapped[str | None] = mapped_column(String(80), nullable=True)
    dropoff_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    dropoff_jis: Mapped[str | None] = mapped_column(String(10), nullable=True)
    dropoff_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    dropoff_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    requested_time_s: Mapped[int] = mapped_column(Integer)
    time_kind: Mapped[str] = mapped_column(String(20))
    vehicle_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    promised_pickup_start_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    promised_pickup_end_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expected_pickup_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expected_dropoff_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    picked_up_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dropped_off_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fare_yen: Mapped[int] = mapped_column(Integer, default=0)
    rejection_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    rejection_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(80), nullable=True)
    cancel_late: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # after the cancellation deadline
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    booked_at: Mapped[datetime | None] = mapped_column(Moment, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(Moment, nullable=True)

    __table_args__ = (Index("ix_bookings_day_area", "service_day", "area"), Index("ix_bookings_rider", "rider_key"))


class StatusChange(Base):
    """Every change in a booking's life, in order: the command that caused it, its status after, the reason."""

    __tablename__ = "booking_status_changes"

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Moment)
    status: Mapped[str] = mapped_column(String(20))
    op: Mapped[str] = mapped_column(String(20))
    ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Leg(Base):
    """One leg of a booking's trip (taxi, train or walk): as promised, and the taxi legs as realised."""

    __tablename__ = "legs"

    booking_id: Mapped[str] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    leg_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(10))  # drt | rail | walk
    origin: Mapped[str] = mapped_column(Text)
    destination: Mapped[str] = mapped_column(Text)
    origin_place: Mapped[str | None] = mapped_column(String(80), nullable=True)
    destination_place: Mapped[str | None] = mapped_column(String(80), nullable=True)
    depart_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    arrive_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    leg_booking_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    train_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    fare_yen: Mapped[int] = mapped_column(Integer, default=0)
    picked_up_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dropped_off_s: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ShiftRow(Base):
    """A vehicle's day: its shift as planned and as reported, and what it drove (executed stops)."""

    __tablename__ = "shifts"

    area: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(10))
    seats: Mapped[int] = mapped_column(Integer)
    wheelchair_places: Mapped[int] = mapped_column(Integer)
    planned_start_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    planned_end_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ended_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    vehicle_km: Mapped[float] = mapped_column(Float, default=0.0)
    drive_h: Mapped[float] = mapped_column(Float, default=0.0)
    stops: Mapped[int] = mapped_column(Integer, default=0)


class ExecutedStop(Base):
    """A stop a vehicle made: the promised window and the realised arrival and departure."""

    __tablename__ = "executed_stops"

    area: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[str] = mapped_column(String(64))  # the caller's booking
    leg_booking_id: Mapped[str] = mapped_column(String(64))  # the dispatcher's booking (a trip leg: "<id>/<n>")
    kind: Mapped[str] = mapped_column(String(10))  # pickup | dropoff
    place: Mapped[str | None] = mapped_column(String(80), nullable=True)
    jis_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    promised_earliest_s: Mapped[int] = mapped_column(Integer)
    promised_latest_s: Mapped[int] = mapped_column(Integer)
    arrival_s: Mapped[int] = mapped_column(Integer)
    departure_s: Mapped[int] = mapped_column(Integer)
    seats_after: Mapped[int] = mapped_column(Integer)
    wheelchairs_after: Mapped[int] = mapped_column(Integer)


class Position(Base):
    """Vehicle positions as reported, sampled (at most one per vehicle per sampling interval)."""

    __tablename__ = "positions"

    area: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    vehicle_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    at_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class CostShare(Base):
    """Vehicle-km and -hours each fleet drove for the residents of each municipality (the cost-share basis)."""

    __tablename__ = "cost_shares"

    area: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    fleet: Mapped[str] = mapped_column(String(10), primary_key=True)
    served_municipality: Mapped[str] = mapped_column(String(10), primary_key=True)
    vehicle_km: Mapped[float] = mapped_column(Float)
    vehicle_h: Mapped[float] = mapped_column(Float)


class CommandRow(Base):
    """The audit trail: every command the area's writer took for the day (positions go to ``positions``)."""

    __tablename__ = "commands"

    area: Mapped[str] = mapped_column(String(40), primary_key=True)
    stream: Mapped[str] = mapped_column(String(20), primary_key=True)  # bookings | vehicles
    entry_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date)
    op: Mapped[str] = mapped_column(String(20))
    booking_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    vehicle_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    at: Mapped[datetime | None] = mapped_column(Moment, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)

    __table_args__ = (Index("ix_commands_day_area", "service_day", "area"),)


class CommitRow(Base):
    """The area's commit log entries that wrote the day: who committed which version under which fence."""

    __tablename__ = "commits"

    area: Mapped[str] = mapped_column(String(40), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_day: Mapped[date] = mapped_column(Date, primary_key=True)
    writer: Mapped[str] = mapped_column(String(120))
    fence: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)


#: Tables holding one day's rows, keyed by (area, service_day) directly or through their booking.
DAY_TABLES: tuple[type[Base], ...] = (BookingRow, StatusChange, Leg, ShiftRow, ExecutedStop, Position, CostShare,
                                      CommandRow, CommitRow)


class AuditEntry(Base):
    """An entry of the staff audit log (``kt:audit``: who changed what, with the state before and after),
    moved out of Redis once it is older than the retention window (:mod:`api.history.audit_archive`)."""

    __tablename__ = "audit_entries"

    entry_id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the Redis stream id
    at: Mapped[datetime] = mapped_column(Moment)
    who: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(120))
    ok: Mapped[bool] = mapped_column(Boolean)
    before: Mapped[Any] = mapped_column(Json, nullable=True)
    after: Mapped[Any] = mapped_column(Json, nullable=True)
    detail: Mapped[Any] = mapped_column(Json, nullable=True)

    __table_args__ = (Index("ix_audit_entries_at", "at"), Index("ix_audit_entries_target", "target"))
