"""Query parameters shared by several routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.schemas import Day

DayQuery = Annotated[Day | None, Query(description="service day YYYY-MM-DD (default today, Tokyo)")]
