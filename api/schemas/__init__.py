"""Pydantic models at the HTTP boundary: what callers send and what they get back, one module per resource
(:mod:`~api.schemas.common` holds what they share); every name is importable from ``api.schemas``.

Times are ISO 8601 (Asia/Tokyo, e.g. ``2026-12-01T10:00:00+09:00``); a time without an offset is read
as Tokyo time. Coordinates are WGS84 degrees, distances metres.
"""

from __future__ import annotations

from api.schemas.bookings import (
    BookingChange,
    BookingIn,
    BookingOut,
    BookingStatusName,
    CancelIn,
    CancellationOut,
    CancelReason,
    LegOut,
    OfferOut,
    PartyPart,
    RejectionOut,
    TimeKindIn,
    Window,
)
from api.schemas.common import (
    CONFIGURED_AREAS,
    ERROR_RESPONSES,
    Area,
    Count,
    Day,
    ErrorItem,
    ErrorOut,
    Latitude,
    Longitude,
    Name,
    Notes,
    Strict,
    valid_day,
    whole_number,
)
from api.schemas.dispatch import (
    CommandOut,
    LockedStopIn,
    LockSequenceIn,
    ReassignIn,
    ReoptimiseIn,
    UnlockSequenceIn,
    UnpinIn,
)
from api.schemas.places import LocationOut, PlaceKey, PointIn
from api.schemas.reports import ReportMunicipalityOut, ReportOut, ReportTableOut
from api.schemas.riders import (
    FARE_RULE_CLASS,
    EmergencyContact,
    FareClass,
    JisCode,
    Mobility,
    Phone,
    RiderChange,
    RiderEdit,
    RiderIn,
    RiderOut,
    phone_digits,
)
from api.schemas.vehicles import BreakIn, VehicleEventIn, VehicleIn

__all__ = [
    "CONFIGURED_AREAS", "ERROR_RESPONSES", "FARE_RULE_CLASS", "Area", "BookingChange", "BookingIn", "BookingOut",
    "BookingStatusName", "BreakIn", "CancelIn", "CancelReason", "CancellationOut", "CommandOut", "Count", "Day",
    "EmergencyContact", "ErrorItem", "ErrorOut", "FareClass", "JisCode", "Latitude", "LegOut", "LocationOut",
    "LockSequenceIn", "LockedStopIn", "Longitude", "Mobility", "Name", "Notes", "OfferOut", "PartyPart", "Phone",
    "PlaceKey", "PointIn", "ReassignIn", "RejectionOut", "ReoptimiseIn", "ReportMunicipalityOut", "ReportOut",
    "ReportTableOut", "RiderChange", "RiderEdit", "RiderIn", "RiderOut", "Strict", "TimeKindIn", "UnlockSequenceIn",
    "UnpinIn", "VehicleEventIn", "VehicleIn", "Window", "phone_digits", "valid_day", "whole_number",
]
