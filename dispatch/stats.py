"""Counters of one dispatcher's day: what was asked, offered, refused, and where the time went."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class DispatchStats:
    """Running totals (counts; seconds of wall clock; metres).

    ``insertion_seconds`` is time spent answering requests (insertion search and alternatives),
    ``solver_seconds`` time spent in re-optimisation (building, solving, validating). The simulator
    reports the share of its run spent in the solver from these.
    """

    requests: int = 0
    offers: int = 0
    confirmations: int = 0
    declines: int = 0
    cancellations: int = 0
    modifications: int = 0
    expired_offers: int = 0
    reassignments: int = 0
    rejections: dict[str, int] = field(default_factory=dict)
    reoptimisation_runs: int = 0
    reoptimisations_published: int = 0
    reoptimisation_saved_m: float = 0.0
    insertion_seconds: float = 0.0
    solver_seconds: float = 0.0
    completed: int = 0
    no_shows: int = 0

    def reject(self, reason: str) -> None:
        self.rejections[reason] = self.rejections.get(reason, 0) + 1

    @property
    def rejected(self) -> int:
        return sum(self.rejections.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DispatchStats:
        return cls(**{**data, "rejections": dict(data.get("rejections", {}))})
