"""Bookings: a request, a cancellation or change, and the booking with its offer, refusal or cancellation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import Count, Name, Notes, Strict
from api.schemas.places import LocationOut, PointIn
from api.schemas.riders import FareClass

BookingStatusName = Literal["requested", "offered", "confirmed", "assigned", "onboard", "completed", "cancelled",
                            "no_show", "rejected"]
"""A booking's status (``dispatch.model.BookingStatus``), as the document lists them."""


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
    status: BookingStatusName
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
