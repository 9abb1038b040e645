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

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

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


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def valid_day(value: str | None) -> str | None:
    """A real calendar day ``YYYY-MM-DD`` (``2026-02-30``, ``0000-00-00`` and ``20261201`` are refused)."""
    if value is None:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a calendar day (YYYY-MM-DD, e.g. 2026-12-01)") from None
    return value


def whole_number(value: object) -> object:
    """``3.0`` is the integer 3 (JSON Schema counts it an integer); ``3.5``, ``"3"`` and ``true`` stay refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Count = BeforeValidator(whole_number)
"""Put on a ``strict=True`` int field: whole numbers written with a fraction (``2.0``) are accepted as such."""

Name = Annotated[str, AfterValidator(_single_line)]
Notes = Annotated[str, AfterValidator(_multi_line)]
Day = Annotated[str, Field(json_schema_extra={"format": "date"}), AfterValidator(valid_day)]
"""A calendar day; the document says ``format: date`` (RFC 3339 full-date), the validator enforces it."""
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
    reason_ja: str | None = Field(None, description="the reason in Japanese, where the desk reads it out")


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
    OTHER = "other"  # the fare rules' non-resident class
    CHILD = "child"  # free, as the fare rules know it
    PRESCHOOL = "preschool"  # free


FARE_RULE_CLASS: dict[str, str] = {
    "resident": "resident", "senior": "resident", "disabled": "resident", "student": "resident",
    "visitor": "other", "other": "other", "child": "child", "preschool": "preschool",
}
"""Registry fare class -> the class :class:`dispatch.fares.FareTable` prices (resident, other, child, preschool).
Seniors, disabled riders and students are residents to the flat fare; visitors pay the other fare."""


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
    walk_m: float = Field(0.0, description="walk from the caller's point to this stop, metres (stop-based service)")


def _phone(value: str) -> str:
    if not _PHONE_CHARS.match(value):
        raise ValueError("a phone number has digits, spaces, +, - and parentheses only")
    digits = phone_digits(value)
    if not (10 <= len(digits) <= 11 and digits.startswith("0")):
        raise ValueError("a Japanese phone number has 10 or 11 digits starting with 0")
    return value


Phone = Annotated[str, Field(min_length=10, max_length=20, examples=["0274-62-1234"]), AfterValidator(_phone)]
JisCode = Annotated[str, Field(pattern=r"^\d{5}$", description="JIS municipality code, e.g. 10210 (富岡市)")]
PlaceKey = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_single_line)]


class Mobility(Strict):
    """Mobility aids the driver must know of."""

    wheelchair: bool = Field(False, description="rides in their wheelchair (takes a wheelchair place)")
    walker: bool = False
    door_help: bool = Field(False, description="needs help from the door to the vehicle")


class EmergencyContact(Strict):
    name: Name = Field(min_length=1, max_length=80)
    phone: Phone
    relation: Name = Field("", max_length=40, examples=["長男"])


class RiderIn(Strict):
    """A rider registered by the phone desk; ``municipality`` defaults to the home's."""

    name: Name = Field(min_length=1, max_length=80)
    kana: Name = Field("", max_length=80, description="reading of the name in kana (search by it)")
    phone: Phone
    phones: list[Phone] = Field([], max_length=4, description="further numbers (mobile, family)")
    home: PointIn | None = None
    nearest_stops: list[PlaceKey] = Field([], max_length=3, description="place keys of the stops nearest home")
    municipality: JisCode | None = None
    fare_class: FareClass = FareClass.RESIDENT
    wheelchair: bool = False
    mobility: Mobility | None = None
    notes: Notes = Field("", max_length=300)
    care_notes: Notes = Field("", max_length=500, description="what the driver should know (not logged)")
    emergency_contact: EmergencyContact | None = None
    registered_on: Day | None = Field(None, description="default: today")


class RiderChange(Strict):
    """Fields of a rider to change (PATCH); the rest stay. ``active: false`` deactivates (kept, not bookable)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"minProperties": 1})

    # name, phone, fare_class, active and the counts cannot be removed: not nullable in the document (null: 422)
    name: Name = Field(None, min_length=1, max_length=80)  # type: ignore[assignment]
    kana: Name | None = Field(None, max_length=80)
    phone: Phone = None  # type: ignore[assignment]
    phones: list[Phone] | None = Field(None, max_length=4)
    home: PointIn | None = None
    nearest_stops: list[PlaceKey] | None = Field(None, max_length=3)
    municipality: JisCode | None = None
    fare_class: FareClass = None  # type: ignore[assignment]
    mobility: Mobility | None = None
    notes: Notes | None = Field(None, max_length=300)
    care_notes: Notes | None = Field(None, max_length=500)
    emergency_contact: EmergencyContact | None = None
    registered_on: Day | None = None
    no_show_count: Annotated[int, Count] = Field(None, ge=0, le=10_000, strict=True)  # type: ignore[assignment]
    late_cancel_count: Annotated[int, Count] = Field(None, ge=0, le=10_000, strict=True)  # type: ignore[assignment]
    active: bool = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _something(self) -> RiderChange:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        for name in ("name", "phone", "fare_class", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be removed")
        return self


class RiderOut(BaseModel):
    id: str
    name: str
    kana: str = ""
    phone: str
    phones: list[str] = []
    home: LocationOut | None
    nearest_stops: list[LocationOut] = []
    municipality: str | None = None
    fare_class: FareClass
    wheelchair: bool
    mobility: Mobility = Mobility()
    notes: str
    care_notes: str = ""
    emergency_contact: EmergencyContact | None = None
    registered_on: str | None = None
    no_show_count: int = 0
    late_cancel_count: int = 0
    active: bool = True
    created_at: str
    updated_at: str | None = None


class RiderEdit(BaseModel):
    """One change of a rider: who, when, and each field's old and new value."""

    at: str
    by: str
    changes: dict[str, list]


class TimeKindIn(StrEnum):
    DEPART_AFTER = "depart_after"
    ARRIVE_BY = "arrive_by"


class BookingIn(Strict):
    rider_id: Name | None = Field(None, max_length=40)
    pickup: PointIn
    dropoff: PointIn
    time: datetime = Field(description="depart after / arrive by this Tokyo time")
    time_kind: TimeKindIn = TimeKindIn.DEPART_AFTER
    seats: Annotated[int, Count] = Field(1, ge=0, le=8, strict=True, description="riders in ordinary seats")
    wheelchairs: Annotated[int, Count] = Field(0, ge=0, le=4, strict=True,
                                               description="riders staying in their wheelchair")
    fare_class: FareClass | None = Field(None, description="default: the rider's")
    notes: Notes = Field("", max_length=300)

    @model_validator(mode="after")
    def _party(self) -> BookingIn:
        if self.seats + self.wheelchairs < 1:
            raise ValueError("a booking carries at least one rider (seats + wheelchairs >= 1)")
        return self


class CancelReason(StrEnum):
    """Why a booking is cancelled (stable codes; Japanese labels in :data:`api.readout.CANCEL_REASONS`)."""

    RIDER = "rider"  # 本人都合
    ILLNESS = "illness"  # 体調不良
    WEATHER = "weather"  # 天候
    OPERATOR = "operator"  # 運行側都合
    NO_SHOW = "no_show"  # 無断キャンセル


class CancelIn(Strict):
    reason: CancelReason
    note: Notes = Field("", max_length=300)


class BookingChange(Strict):
    """Fields of a booking to change; the rest stay. The old booking stands if the new one cannot be served."""

    pickup: PointIn | None = None
    dropoff: PointIn | None = None
    time: datetime | None = None
    time_kind: TimeKindIn | None = None
    seats: Annotated[int | None, Count] = Field(None, ge=0, le=8, strict=True)
    wheelchairs: Annotated[int | None, Count] = Field(None, ge=0, le=4, strict=True)
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
    vehicle_label: str | None = None
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
    vehicle_label: str | None = Field(None, description="the vehicle as staff name it (富岡 2号)")
    pickup_window: Window
    expected_pickup: str
    expected_dropoff: str
    fare_yen: int
    legs: list[LegOut] = []
    hold_until: str | None = None


class PartyPart(BaseModel):
    seats: int
    wheelchairs: int


class RejectionOut(BaseModel):
    reason: str
    message: str = Field(description="the engine's reason (English)")
    message_ja: str = Field("", description="the reason in Japanese, from the console's catalogue")
    alternatives: list[str] = Field([], description="requested times that could be served; out of hours: the "
                                    "first and last possible times")
    split: list[PartyPart] = Field([], description="a party larger than any vehicle: parts that each fit one")


class CancellationOut(BaseModel):
    reason: str
    label_ja: str
    note: str = ""
    at: str
    by: str = ""
    late: bool = False


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
    state: str = Field("", description="status as the desk reads it: the status, or lapsed (an offer whose hold "
                       "ran out) and declined (an offer the caller said no to)")
    rider_name: str | None = None
    cancellation: CancellationOut | None = None
    cancel_deadline: str | None = Field(None, description="cancel before this time or it counts as late")
    round_trip_id: str | None = None
    round_trip_leg: Literal["outbound", "return"] | None = None
    open_return: bool | None = Field(None, description="an outbound whose return the rider calls for")
    standing_id: str | None = Field(None, description="the standing booking (定期予約) this occurrence is of")
    priority: Literal["open_return"] | None = Field(
        None, description="open_return: a rider's call for the return home, placed with the reserve of a wider wait")


class BreakIn(Strict):
    """A driver's break (休憩) in the vehicle's shift, in Tokyo time of the service day."""

    earliest: str = Field(pattern=r"^\d{2}:\d{2}$", description="earliest start HH:MM")
    latest: str | None = Field(
        None, pattern=r"^\d{2}:\d{2}$", description="latest start HH:MM (default: earliest, a fixed-time break)")
    minutes: int = Field(ge=1, le=240, strict=True, description="length of the break in minutes")
    place: Name = Field(
        "depot", max_length=120,
        description='where it is taken: "depot", "anywhere" (where the vehicle is) or a place key')

    @model_validator(mode="after")
    def _window(self) -> BreakIn:
        if self.latest is not None and _hhmm(self.latest) < _hhmm(self.earliest):
            raise ValueError("a break's latest start must not be before its earliest start")
        return self


class VehicleIn(Strict):
    id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")
    municipality: str = Field(pattern=r"^\d{5}$", description="JIS code of the fleet owner")
    seats: Annotated[int, Count] = Field(7, ge=1, le=20, strict=True)
    wheelchair_places: Annotated[int, Count] = Field(0, ge=0, le=4, strict=True)
    depot: Name = Field(max_length=120, description="place key of the depot")
    shift_start: str = Field("08:00", pattern=r"^\d{2}:\d{2}$")
    shift_end: str = Field("17:00", pattern=r"^\d{2}:\d{2}$")
    service_area: list[str] | None = Field(None, description="JIS codes served; default: every municipality")
    label: Name = Field("", max_length=80)
    breaks: list[BreakIn] = Field(default_factory=list, max_length=6, description="the shift's breaks (休憩)")

    @model_validator(mode="after")
    def _shift(self) -> VehicleIn:
        start, end = _hhmm(self.shift_start), _hhmm(self.shift_end)
        if end <= start:
            raise ValueError("shift_end must be after shift_start")
        spans = []
        for n, b in enumerate(self.breaks):
            lo, hi = _hhmm(b.earliest), _hhmm(b.latest or b.earliest)
            if lo < start or hi + 60 * b.minutes > end:
                raise ValueError(f"break {n + 1} ({b.earliest}-{b.latest or b.earliest}, {b.minutes} min) does not"
                                 f" fit in the shift {self.shift_start}-{self.shift_end}")
            spans.append((lo, hi, 60 * b.minutes))
        spans.sort()
        for (lo, _, length), (_, hi, _) in zip(spans, spans[1:], strict=False):
            if hi < lo + length:
                raise ValueError("two breaks overlap: a break must be able to start after the one before it ends")
        return self


def _hhmm(value: str) -> int:
    hours, minutes = (int(p) for p in value.split(":"))
    if hours > 30 or minutes > 59:
        raise ValueError(f"{value} is not a time HH:MM")
    return hours * 3600 + minutes * 60


class VehicleEventIn(Strict):
    type: Literal["position", "arrived", "boarded", "no_show", "dropped", "shift_start", "shift_end",
                  "break_start", "break_end"]
    booking_id: Name | None = Field(None, max_length=40)
    break_id: Name | None = Field(None, max_length=80, description="for break_start/break_end: the plan's break item")
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
        if self.type in ("break_start", "break_end") and not self.break_id:
            raise ValueError(f"a {self.type} event needs break_id")
        return self


class ReassignIn(Strict):
    booking_id: str = Field(min_length=1, max_length=40, pattern=r"\S")  # after stripping spaces, not empty
    vehicle_id: str = Field(min_length=1, max_length=40, pattern=r"\S")  # after stripping spaces, not empty
    pin: bool = Field(True, description="keep the booking on this vehicle through re-optimisation (until unpinned)")


class UnpinIn(Strict):
    booking_id: str = Field(min_length=1, max_length=40, pattern=r"\S")  # after stripping spaces, not empty


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
