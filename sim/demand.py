"""Synthetic demand from the regional facts: who travels where, when, how they book, what goes wrong.

Residents of each municipality (2020 census, split into aged 65+ and others) make outbound trips at
calibrated daily rates; a home 大字 is drawn by zone weight, a purpose by share, a destination by a
gravity model over the landmarks (or 大字) that serve that purpose. Most trips have a ride home after
an activity time. Booking lead, party size, wheelchairs, cancellations and no-shows are drawn per
booking. Every day has its own random stream (seeded by the scenario seed and the day), so a run of
two days begins with the same day as a run of one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dispatch.model import TimeKind
from dispatch.rules import ServiceRules
from routing.facts import Place, RegionFacts
from routing.geo import haversine_m
from sim.demand_spec import DemandSpec
from sim.population import adjust_to_year
from sim.region import municipality_codes, resolve_place
from sim.requests import Endpoint, TripRequest

# Rough door-to-door speed for the generator's own time estimates (return times, arrive-by); the
# dispatcher uses the road graph. Road length is taken as 1.3 x straight line at 30 km/h.
_EST_CIRCUITY = 1.3
_EST_SPEED_MS = 30 / 3.6

_PURPOSE_KINDS = {
    "hospital": ("hospital", "clinic"),
    "shopping": ("supermarket", "shopping"),
    "station": ("station",),
    "municipal_office": ("municipal_office",),
    "school": ("school",),
    "other": ("oaza", "tourism"),
}


def estimated_drive_s(a: Endpoint | Place, b: Endpoint | Place) -> float:
    """Generator's estimate of the drive between two points, seconds."""
    return haversine_m(a.lat, a.lon, b.lat, b.lon) * _EST_CIRCUITY / _EST_SPEED_MS


def endpoint_of(place: Place) -> Endpoint:
    return Endpoint(lat=place.lat, lon=place.lon, key=place.key, jis_code=place.jis_code,
                    name=place.name_en or place.name_ja)


@dataclass(frozen=True)
class _Choice:
    """Destinations of one purpose for one home zone, with cumulative probabilities."""

    places: tuple[Place, ...]
    cumulative: np.ndarray


class DemandGenerator:
    """Draws the requests of each service day from a :class:`DemandSpec`.

    Parameters
    ----------
    spec
        Demand settings.
    facts
        Regional facts (municipalities, stations, landmarks, 大字).
    rules
        Service rules (service hours, minimum notice, booking horizon).
    seed
        Scenario seed.
    """

    def __init__(self, spec: DemandSpec, facts: RegionFacts, rules: ServiceRules, seed: int) -> None:
        self.spec = spec
        self.facts = facts
        self.rules = rules
        self.seed = seed
        served = {m.jis_code for m in facts.municipalities}
        self._munis = {m.jis_code: m for m in facts.municipalities}
        self._settings = municipality_codes(facts, dict(spec.municipalities), "demand.municipalities")
        for key in list(spec.zone_weights) + list(spec.attraction):
            resolve_place(facts, key, "demand")
        self._residents = {m.jis_code: (float(m.population_2020), self._aged_2020(m.jis_code))
                           for m in facts.municipalities}
        if spec.year is not None:
            self._residents = adjust_to_year({j: int(p) for j, (p, _) in self._residents.items()},
                                             {j: a for j, (_, a) in self._residents.items()}, spec.year)
        self._zones = {
            code: [z for z in facts.oaza if z.jis_code == code] for code in served
        }
        candidates = [p for p in facts.places if p.jis_code in served]
        self._by_kind: dict[str, list[Place]] = {}
        for place in candidates:
            self._by_kind.setdefault(place.kind, []).append(place)
        self._choices: dict[tuple[str, str], _Choice] = {}
        hours = sorted(h for h, w in spec.hourly_profile.items() if w > 0 and self._hour_in_service(h))
        if not hours:
            raise ValueError("demand.hourly_profile has no positive weight within service hours")
        weights = np.array([spec.hourly_profile[h] for h in hours], dtype=float)
        self._hours = np.array(hours)
        self._hour_p = weights / weights.sum()
        purposes = [p for p, w in spec.purposes.items() if w > 0]
        shares = np.array([spec.purposes[p] for p in purposes], dtype=float)
        self._purposes = purposes
        self._purpose_p = shares / shares.sum()
        sizes = sorted(spec.party_sizes)
        probs = np.array([spec.party_sizes[s] for s in sizes], dtype=float)
        self._party_sizes = np.array(sizes)
        self._party_p = probs / probs.sum()

    def _hour_in_service(self, hour: int) -> bool:
        return self.rules.service_start <= hour * 3600 + 1800 < self.rules.service_end

    def _aged_2020(self, jis_code: str) -> float:
        return float(getattr(self._settings.get(jis_code), "elderly_share", 0.33))

    def residents(self, jis_code: str) -> tuple[float, float]:
        """(residents, share aged 65+) of a municipality in the demand's year (2020 census if unset)."""
        return self._residents[jis_code]

    def expected_tours(self, jis_code: str) -> float:
        """Expected outbound trips per day of a municipality's residents."""
        people, elderly = self._residents[jis_code]
        factor = getattr(self._settings.get(jis_code), "scale", 1.0)
        per_1000 = elderly * self.spec.tours_per_1000_elderly + (1 - elderly) * self.spec.tours_per_1000_other
        return people / 1000 * per_1000 * factor * self.spec.scale

    def day(self, day: int) -> list[TripRequest]:
        """All requests of service day ``day`` (0-based), sorted by booking time."""
        rng = np.random.default_rng([self.seed, day, 0x5EED])
        out: list[TripRequest] = []
        for code in sorted(self._munis):
            zones = self._zones.get(code) or []
            if not zones:
                continue
            n = int(rng.poisson(self.expected_tours(code)))
            zw = np.array([self.spec.zone_weights.get(z.key, 1.0) for z in zones], dtype=float)
            if zw.sum() <= 0:
                continue
            homes = rng.choice(len(zones), size=n, p=zw / zw.sum())
            for i, home_index in enumerate(homes):
                out.extend(self._tour(rng, day, f"d{day}-{code}-{i:04d}", zones[int(home_index)]))
        out.sort(key=lambda r: (r.booked_at, r.id))
        return out

    def days(self, count: int) -> list[TripRequest]:
        return [r for d in range(count) for r in self.day(d)]

    def _tour(self, rng: np.random.Generator, day: int, rid: str, home: Place) -> list[TripRequest]:
        spec, rules = self.spec, self.rules
        purpose = self._purposes[int(rng.choice(len(self._purposes), p=self._purpose_p))]
        dest = self._destination(rng, purpose, home)
        if dest is None:
            return []
        origin, target = endpoint_of(home), endpoint_of(dest)
        drive = estimated_drive_s(origin, target)
        hour = int(self._hours[int(rng.choice(len(self._hours), p=self._hour_p))])
        clock = hour * 3600 + int(rng.integers(0, 3600))
        kind = TimeKind.DEPART_AFTER
        if purpose in ("hospital", "school") and rng.random() < spec.arrive_by_share:
            kind = TimeKind.ARRIVE_BY
            clock = max(clock, rules.service_start + int(drive) + 15 * 60)
        clock = min(max(clock, rules.service_start), rules.service_end - int(drive) - 10 * 60)
        if clock < rules.service_start:
            return []  # too long a drive to fit the service day
        clock -= clock % 60
        party = int(self._party_sizes[int(rng.choice(len(self._party_sizes), p=self._party_p))])
        wheelchairs = 1 if rng.random() < spec.wheelchair_share else 0
        seats = party - wheelchairs
        prebooked = rng.random() < spec.prebooked_share and spec.max_days_ahead > 0
        booked_at = self._booking_time(rng, clock, prebooked)
        outbound = self._request(rng, rid, day, booked_at, clock, origin, target, kind, seats, wheelchairs,
                                 purpose, home.jis_code)
        out = [outbound]
        if rng.random() < spec.return_share:
            low, high = spec.activity.get(purpose, (3600, 7200))
            arrival = clock if kind == TimeKind.ARRIVE_BY else clock + drive
            back = int(arrival + rng.uniform(low, high + 1))
            back -= back % 60
            if back + drive + 10 * 60 <= rules.service_end:
                # A pre-booked outbound trip books the ride home in the same call (within the horizon).
                booked = max(booked_at, back - rules.horizon_s) if prebooked else self._booking_time(rng, back, False)
                out.append(self._request(rng, rid + "r", day, booked, back, target, origin, TimeKind.DEPART_AFTER,
                                         seats, wheelchairs, "return", home.jis_code, outbound_id=rid))
        return out

    def _request(self, rng: np.random.Generator, rid: str, day: int, booked_at: int, clock: int, origin: Endpoint,
                 dest: Endpoint, kind: TimeKind, seats: int, wheelchairs: int, purpose: str, home_jis: str,
                 outbound_id: str | None = None) -> TripRequest:
        cancel_at = None
        no_show = False
        if rng.random() < self.spec.cancellation_share:
            latest = clock - 10 * 60
            cancel_at = int(rng.uniform(booked_at, latest)) if latest > booked_at else None
        if cancel_at is None and rng.random() < self.spec.no_show_share:
            no_show = True
        return TripRequest(id=rid, day=day, booked_at=booked_at, requested_time=clock, origin=origin,
                           destination=dest, time_kind=kind, seats=seats, wheelchairs=wheelchairs, purpose=purpose,
                           home_jis=home_jis, cancel_at=cancel_at, no_show=no_show, outbound_id=outbound_id)

    def _booking_time(self, rng: np.random.Generator, clock: int, prebooked: bool) -> int:
        rules = self.rules
        if prebooked:
            max_days = max(1, min(self.spec.max_days_ahead, rules.horizon_s // 86_400))
            days_ahead = int(rng.integers(1, max_days + 1))
            # Calls come in during office hours of the earlier day, within the booking horizon.
            at = -days_ahead * 86_400 + int(rng.uniform(rules.service_start, rules.service_end))
            return max(at, clock - rules.horizon_s)
        lead = rules.min_notice_s + rng.exponential(self.spec.same_day_lead_mean)
        return int(clock - math.ceil(lead))

    def _destination(self, rng: np.random.Generator, purpose: str, home: Place) -> Place | None:
        choice = self._choices.get((purpose, home.key))
        if choice is None:
            choice = self._build_choice(purpose, home)
            self._choices[(purpose, home.key)] = choice
        if not choice.places:
            return None
        return choice.places[int(np.searchsorted(choice.cumulative, rng.random() * choice.cumulative[-1]))]

    def _build_choice(self, purpose: str, home: Place) -> _Choice:
        spec = self.spec
        places: list[Place] = []
        for kind in _PURPOSE_KINDS[purpose]:
            places.extend(p for p in self._by_kind.get(kind, []) if p.key != home.key)
        if purpose == "municipal_office":
            places = [p for p in places if p.jis_code == home.jis_code] or places
        weights = []
        for place in places:
            km = haversine_m(home.lat, home.lon, place.lat, place.lon) / 1000
            w = spec.attraction.get(place.key, 1.0) * math.exp(-km / spec.distance_decay_km)
            if place.jis_code == home.jis_code:
                w *= spec.own_municipality_bias
            weights.append(w)
        return _Choice(tuple(places), np.cumsum(weights) if weights else np.zeros(0))


def riders(requests: Sequence[TripRequest]) -> int:
    """Riders in requests that are neither cancelled nor no-shows (what a served month would count)."""
    return sum(r.party_size for r in requests if r.cancel_at is None and not r.no_show)
