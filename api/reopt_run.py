"""The outcome of one re-optimisation by the area writer (what the worker logs and a request reports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReoptimisationRun:
    """What one re-optimisation by the writer came to.

    ``status``: ``published`` (a better plan was committed), ``unchanged`` (nothing better, or not safe:
    ``reason`` says), ``discarded`` (the plans changed while the solver ran; the next round tries again),
    ``busy`` (no lease), ``empty`` (no booking for the day). ``result`` is the engine's
    :class:`dispatch.online.reoptimise.ReoptimisationResult` (None when nothing was solved); seconds wall-clock.
    """

    status: str
    reason: str = ""
    result: Any | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        out: dict[str, Any] = {"status": self.status, "reason": self.reason, "seconds": round(self.seconds, 3)}
        if r is not None:
            out.update(saved_m=round(r.saved_m, 1), moved=r.moved, cost_before_m=round(r.cost_before_m, 1),
                       cost_after_m=round(r.cost_after_m, 1), requests=r.requests, vehicles=r.vehicles,
                       solver=r.solver, solver_seconds=round(r.seconds, 3))
        return out
