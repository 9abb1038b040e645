"""Pydantic models at the HTTP boundary: what callers send and what they get back.

Times are ISO 8601 (Asia/Tokyo, e.g. ``2026-12-01T10:00:00+09:00``); a time without an offset is read
as Tokyo time. Coordinates are WGS84 degrees, distances metres.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

_PHONE_CHARS = re.compile(r"^[0-9+\-() ]+$")
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _text(value: str, allow: str = "") -> str:
    """Refuse control characters, unpaired surrogates and bidi overrides (they hide or garble text)."""
    for ch in value:
        if ch in allow:
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Co", "Cn") or ch in _BIDI_CONTROLS:
            raise ValueError(f"contains a control or invalid character (U+{ord(ch):04X})")
    return value


def _single_line(value: str) -> str:
    return _text(value)


def _multi_line(value: str) -> str:
    return _text(value, allow="\n\t")


def valid_day(value: str | None) -> str | None:
    """A real calendar day ``YYYY-MM-DD`` (``2026-02-30`` is refused)."""
    if value is None:
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a calendar day (YYYY-MM-DD)") from None
    return value


Name = Annotated[str, AfterValidator(_single_line)]
Notes = Annotated[str, AfterValidator(_multi_line)]
Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(valid_day)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


def phone_digits(phone: str) -> str:
    """Normalise a Japanese phone number to its national digits (``+81 90-...`` -> ``090...``)."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("81") and phone.strip().startswith("+"):
        digits = "0" + digits[2:]
    return digits


class ErrorItem(BaseModel):
    field: str = Field(description="what was wrong: body.pickup.place, query.day, header.Idempotency-Key, ...")
    reason: str


class ErrorOut(BaseModel):
    """Every error response: the fields at fault and why."""

    detail: list[ErrorItem]


ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "the body cannot be read (not UTF-8 JSON)"),
        (401, "no or unknown API key"),
        (403, "the key's role may not do this"),
        (404, "no such record"),
        (409, "the record's state does not allow this"),
        (413, "request body too large"),
        (415, "the body is not application/json"),
        (422, "invalid input: each field at fault and why"),
        (429, "the key's request budget is spent (Retry-After)"),
        (503, "the booking store is unavailable (Retry-After)"),
    )
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FareClass(StrEnum):
    RESIDENT = "resident"
    SENIOR = "senior"  # 65+
    DISABLED = "disabled"
    STUDENT = "student"
    VISITOR = "visitor"


class PointIn(Strict):
    """Where: a named place (``place`` key from ``GET /places``) or an address point (``lat``/``lon``)."""

    place: Name | None = Field(None, max_length=120, examples=["tomioka_general_hospital"])
    lat: Latitude | None = None
    lon: Longitude | None = None
    label: Name | None = Field(None, max_length=120, description="how the caller names it (address points)")

    @model_validator(mode="after")
    def _one_kind(self) -> PointIn:
        has_point = self.lat is not None or self.lon is not None
        if self.place is None and not has_point:
            raise ValueError("give a place key or lat and lon")
        if self.place is not None and has_point:
            raise ValueError("give either a place key or lat and lon, not both")
        if has_point and (self.lat is None or self.lon is None):
            raise ValueError("lat and lon go together")
        return self


class LocationOut(BaseModel):
    node: int
    lat: float | None
    lon: float | None
    place: str | None
    name: str
    jis_code: str | None


class RiderIn(Strict):
    name: Name = Field(min_length=1, max_length=80)
    phone: str = Field(min_length=10, max_length=20, examples=["0274-62-1234"])
    home: PointIn | None = None
    fare_class: FareClass = FareClass.RESIDENT
    wheelchair: bool = False
    notes: Notes = Field("", max_length=300)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if not _PHONE_CHARS.match(value):
            raise ValueError("a phone number has digits, spaces, +, - and parentheses only")
        digits = phone_digits(value)
        if not (10 <= len(digits) <= 11 and digits.startswith("0")):
            raise ValueError("a Japanese phone number has 10 or 11 digits starting with 0")
        return value


class RiderOut(BaseModel):
    id: str
    name: str
    phone: str
    home: LocationOut | None
    fare_class: FareClass
    wheelchair: bool
    notes: str
    created_at: str


class TimeKindIn(StrEnum):
    DEPART_AFTER = "depart_after"
    ARRIVE_BY = "arrive_by"


class BookingIn(Strict):
    rider_id: Name | None = Field(None, max_length=40)
    pickup: PointIn
    dropoff: PointIn
    time: datetime = Field(description="depart after / arrive by this Tokyo time")
    time_kind: TimeKindIn = TimeKindIn.DEPART_AFTER
    seats: int = Field(1, ge=0, le=8, strict=True, description="riders in ordinary seats")
    wheelchairs: int = Field(0, ge=0, le=4, strict=True, description="riders staying in their wheelchair")
    fare_class: FareClass | None = Field(None, description="default: the rider's")
    notes: Notes = Field("", max_length=300)

    @model_validator(mode="after")
    def _party(self) -> BookingIn:
        if self.seats + self.wheelchairs < 1:
            raise ValueError("a booking carries at least one rider (seats + wheelchairs >= 1)")
        return self


class BookingChange(Strict):
    """Fields of a booking to change; the rest stay. The old booking stands if the new one cannot be served."""

    pickup: PointIn | None = None
    dropoff: PointIn | None = None
    time: datetime | None = None
    time_kind: TimeKindIn | None = None
    seats: int | None = Field(None, ge=0, le=8, strict=True)
    wheelchairs: int | None = Field(None, ge=0, le=4, strict=True)
    notes: Notes | None = Field(None, max_length=300)

    @model_validator(mode="after")
    def _something(self) -> BookingChange:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        return self


class Window(BaseModel):
    start: str
    end: str


class LegOut(BaseModel):
    mode: str
    origin: str
    destination: str
    depart: str
    arrive: str
    booking_id: str | None = None
    vehicle_id: str | None = None
    pickup_window: Window | None = None
    train_id: str | None = None
    fare_yen: int = 0


class OfferOut(BaseModel):
    vehicle_id: str
    pickup_window: Window
    expected_pickup: str
    expected_dropoff: str
    fare_yen: int
    legs: list[LegOut] = []
    hold_until: str | None = None


class RejectionOut(BaseModel):
    reason: str
    message: str
    alternatives: list[str] = []


class BookingOut(BaseModel):
    id: str
    status: str
    area: str
    service_day: str
    rider_id: str | None
    pickup: LocationOut
    dropoff: LocationOut
    time: str
    time_kind: TimeKindIn
    seats: int
    wheelchairs: int
    fare_class: str
    notes: str
    vehicle_id: str | None = None
    offer: OfferOut | None = None
    rejection: RejectionOut | None = None
    pinned: bool = Field(False, description="a dispatcher pinned it to vehicle_id: re-optimisation keeps it there")
    error: str | None = Field(None, description="why the last change to this booking was refused")
    created_at: str
    updated_at: str


class VehicleIn(Strict):
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")
    municipality: str = Field(pattern=r"^\d{5}$", description="JIS code of the fleet owner")
    seats: int = Field(7, ge=1, le=20, strict=True)
    wheelchair_places: int = Field(0, ge=0, le=4, strict=True)
    depot: Name = Field(max_length=120, description="place key of the depot")
    shift_start: str = Field("08:00", pattern=r"^\d{2}:\d{2}$")
    shift_end: str = Field("17:00", pattern=r"^\d{2}:\d{2}$")
    service_area: list[str] | None = Field(None, description="JIS codes served; default: every municipality")
    label: Name = Field("", max_length=80)

    @model_validator(mode="after")
    def _shift(self) -> VehicleIn:
        if _hhmm(self.shift_end) <= _hhmm(self.shift_start):
            raise ValueError("shift_end must be after shift_start")
        return self


def _hhmm(value: str) -> int:
    hours, minutes = (int(p) for p in value.split(":"))
    if hours > 30 or minutes > 59:
        raise ValueError(f"{value} is not a time HH:MM")
    return hours * 3600 + minutes * 60


class VehicleEventIn(Strict):
    type: Literal["position", "arrived", "boarded", "no_show", "dropped", "shift_start", "shift_end"]
    booking_id: Name | None = Field(None, max_length=40)
    lat: Latitude | None = None
    lon: Longitude | None = None
    at: datetime | None = Field(None, description="when it happened (default: when received)")
    stop: Literal["pickup", "dropoff"] | None = Field(
        None, description="for arrived: which stop the driver is at (default: the one due for the booking)")

    @model_validator(mode="after")
    def _fields_of_type(self) -> VehicleEventIn:
        if self.type == "position" and (self.lat is None or self.lon is None):
            raise ValueError("a position event needs lat and lon")
        if self.type in ("arrived", "boarded", "no_show", "dropped") and not self.booking_id:
            raise ValueError(f"a {self.type} event needs booking_id")
        return self


class ReassignIn(Strict):
    booking_id: str = Field(min_length=1, max_length=40)
    vehicle_id: str = Field(min_length=1, max_length=40)
    pin: bool = Field(True, description="keep the booking on this vehicle through re-optimisation (until unpinned)")


class UnpinIn(Strict):
    booking_id: str = Field(min_length=1, max_length=40)


class ReoptimiseIn(Strict):
    day: Day | None = None
    area: str | None = None
    time_limit_s: float = Field(2.0, gt=0, le=30)


class CommandOut(BaseModel):
    """Outcome of a command applied by the area's writer."""

    ok: bool
    entry_id: str
    booking_id: str | None = None
    error: str | None = None
    detail: dict | None = None
