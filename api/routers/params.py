"""Query parameters shared by several routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from api.schemas import Area, Day

DayQuery = Annotated[Day | None, Query(description="service day YYYY-MM-DD (default today, Tokyo)")]
AreaQuery = Annotated[Area | None, Query(description="one service area of KANRA_AREAS (default: every area)")]
