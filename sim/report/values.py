"""KPI values as the report prints them: a single run's plain number, or a replicated mean with its interval.

Replicated runs store each scalar KPI as ``{"mean": x, "ci95": [low, high], "n": N, "values": [...]}``;
a single run stores the plain value. Every table of the report goes through :func:`show`.
"""

from __future__ import annotations

from typing import Any


def is_replicated(value: Any) -> bool:
    """True for a replicated KPI (a mapping with ``mean`` and ``ci95``)."""
    return isinstance(value, dict) and "mean" in value and "ci95" in value


def scalar(value: Any) -> Any:
    """The point value: the mean of a replicated KPI, else the value itself."""
    return value["mean"] if is_replicated(value) else value


def interval(value: Any) -> tuple[float, float] | None:
    """The 95% confidence interval of a replicated KPI, or None."""
    if not is_replicated(value) or value["ci95"] is None:
        return None
    low, high = value["ci95"]
    if low is None or high is None:
        return None
    return float(low), float(high)


def lookup(kpis: dict[str, Any], dotted: str) -> Any:
    """The value at a dotted key (``wait_min.mean``), or None; a replicated KPI is returned whole."""
    value: Any = kpis
    for part in dotted.split("."):
        if is_replicated(value) or not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def fmt_one(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    try:
        if "d}" in fmt and isinstance(value, float):
            return fmt.replace(":d}", ":,.1f}").replace(":,d}", ":,.1f}").format(value)
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def show(value: Any, fmt: str = "{}") -> str:
    """``value`` printed with ``fmt``; a replicated KPI as ``mean [low – high]``.

    An integer format applied to a mean (a fractional count) prints one decimal.
    """
    point = scalar(value)
    text = fmt_one(point, fmt)
    band = interval(value)
    if band is not None:
        text += f" [{fmt_one(band[0], fmt)} – {fmt_one(band[1], fmt)}]"
    return text


def number(value: Any) -> float | None:
    """The point value as a float, or None if it is not a number."""
    point = scalar(value)
    return float(point) if isinstance(point, int | float) and not isinstance(point, bool) else None
