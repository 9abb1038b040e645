"""What every resource's models share: text hygiene, days, counts, coordinates, service areas, the
error body and the strict base of request bodies."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

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
CONFIGURED_AREAS = "x-kanra-configured-areas"
"""Marks a schema whose string is one of the deployment's service areas (``KANRA_AREAS``): the OpenAPI
document lists them as its ``enum`` (``api.app``), the route refuses any other with 422."""
Area = Annotated[str, Field(json_schema_extra={CONFIGURED_AREAS: True})]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


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
