"""The municipal reports of the admin pages, as tables."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ReportTableOut(BaseModel):
    title: str = Field(description="Japanese first, then English")
    header: list[str]
    rows: list[list[str | int | float]] = Field(description="a row per municipality, reason, station or month; "
                                                "the last row is the total where the table has one")


class ReportMunicipalityOut(BaseModel):
    code: str = Field(description="JIS code")
    name: str


class ReportOut(BaseModel):
    """A municipal report from the history (``python -m api.report`` gives the same tables)."""

    kind: Literal["monthly", "yearly", "transport_results"]
    period: str = Field(description="YYYY-MM or YYYY")
    start: str
    end: str
    title: str
    days_with_data: int = Field(description="service days of the period found in the history")
    municipality: str | None = Field(description="the municipality the tables are limited to, or null: all")
    municipalities: list[ReportMunicipalityOut]
    cost_rule: str
    tables: list[ReportTableOut]
