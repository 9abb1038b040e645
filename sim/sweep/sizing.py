"""The planner's answer to ``--target``: the smallest grid point that meets it, area-wide and per town.

"Smallest" is fewest vehicles (all fleets together; grid order breaks ties). Where fleet sizes are
varied per municipality (``--vary fleets.Tomioka.vehicles=...``), each such municipality gets its own
answer: the fewest of its vehicles at which its own trips meet the target (see
:func:`sim.sweep.target.judge`), then fewest vehicles overall.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.sweep.runner import PointResult
from sim.sweep.target import Target, judge


def total_vehicles(result: PointResult) -> int:
    return sum(f.vehicles for f in result.point.scenario.fleets)


def _answer(scope: str, best: PointResult | None, bounds: dict[str, Any], vehicles: int | None) -> dict[str, Any]:
    return {"scope": scope, "point": None if best is None else best.point.index,
            "label": None if best is None else best.point.label,
            "values": None if best is None else best.point.values, "vehicles": vehicles, "bounds": bounds}


def answer(target: Target, results: Sequence[PointResult], fleet_keys: dict[str, str]) -> dict[str, Any]:
    """``{"expression", "answers": [...]}`` for ``sweep.json`` (one answer per scope)."""
    ok = [r for r in results if r.ok and r.kpis is not None]
    answers = []
    meeting = [(r, judge(target, r.kpis)) for r in ok]  # type: ignore[arg-type]
    meeting = [(r, b) for r, (m, b) in meeting if m]
    best = min(meeting, key=lambda x: (total_vehicles(x[0]), x[0].point.index), default=None)
    answers.append(_answer("area / 全域", best[0] if best else None, best[1] if best else {},
                           total_vehicles(best[0]) if best else None))
    for key, municipality in fleet_keys.items():
        mine = [(r, judge(target, r.kpis, municipality)) for r in ok]  # type: ignore[arg-type]
        mine = [(r, b) for r, (m, b) in mine if m]
        pick = min(mine, key=lambda x: (x[0].point.values[key], total_vehicles(x[0]), x[0].point.index),
                   default=None)
        answers.append(_answer(municipality, pick[0] if pick else None, pick[1] if pick else {},
                               pick[0].point.values[key] if pick else None))
    return {"expression": target.text, "answers": answers}
