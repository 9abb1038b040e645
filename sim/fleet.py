"""Vehicles of a scenario, with service areas set by the operating model.

``municipal``: every vehicle serves only its own municipality (cross-municipal requests are rejected
as outside the service area: the baseline). ``wide_area_direct`` and ``wide_area_rail``: a vehicle
also serves the municipalities paired with its own and those holding a configured destination (the
general hospital); the trip planner (``dispatch.trips``) decides which crossing trips it takes.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.fares import FareTable
from dispatch.model import Break, Location, Shift, Vehicle
from routing.facts import Place, RegionFacts
from sim.region import resolve_municipality, resolve_place
from sim.scenario import Scenario
from sim.schema import ScenarioError


def location_of(place: Place) -> Location:
    """A dispatch location at a named place (its snapped drive node)."""
    return Location(node=place.node, lat=place.lat, lon=place.lon, stop_id=place.key,
                    name=place.name_en or place.name_ja, jis_code=place.jis_code)


@dataclass(frozen=True)
class CrossingRules:
    """The scenario's `wide_area` block resolved: municipality pairs (JIS codes) and destination place keys."""

    pairs: frozenset[frozenset[str]]
    destinations: frozenset[str]
    destination_jis: frozenset[str]

    def partners(self, jis: str) -> set[str]:
        return {other for pair in self.pairs if jis in pair for other in pair if other != jis}


def crossing_rules(scenario: Scenario, facts: RegionFacts) -> CrossingRules:
    """The crossing rules of the scenario's ``wide_area`` block (empty for ``municipal``)."""
    if scenario.operating_model == "municipal":
        return CrossingRules(frozenset(), frozenset(), frozenset())
    pairs = set()
    for i, (a, b) in enumerate(scenario.wide_area.pairs):
        ja = resolve_municipality(facts, a, f"wide_area.pairs[{i}]").jis_code
        jb = resolve_municipality(facts, b, f"wide_area.pairs[{i}]").jis_code
        pairs.add(frozenset((ja, jb)))
    places = [resolve_place(facts, k, "wide_area.destinations") for k in scenario.wide_area.destinations]
    return CrossingRules(frozenset(pairs), frozenset(p.key for p in places), frozenset(p.jis_code for p in places))


def build_vehicles(scenario: Scenario, places: dict[str, Place], facts: RegionFacts) -> list[Vehicle]:
    """The scenario's vehicles: ids ``<Municipality>-<n>``, the first ``wheelchair_vehicles`` of a fleet
    with wheelchair places, every vehicle working the fleet's shifts from its depot.

    Parameters
    ----------
    places
        Places by key with snapped nodes (``RoadNetwork.places``).
    """
    crossing = crossing_rules(scenario, facts)
    out = []
    for i, fleet in enumerate(scenario.fleets):
        muni = resolve_municipality(facts, fleet.municipality, f"fleets[{i}].municipality")
        resolve_place(facts, fleet.depot, f"fleets[{i}].depot")
        depot = location_of(places[fleet.depot])
        area = {muni.jis_code}
        if scenario.operating_model != "municipal":
            area |= crossing.partners(muni.jis_code) | set(crossing.destination_jis)
        shifts = tuple(
            Shift(int(a), int(b), depot, breaks=_breaks_in(fleet, int(a), int(b), depot, places, facts, i))
            for a, b in fleet.shifts
        )
        for n in range(fleet.vehicles):
            out.append(Vehicle(
                id=f"{muni.name_en}-{n + 1}",
                municipality=muni.jis_code,
                seats=fleet.seats,
                wheelchair_places=fleet.wheelchair_places if n < fleet.wheelchair_vehicles else 0,
                shifts=shifts,
                service_area=frozenset(area),
                label=f"{muni.name_ja} {n + 1}号車",
            ))
    ids = [v.id for v in out]
    if len(set(ids)) != len(ids):
        raise ValueError("two fleets of one municipality: merge them into one fleet entry")
    return out


def _breaks_in(fleet, start: int, end: int, depot: Location, places: dict[str, Place], facts: RegionFacts,
               index: int) -> tuple[Break, ...]:
    """The fleet's breaks that fit in the shift ``[start, end]``."""
    out = []
    for b in fleet.breaks:
        latest = int(b.earliest if b.latest is None else b.latest)
        if not (start <= b.earliest and latest + b.duration <= end):
            continue
        if b.place == "depot":
            where: Location | None = depot
        elif b.place == "anywhere":
            where = None
        else:
            resolve_place(facts, b.place, f"fleets[{index}].breaks.place")
            where = location_of(places[b.place])
        out.append(Break(int(b.earliest), latest, int(b.duration), where))
    return tuple(out)


def fare_table(scenario: Scenario, facts: RegionFacts) -> FareTable:
    """The scenario's ``fares`` block as a :class:`dispatch.fares.FareTable` (``drt`` keyed by name or JIS)."""
    data = dict(scenario.fares)
    if isinstance(data.get("drt"), dict):
        data["drt"] = {resolve_municipality(facts, k, f"fares.drt.{k}").jis_code: v for k, v in data["drt"].items()}
    try:
        return FareTable.from_dict(data)
    except (TypeError, ValueError, KeyError) as exc:
        raise ScenarioError(f"fares: {exc}") from None
