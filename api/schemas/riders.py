"""The rider registry: riders as the phone desk registers and changes them, and as the API answers them."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Count, Day, Name, Notes, Strict
from api.schemas.places import LocationOut, PlaceKey, PointIn

_PHONE_CHARS = re.compile(r"^[0-9+\-() ]+$")


def phone_digits(phone: str) -> str:
    """Normalise a Japanese phone number to its national digits (``+81 90-...`` -> ``090...``)."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("81") and phone.strip().startswith("+"):
        digits = "0" + digits[2:]
    return digits


def _phone(value: str) -> str:
    if not _PHONE_CHARS.match(value):
        raise ValueError("a phone number has digits, spaces, +, - and parentheses only")
    digits = phone_digits(value)
    if not (10 <= len(digits) <= 11 and digits.startswith("0")):
        raise ValueError("a Japanese phone number has 10 or 11 digits starting with 0")
    return value


Phone = Annotated[str, Field(min_length=10, max_length=20, examples=["0274-62-1234"]), AfterValidator(_phone)]
JisCode = Annotated[str, Field(pattern=r"^\d{5}$", description="JIS municipality code, e.g. 10210 (富岡市)")]


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
