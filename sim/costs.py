"""The operating cost split between the municipalities under the scenario's cost-sharing rule.

Rules (``costs.sharing.rule``): ``vehicle_km`` (each pays for the vehicle-km driven inside it, the
road position of every metre counted), ``riders_resident`` (by riders served who live there) or
``fixed`` (agreed shares). Beside each share: the municipality's riders (residents served), fares they
paid, and the share net of those fares. Money in yen.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from routing.facts import RegionFacts
from sim.records import LegRecord, VehicleRecord
from sim.region import resolve_municipality
from sim.scenario import CostSharingSpec


def fixed_shares(spec: CostSharingSpec, facts: RegionFacts) -> dict[str, float]:
    """The ``fixed`` shares keyed by JIS code ({} for the other rules); unknown names raise ScenarioError."""
    out: dict[str, float] = {}
    for key, share in spec.shares.items():
        jis = resolve_municipality(facts, key, f"costs.sharing.shares.{key}").jis_code
        out[jis] = out.get(jis, 0.0) + share
    return out


def municipality_costs(cost_yen: float, rule: str, shares: dict[str, float], vehicles: list[VehicleRecord],
                       served_trips: list[list[LegRecord]], names: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per municipality (by English name): share of ``cost_yen`` under ``rule``, residents served, their fares.

    Parameters
    ----------
    cost_yen
        Operating cost of the run, yen.
    rule
        ``vehicle_km``, ``riders_resident`` or ``fixed``.
    shares
        Fixed shares by JIS code (rule ``fixed``).
    vehicles
        Vehicle records (``metres_by_jis`` for the vehicle-km rule).
    served_trips
        Legs of each served trip (the first leg's ``home_jis`` is where the rider lives).
    names
        English names by JIS code; every municipality named here gets a row.
    """
    metres: Counter[str] = Counter()
    for v in vehicles:
        metres.update(v.metres_by_jis)
    riders: Counter[str] = Counter()
    fares: Counter[str] = Counter()
    for legs in served_trips:
        home = legs[0].home_jis or legs[0].origin_jis or ""
        riders[home] += legs[0].party
        fares[home] += sum(leg.fare_yen for leg in legs if leg.mode == "drt")
    if rule == "vehicle_km":
        basis = {k: float(v) for k, v in metres.items()}
    elif rule == "riders_resident":
        basis = {k: float(v) for k, v in riders.items()}
    else:
        basis = dict(shares)
    total = sum(basis.values())
    codes = sorted((set(names) | set(basis) | set(riders)) - {""})
    out: dict[str, dict[str, Any]] = {}
    for jis in codes:
        share = basis.get(jis, 0.0) / total if total > 0 else 0.0
        cost = cost_yen * share
        out[names.get(jis, jis)] = {
            "share": round(share, 4),
            "cost_share_yen": round(cost),
            "riders_resident": riders.get(jis, 0),
            "fare_revenue_yen": fares.get(jis, 0),
            "net_cost_yen": round(cost - fares.get(jis, 0)),
            "vehicle_km_inside": round(metres.get(jis, 0) / 1000, 1),
        }
    return out
