"""The dispatcher's commands: reassign, unpin, lock a vehicle's next stops, re-optimise, and a command's outcome."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Area, Day, Strict


class ReassignIn(Strict):
    booking_id: str = Field(min_length=1, max_length=40, pattern=r"\S")  # after stripping spaces, not empty
    vehicle_id: str = Field(min_length=1, max_length=40, pattern=r"\S")  # after stripping spaces, not empty
    pin: bool = Field(True, description="keep the booking on this vehicle through re-optimisation (until unpinned)")


class LockedStopIn(Strict):
    booking_id: str = Field(min_length=1, max_length=40, pattern=r"\S")
    kind: Literal["pickup", "dropoff"]


class LockSequenceIn(Strict):
    vehicle_id: str = Field(min_length=1, max_length=40, pattern=r"\S")
    stops: list[LockedStopIn] = Field(min_length=1, max_length=40,
                                      description="the vehicle's next stops, in the order it must make them")


class UnlockSequenceIn(Strict):
    vehicle_id: str = Field(min_length=1, max_length=40, pattern=r"\S")


class UnpinIn(Strict):
    booking_id: str = Field(min_length=1, max_length=40, pattern=r"\S")  # after stripping spaces, not empty


class ReoptimiseIn(Strict):
    day: Day | None = None
    area: Area | None = Field(None, description="one service area (default: every area)")
    time_limit_s: float = Field(2.0, gt=0, le=30)


class CommandOut(BaseModel):
    """Outcome of a command applied by the area's writer."""

    ok: bool
    entry_id: str
    booking_id: str | None = None
    error: str | None = None
    detail: dict | None = None
