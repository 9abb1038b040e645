"""What every reader returns, and where the data are looked for."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dispatch.problem import RoutingProblem

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_VAR = "KANRA_BENCH_DATA"


@dataclass
class BenchInstance:
    """A benchmark instance as a routing problem, with what the file said about itself.

    Parameters
    ----------
    name
        Instance name (file stem), e.g. ``lr101`` or ``a2-16``.
    problem
        The instance; times and distances in the instance's own units (Euclidean, speed 1).
    fleet_size
        Vehicles available (Li & Lim: the file's K; Cordeau: K).
    capacity
        Capacity of every vehicle.
    nodes
        Number of node lines read (depot(s) included).
    """

    name: str
    problem: RoutingProblem
    fleet_size: int
    capacity: int
    nodes: int


def default_data_dir() -> Path:
    """``$KANRA_BENCH_DATA`` if set, else ``../shared/bench_data`` relative to the repository root."""
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else (REPO_ROOT.parent / "shared" / "bench_data").resolve()


def euclidean(xy: np.ndarray) -> np.ndarray:
    """Pairwise Euclidean distances (double precision, no rounding) of an (n, 2) array."""
    diff = xy[:, None, :] - xy[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def number_rows(path: Path) -> list[list[float]]:
    """Whitespace-separated numeric rows of a text file, blank lines skipped (CRLF tolerated)."""
    rows: list[list[float]] = []
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append([float(x) for x in line.split()])
        except ValueError:
            raise ValueError(f"{path}:{lineno}: expected numbers, got {line.strip()[:60]!r}") from None
    return rows
