"""Best-known solutions from the data folder's ``BKS.csv``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BestKnown:
    """Best-known vehicles and cost of one instance (``evidence`` says how well it is backed)."""

    vehicles: int
    cost: float
    evidence: str = ""


def read_bks(path: Path) -> dict[str, BestKnown]:
    """Map instance name to its best-known values; columns ``instance, vehicles, best_known_cost``."""
    out: dict[str, BestKnown] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            out[row["instance"]] = BestKnown(
                vehicles=int(row["vehicles"]),
                cost=float(row["best_known_cost"]),
                evidence=row.get("evidence") or row.get("verified_here") or "",
            )
    return out
