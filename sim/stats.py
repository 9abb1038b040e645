"""Confidence intervals over replications: the mean and its 95 % t interval, and paired differences.

Replications of a scenario are independent days of the same system (seeds derived from the scenario's
seed), so a KPI's replication values are a sample; its mean has a Student-t interval with ``n - 1``
degrees of freedom. Two scenarios run on common random numbers (the same demand in each replication)
are compared by the per-replication differences, whose interval is much narrower than the two
separate intervals suggest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from scipy.stats import t as student_t

CONFIDENCE = 0.95
DIGITS = 4


def _clean(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


def t_interval(values: Sequence[float | None], confidence: float = CONFIDENCE) -> tuple[float | None, list | None]:
    """Mean and two-sided ``confidence`` interval of the mean (Student t); Nones are left out.

    Returns ``(None, None)`` without values and ``(mean, None)`` with one (no spread to measure).
    """
    xs = _clean(values)
    if not xs:
        return None, None
    mean = sum(xs) / len(xs)
    if len(xs) < 2:
        return round(mean, DIGITS), None
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
    half = float(student_t.ppf(0.5 + confidence / 2, len(xs) - 1)) * sd / math.sqrt(len(xs))
    return round(mean, DIGITS), [round(mean - half, DIGITS), round(mean + half, DIGITS)]


def summary(values: Sequence[float | None]) -> dict[str, Any]:
    """``{"mean", "ci95", "n", "values"}`` of one KPI over replications (``values`` in replication order)."""
    mean, ci = t_interval(values)
    return {"mean": mean, "ci95": ci, "n": len(_clean(values)), "values": list(values)}


def paired_difference(a: Sequence[float | None], b: Sequence[float | None]) -> dict[str, Any]:
    """``b - a`` per replication (pairs where either is None are left out): mean, ci95, significance.

    ``significant`` is True when the 95 % interval of the difference excludes zero, False when it
    contains it, None when there are fewer than two pairs.
    """
    diffs = [None if x is None or y is None else float(y) - float(x) for x, y in zip(a, b, strict=True)]
    mean, ci = t_interval(diffs)
    significant = None if ci is None else not (ci[0] <= 0.0 <= ci[1])
    if ci is not None and ci[0] == ci[1] == 0.0:
        significant = False  # identical in every replication
    return {"mean": mean, "ci95": ci, "n": len(_clean(diffs)), "significant": significant}


def is_summary(value: Any) -> bool:
    """True for a dict made by :func:`summary`."""
    return isinstance(value, dict) and "ci95" in value and "values" in value and "mean" in value
