"""``--target "rejection_rate<=0.05 and wait_p95_min<=15"``: a service level, parsed without ``eval``.

Grammar: ``condition ("and" condition)*``, ``condition = KPI op NUMBER``, ``op`` one of ``<=``, ``<``,
``>=``, ``>``. A KPI is a ``kpis.json`` dotted path (``wait_min.p95``) or one of the short names in
:data:`ALIASES`. A point meets a condition with its confidence bound, not its mean: the upper bound of
the 95 % interval for ``<=``/``<`` (a rate that must be low), the lower bound for ``>=``/``>``; with one
replication there is no interval and the mean is used.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.kpis import lookup
from sim.schema import ScenarioError
from sim.stats import is_summary

ALIASES = {
    "wait_mean_min": "wait_min.mean", "wait_median_min": "wait_min.median", "wait_p95_min": "wait_min.p95",
    "ride_mean_min": "ride_min.mean", "ride_p95_min": "ride_min.p95", "detour_mean": "detour_factor.mean",
    "station_riders_per_day": "station_feeding.riders_per_day",
}
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt,
}
_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(<=|>=|<|>)\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Condition:
    """``kpi op threshold`` (``kpi`` a dotted path into ``kpis.json``)."""

    name: str
    kpi: str
    op: str
    threshold: float

    def bound(self, kpis: dict[str, Any]) -> float | None:
        """The value the condition is judged on: the interval's bound on the unfavourable side."""
        value = lookup(kpis, self.kpi)
        if is_summary(value):
            if value["ci95"] is None:
                return value["mean"]
            return value["ci95"][1] if self.op in ("<=", "<") else value["ci95"][0]
        return value if isinstance(value, int | float) else None

    def met(self, kpis: dict[str, Any]) -> bool:
        bound = self.bound(kpis)
        return bound is not None and _OPS[self.op](bound, self.threshold)


@dataclass(frozen=True)
class Target:
    """All conditions of ``--target`` (joined by ``and``)."""

    text: str
    conditions: tuple[Condition, ...]

    def met(self, kpis: dict[str, Any]) -> bool:
        return all(c.met(kpis) for c in self.conditions)

    def bounds(self, kpis: dict[str, Any]) -> dict[str, float | None]:
        return {c.name: c.bound(kpis) for c in self.conditions}


def parse_target(text: str, example_kpis: dict[str, Any] | None = None) -> Target:
    """Parse ``--target``; an unknown KPI (checked against ``example_kpis`` when given) or bad syntax is a
    :class:`ScenarioError` naming it."""
    parts = re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE)
    conditions = []
    for part in parts:
        match = _CONDITION.match(part)
        if not match:
            raise ScenarioError(f"--target: cannot read {part!r}; write e.g. \"rejection_rate<=0.05 and "
                                "wait_p95_min<=15\" (KPI, one of <= < >= >, a number)")
        name, op, number = match.groups()
        kpi = ALIASES.get(name, name)
        if example_kpis is not None and _missing(example_kpis, kpi):
            known = ", ".join(sorted(ALIASES)) + ", or a kpis.json path such as rejection_rate"
            raise ScenarioError(f"--target: unknown KPI {name!r}; known short names: {known}")
        value = lookup(example_kpis or {}, kpi)
        if example_kpis is not None and not (is_summary(value) or isinstance(value, int | float | type(None))):
            raise ScenarioError(f"--target: {name!r} is a table in kpis.json, not a number")
        conditions.append(Condition(name, kpi, op, float(number)))
    return Target(text, tuple(conditions))


def _missing(kpis: dict[str, Any], dotted: str) -> bool:
    value: Any = kpis
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return True
        value = value[part]
    return False


def _scoped(kpis: dict[str, Any], municipality: str | None) -> dict[str, Any] | None:
    """The per-municipality table of ``municipality`` (matched case-insensitively), None if absent."""
    if municipality is None:
        return kpis
    table = kpis.get("per_origin_municipality") or {}
    for name, row in table.items():
        if name.lower() == municipality.lower():
            return row
    return None


def judge(target: Target, kpis: dict[str, Any], municipality: str | None = None) -> tuple[bool, dict[str, Any]]:
    """Whether ``kpis`` meet the target, and the bounds it was judged on.

    With ``municipality`` each condition is judged on that municipality's trips
    (``per_origin_municipality``) where the table has the KPI, and area-wide where it does not
    (cost per rider, say).
    """
    scoped = _scoped(kpis, municipality)
    met, bounds = True, {}
    for c in target.conditions:
        source = scoped if scoped is not None and not _missing(scoped, c.kpi) else kpis
        bound = c.bound(source)
        bounds[c.name] = bound
        met = met and bound is not None and _OPS[c.op](bound, c.threshold)
    return met, bounds
