"""Demand for another year: the IPSS population projection per municipality and the area's ageing.

``data/osm_gunma/population_projection.csv`` holds the 2015 census and the IPSS (2018) projection for
2020-2040 per municipality; ``aged_share_area.csv`` the area's share aged 65+ (33.3 % in 2015, 47.6 %
in 2040; linear in between). For ``demand.year`` Y, each municipality's residents are its 2020 census
count times ``proj_Y / proj_2020``; each municipality's aged share (the scenario's, which describes
2020) is shifted on the odds scale by one common factor, chosen so that the population-weighted area
share rises by as many points from 2020 to Y as the area figures do. Year 2020 changes nothing.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from routing.facts import DEFAULT_DATA_DIR

BASE_YEAR = 2020


@dataclass(frozen=True)
class Projection:
    """Projected residents per municipality (JIS code) and year, and the area's aged share by year."""

    population: dict[str, dict[int, int]]
    aged_share: dict[int, float]

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted(next(iter(self.population.values()))))

    def area_aged_share(self, year: int) -> float:
        """The area's share aged 65+ in ``year``, linear between the given years (clamped at the ends)."""
        known = sorted(self.aged_share)
        if year <= known[0]:
            return self.aged_share[known[0]]
        for a, b in zip(known, known[1:], strict=False):
            if year <= b:
                return self.aged_share[a] + (self.aged_share[b] - self.aged_share[a]) * (year - a) / (b - a)
        return self.aged_share[known[-1]]


@cache
def load_projection(data_dir: Path = DEFAULT_DATA_DIR) -> Projection:
    """Read the projection files of ``data_dir``."""
    population: dict[str, dict[int, int]] = {}
    with (Path(data_dir) / "population_projection.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["jis_code"] == "all":
                continue
            population[row["jis_code"]] = {int(k[5:]): int(v) for k, v in row.items() if k.startswith("proj_")}
    with (Path(data_dir) / "aged_share_area.csv").open(encoding="utf-8") as fh:
        aged = {int(r["year"]): float(r["aged_65_plus_share"]) for r in csv.DictReader(fh)}
    return Projection(population, aged)


def projection_years() -> tuple[int, ...]:
    """Years ``demand.year`` may take."""
    return load_projection().years


def _shifted(share: float, factor: float) -> float:
    if share <= 0 or share >= 1:
        return share
    odds = share / (1 - share) * factor
    return odds / (1 + odds)


def adjust_to_year(census_2020: dict[str, int], aged_2020: dict[str, float], year: int,
                   projection: Projection | None = None) -> dict[str, tuple[float, float]]:
    """Per municipality: (residents in ``year``, aged share in ``year``).

    Parameters
    ----------
    census_2020
        Residents by JIS code, 2020 census.
    aged_2020
        Share aged 65+ by JIS code as the scenario gives it (for 2020).
    year
        A year of the projection.
    """
    projection = projection or load_projection()
    if year not in projection.years:
        raise ValueError(f"year {year} is not in the population projection; known: "
                         f"{', '.join(map(str, projection.years))}")
    residents = {}
    for jis, people in census_2020.items():
        series = projection.population.get(jis)
        residents[jis] = people * series[year] / series[BASE_YEAR] if series else float(people)
    rise = projection.area_aged_share(year) - projection.area_aged_share(BASE_YEAR)
    total_2020 = sum(census_2020.values()) or 1
    target = sum(census_2020[j] * aged_2020.get(j, 0.33) for j in census_2020) / total_2020 + rise
    total = sum(residents.values()) or 1

    def weighted(log_factor: float) -> float:
        f = math.exp(log_factor)
        return sum(residents[j] * _shifted(aged_2020.get(j, 0.33), f) for j in residents) / total

    low, high = -10.0, 10.0
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if weighted(mid) < target else (low, mid)
    factor = math.exp((low + high) / 2) if year != BASE_YEAR else 1.0
    return {j: (residents[j], _shifted(aged_2020.get(j, 0.33), factor)) for j in residents}
