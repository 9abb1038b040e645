"""The operating model of a scenario: who drives where, which border crossings are allowed, rail feeding.

Read from a plain mapping (a scenario file's ``operating_model`` section) so a planner can see every rule
in one place. Municipalities are JIS codes (``"10210"`` Tomioka, ``"10384"`` Kanra, ``"10382"``
Shimonita, ``"10383"`` Nanmoku); stations are road-network keys (``"st:Shimonita"``); times seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from dispatch.fares import FareTable
from dispatch.rail.access import StationAccess
from dispatch.trips.cost import CostWeights


@cache
def _regional_places() -> dict[str, str]:
    """Place key -> JIS code of the regional facts (stations, landmarks, 大字)."""
    from routing.facts import load_facts

    return {key: place.jis_code for key, place in load_facts().by_key().items()}


@dataclass(frozen=True)
class OperatingModel:
    """Fleets, allowed direct crossings, rail feeding and hubs, and how options are priced.

    Parameters
    ----------
    fleets
        Municipalities that run a shared-taxi fleet (JIS code -> label).
    direct_pairs
        Unordered municipality pairs a vehicle may cross between directly.
    direct_destinations
        Place keys (``tomioka_general_hospital``) any fleet may drive its riders to directly, and back.
    rail_feeding
        Offer feeder -> train -> feeder chains.
    hubs
        Stations a municipality's riders are fed to; a municipality not named uses its own stations
        (Nanmoku has none and is fed to ``st:Shimonita``).
    station_access
        Transfer buffer, platform-to-taxi walk and walking legs at stations.
    weights
        Generalised cost weights.
    fares
        Shared-taxi and rail fares.
    hub_candidates
        Nearest hubs (by drive time) tried at each end of a chain.
    trains_per_pair
        Trains tried per hub pair (the next ones after, or the last ones before, the asked time).
    station_wait_s
        How long before ``departure - buffer`` a feeder may already deliver the rider to the station;
        the width of the feeder's drop-off window (10 min).
    max_chain_time_ratio, max_chain_extra_s
        Rider quality of chains: when a direct ride is allowed, a chain is offered only if its door-to-door
        time is at most ``ratio * direct + extra`` (both measured from the asked time, s). Defaults 1.5 and
        25 min: the slowest direct ride the default service rules accept (15 min wait, ride 1.5 x direct +
        10 min). ``max_chain_time_ratio=None`` turns the cap off. Without an allowed direct ride the chains
        are the only way across and are not capped.
    slow_chains_as_last_resort
        False (default): a chain over the cap is never offered. True: it is tried after every other
        option failed to fit, rather than rejecting the rider.
    """

    fleets: Mapping[str, str] = field(default_factory=dict)
    direct_pairs: frozenset[frozenset[str]] = frozenset()
    direct_destinations: frozenset[str] = frozenset()
    rail_feeding: bool = True
    hubs: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {"10383": ("st:Shimonita",)})
    station_access: StationAccess = field(default_factory=StationAccess)
    weights: CostWeights = field(default_factory=CostWeights)
    fares: FareTable = field(default_factory=FareTable)
    hub_candidates: int = 2
    trains_per_pair: int = 2
    station_wait_s: int = 10 * 60
    max_chain_time_ratio: float | None = 1.5
    max_chain_extra_s: int = 25 * 60
    slow_chains_as_last_resort: bool = False

    def __post_init__(self) -> None:
        for pair in self.direct_pairs:
            if len(pair) != 2:
                raise ValueError(f"a direct pair needs two different municipalities, got {sorted(pair)}")
        if self.hub_candidates < 1 or self.trains_per_pair < 1 or self.station_wait_s < 0:
            raise ValueError("hub_candidates and trains_per_pair must be at least 1, station_wait_s >= 0")
        ratio = self.max_chain_time_ratio
        if ratio is not None and not (1.0 <= ratio < float("inf")):
            raise ValueError(f"max_chain_time_ratio must be a number >= 1.0 (or null for no cap), got {ratio}")
        if self.max_chain_extra_s < 0:
            raise ValueError(f"max_chain_extra_s must not be negative, got {self.max_chain_extra_s}")

    # ------------------------------------------------------------------ rules
    def has_fleet(self, jis_code: str | None) -> bool:
        return jis_code is not None and jis_code in self.fleets

    def direct_allowed(self, origin_jis: str, dest_jis: str, origin_key: str | None, dest_key: str | None) -> bool:
        """May one vehicle carry the rider across the border from ``origin_jis`` to ``dest_jis``?"""
        if origin_jis == dest_jis:
            return True
        if frozenset((origin_jis, dest_jis)) in self.direct_pairs:
            return self.has_fleet(origin_jis) or self.has_fleet(dest_jis)
        if dest_key in self.direct_destinations:
            return self.has_fleet(origin_jis)
        if origin_key in self.direct_destinations:
            return self.has_fleet(dest_jis)
        return False

    def direct_fleet(self, origin_jis: str, dest_jis: str, origin_key: str | None, dest_key: str | None) -> str:
        """The fleet that gives a direct ride: the home side of a destination trip, else the origin's."""
        if origin_key in self.direct_destinations and dest_key not in self.direct_destinations:
            return dest_jis if self.has_fleet(dest_jis) else origin_jis
        return origin_jis if self.has_fleet(origin_jis) else dest_jis

    def chain_time_cap_s(self, direct_total_s: float) -> float:
        """Longest door-to-door time (s) a chain may take next to a direct ride of ``direct_total_s`` s."""
        if self.max_chain_time_ratio is None:
            return float("inf")
        return self.max_chain_time_ratio * direct_total_s + self.max_chain_extra_s

    def hubs_of(self, jis_code: str, own_stations: Iterable[str]) -> tuple[str, ...]:
        """Stations ``jis_code``'s riders are fed to: configured hubs, else the municipality's stations."""
        if jis_code in self.hubs:
            return tuple(self.hubs[jis_code])
        return tuple(own_stations)

    def service_area(self, jis_code: str, places: Mapping[str, str] | None = None) -> frozenset[str]:
        """Municipalities a fleet's vehicles must be allowed into under this model.

        Its own; the other side of every direct pair it belongs to; the municipalities of its hubs and of
        the direct destinations. ``places`` maps place keys to JIS codes (default: the regional facts in
        ``data/osm_gunma``).
        """
        where = places if places is not None else _regional_places()
        area = {jis_code}
        for pair in self.direct_pairs:
            if jis_code in pair:
                area |= pair
        for key in (*self.hubs.get(jis_code, ()), *self.direct_destinations):
            if key in where:
                area.add(where[key])
        return frozenset(area)

    # ------------------------------------------------------------------ configuration
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OperatingModel:
        """Build from a scenario mapping; unknown keys raise ``ValueError`` naming them.

        Keys: ``fleets`` (JIS -> label, or a list of JIS codes), ``direct_pairs`` (list of two-element
        lists), ``direct_destinations`` (place keys), ``rail_feeding``, ``hubs`` (JIS -> station keys),
        ``station_access``, ``weights``, ``fares`` (mappings of those classes' fields), ``hub_candidates``,
        ``trains_per_pair``, ``station_wait_s``, ``max_chain_time_ratio`` (null: no cap),
        ``max_chain_extra_s``, ``slow_chains_as_last_resort``.
        """
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"unknown operating model setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        kwargs: dict[str, Any] = {}
        fleets = data.get("fleets", {})
        kwargs["fleets"] = {str(k): str(v) for k, v in fleets.items()} if isinstance(fleets, Mapping) else {
            str(k): str(k) for k in fleets}
        pairs = []
        for pair in data.get("direct_pairs", ()):
            codes = [str(p) for p in pair]
            if len(codes) != 2 or codes[0] == codes[1]:
                raise ValueError(f"direct_pairs entry {pair!r} must name two different municipalities")
            pairs.append(frozenset(codes))
        kwargs["direct_pairs"] = frozenset(pairs)
        kwargs["direct_destinations"] = frozenset(str(k) for k in data.get("direct_destinations", ()))
        if "hubs" in data:
            kwargs["hubs"] = {str(k): tuple(str(s) for s in v) for k, v in data["hubs"].items()}
        if "station_access" in data:
            kwargs["station_access"] = StationAccess.from_dict(data["station_access"])
        if "weights" in data:
            kwargs["weights"] = CostWeights.from_dict(data["weights"])
        if "fares" in data:
            kwargs["fares"] = FareTable.from_dict(data["fares"])
        for key in ("rail_feeding", "slow_chains_as_last_resort"):
            if key in data:
                if not isinstance(data[key], bool):
                    raise ValueError(f"operating model setting {key} must be true or false, got {data[key]!r}")
                kwargs[key] = data[key]
        for key in ("hub_candidates", "trains_per_pair", "station_wait_s", "max_chain_extra_s"):
            if key in data:
                kwargs[key] = _number(key, data[key], int)
        if "max_chain_time_ratio" in data:
            raw = data["max_chain_time_ratio"]
            kwargs["max_chain_time_ratio"] = None if raw is None else _number("max_chain_time_ratio", raw, float)
        return cls(**kwargs)


def _number(key: str, value: Any, kind: type[int] | type[float]) -> int | float:
    """``value`` as ``kind``; ``ValueError`` naming ``key`` for text, booleans or nothing."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"operating model setting {key} must be a number, got {value!r}")
    if kind is int and value != int(value):
        raise ValueError(f"operating model setting {key} must be a whole number, got {value!r}")
    return kind(value)
