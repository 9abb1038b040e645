"""Vehicles: a vehicle of the fleet as the administration registers it, and a driver's events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from api.schemas.common import Count, Latitude, Longitude, Name, Strict


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
