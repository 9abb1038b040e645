"""Schemathesis hooks of the command-line runs (``SCHEMATHESIS_HOOKS``): keep each call short.

The event stream stays open until the client leaves, so every generated ``GET /events`` closes within
0.3 s (``wait_s``), and a re-optimisation gets at most 0.3 s of search.
"""

from __future__ import annotations

from typing import Any

import schemathesis


def _short(value: Any, most: float) -> Any:
    """``value`` capped at ``most`` when it is a schema-valid positive number, unchanged otherwise."""
    if value is None:
        return most
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value:
        return min(float(value), most)
    return value


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if case.path == "/events":
        query = dict(case.query or {})
        wait = query.get("wait_s")
        if wait is None or (isinstance(wait, int | float) and not isinstance(wait, bool) and 0 < wait <= 3600):
            query["wait_s"] = _short(wait, 0.3)
        case.query = query
    if case.path == "/dispatch/reoptimise" and isinstance(case.body, dict):
        limit = case.body.get("time_limit_s")
        if isinstance(limit, int | float) and not isinstance(limit, bool) and 0 < limit <= 30:
            case.body["time_limit_s"] = _short(limit, 0.3)
    return case
