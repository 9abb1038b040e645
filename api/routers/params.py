"""Query parameters shared by several routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

from api.schemas import valid_day

DayQuery = Annotated[
    str | None,
    Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="service day YYYY-MM-DD (default today, Tokyo)"),
    AfterValidator(valid_day),
]
