"""Where: a named place or an address point as callers send it, and a location as the API answers it."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, model_validator

from api.schemas.common import Latitude, Longitude, Name, Strict, _single_line


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


PlaceKey = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_single_line)]
