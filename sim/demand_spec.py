"""Demand settings of a scenario: synthetic demand from the regional facts, or a bookings CSV to replay.

The defaults are calibrated so that Tomioka alone yields about 4,000 rides a month, the figure of its
current demand taxi (愛タク, end of 2021); ``tests/sim/test_demand.py`` checks that calibration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sim.schema import Duration

PURPOSES = ("hospital", "shopping", "station", "municipal_office", "school", "other")


@dataclass(frozen=True)
class MunicipalityDemand:
    """Per-municipality demand inputs.

    Parameters
    ----------
    elderly_share
        Share of residents aged 65+ (0..1).
    scale
        Extra factor on this municipality's trip rate (1 = as calibrated).
    """

    elderly_share: float = 0.33
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.elderly_share <= 1.0 or self.scale < 0:
            raise ValueError("elderly_share must be within 0..1 and scale non-negative")


def _default_municipalities() -> dict[str, MunicipalityDemand]:
    # Nanmoku's 67.5 % is the 2023 figure in the service facts; the others are assumptions near the
    # sphere's 33.3 % (2015) and rising towards the west, until census detail is loaded.
    return {
        "Tomioka": MunicipalityDemand(0.333),
        "Kanra": MunicipalityDemand(0.35),
        "Shimonita": MunicipalityDemand(0.48),
        "Nanmoku": MunicipalityDemand(0.675),
    }


def _default_purposes() -> dict[str, float]:
    return {"hospital": 0.38, "shopping": 0.24, "station": 0.08, "municipal_office": 0.08, "school": 0.04,
            "other": 0.18}


def _default_profile() -> dict[int, float]:
    # Outbound requested times by hour: the morning clinic peak that 愛タク reports, a lunch dip.
    return {8: 1.2, 9: 1.7, 10: 1.5, 11: 1.0, 12: 0.5, 13: 0.8, 14: 0.7, 15: 0.4, 16: 0.1}


def _default_activity() -> dict[str, tuple[Duration, Duration]]:
    minutes = {"hospital": (60, 180), "shopping": (30, 90), "station": (180, 420), "municipal_office": (30, 90),
               "school": (240, 420), "other": (60, 240)}
    return {k: (Duration(a * 60), Duration(b * 60)) for k, (a, b) in minutes.items()}


def _default_attraction() -> dict[str, float]:
    # The general hospital draws from all four municipalities; the station of each town is its gateway.
    return {"tomioka_general_hospital": 3.0, "supermarket_tomioka_bypass": 2.0, "st:Joshu-Tomioka": 2.0}


@dataclass(frozen=True)
class DemandSpec:
    """How requests are generated (``synthetic``) or read (``replay``).

    Parameters
    ----------
    source
        ``synthetic`` or ``replay``.
    replay_csv
        Bookings CSV for ``replay`` (columns in ``docs/sim.md``), relative to the scenario file.
    tours_per_1000_elderly, tours_per_1000_other
        Outbound trips per day per 1,000 residents aged 65+ / under 65. Calibrated: Tomioka's 47,470
        residents (33.3 % elderly) give about 66 outbound trips a day, about 120 one-way requests with
        returns, about 4,000 riders a month after cancellations and no-shows.
    scale
        Factor on every rate (the benchmark scales the region up with it).
    year
        Population year (a year of the IPSS projection, 2020-2040 in steps of 5): each municipality's
        residents and its aged share follow the projection (``sim.population``); unset means 2020.
    municipalities
        Per-municipality elderly share and factor, keyed by English name, Japanese name or JIS code.
    zone_weights
        Weight of a 大字 (key ``oz:富岡市/七日市``) as a home zone; 1 where not given, i.e. population is
        spread equally over a municipality's zones until better data exists.
    purposes
        Share of outbound trips per purpose (:data:`PURPOSES`).
    attraction
        Weight of a destination place (default 1).
    own_municipality_bias
        Factor favouring destinations inside the rider's own municipality.
    distance_decay_km
        Destination weight falls as ``exp(-km / distance_decay_km)``.
    hourly_profile
        Relative weight of each clock hour for outbound requested times.
    return_share
        Share of outbound trips that book a ride home.
    activity
        Per purpose, (min, max) time spent before the return trip.
    party_sizes
        Probability of each party size.
    wheelchair_share
        Share of bookings with one rider in a wheelchair.
    prebooked_share
        Share of bookings made on an earlier day (1 to ``max_days_ahead`` days ahead).
    max_days_ahead
        Furthest ahead a pre-booking is made (capped by the rules' horizon).
    same_day_lead_mean
        Mean lead of same-day bookings beyond the minimum notice (exponential).
    arrive_by_share
        Share of hospital and school trips booked as "arrive by".
    cancellation_share, no_show_share
        Share of bookings cancelled before the ride / not showing up at the pickup.
    """

    source: Literal["synthetic", "replay"] = "synthetic"
    replay_csv: str | None = None
    tours_per_1000_elderly: float = 4.1
    tours_per_1000_other: float = 0.32
    scale: float = 1.0
    year: int | None = None
    municipalities: dict[str, MunicipalityDemand] = field(default_factory=_default_municipalities)
    zone_weights: dict[str, float] = field(default_factory=dict)
    purposes: dict[str, float] = field(default_factory=_default_purposes)
    attraction: dict[str, float] = field(default_factory=_default_attraction)
    own_municipality_bias: float = 4.0
    distance_decay_km: float = 6.0
    hourly_profile: dict[int, float] = field(default_factory=_default_profile)
    return_share: float = 0.85
    activity: dict[str, tuple[Duration, Duration]] = field(default_factory=_default_activity)
    party_sizes: dict[int, float] = field(default_factory=lambda: {1: 0.85, 2: 0.12, 3: 0.03})
    wheelchair_share: float = 0.03
    prebooked_share: float = 0.55
    max_days_ahead: int = 5
    same_day_lead_mean: Duration = Duration(45 * 60)
    arrive_by_share: float = 0.3
    cancellation_share: float = 0.05
    no_show_share: float = 0.02

    def __post_init__(self) -> None:
        if self.year is not None:
            from sim.population import projection_years

            if self.source == "replay":
                raise ValueError("year: only for synthetic demand (a replayed file has its own bookings)")
            if self.year not in projection_years():
                raise ValueError(f"year: {self.year} is not in the population projection; known: "
                                 f"{', '.join(map(str, projection_years()))}")
        unknown = sorted(set(self.purposes) - set(PURPOSES))
        if unknown:
            raise ValueError(f"purposes: unknown purpose(s) {', '.join(unknown)}; known: {', '.join(PURPOSES)}")
        unknown = sorted(set(self.activity) - set(PURPOSES))
        if unknown:
            raise ValueError(f"activity: unknown purpose(s) {', '.join(unknown)}")
        shares = {
            "return_share": self.return_share, "wheelchair_share": self.wheelchair_share,
            "prebooked_share": self.prebooked_share, "arrive_by_share": self.arrive_by_share,
            "cancellation_share": self.cancellation_share, "no_show_share": self.no_show_share,
        }
        for name, value in shares.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")
        if min(self.tours_per_1000_elderly, self.tours_per_1000_other, self.scale) < 0:
            raise ValueError("trip rates and scale must be non-negative")
        if not self.purposes or sum(self.purposes.values()) <= 0 or min(self.purposes.values()) < 0:
            raise ValueError("purposes: shares must be non-negative with a positive sum")
        if not self.party_sizes or min(self.party_sizes) < 1 or min(self.party_sizes.values()) < 0:
            raise ValueError("party_sizes: sizes must be >= 1 with non-negative probabilities")
        if any(h < 0 or h > 47 for h in self.hourly_profile) or min(self.hourly_profile.values(), default=0) < 0:
            raise ValueError("hourly_profile: hours must be 0..47 with non-negative weights")
        if self.max_days_ahead < 0 or self.distance_decay_km <= 0 or self.own_municipality_bias <= 0:
            raise ValueError("max_days_ahead must be >= 0; distance_decay_km and own_municipality_bias > 0")
        for purpose, (low, high) in self.activity.items():
            if high < low:
                raise ValueError(f"activity.{purpose}: max below min")
