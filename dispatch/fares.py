"""Fares: the shared taxi's flat fare per municipality and the Joshin line's distance-based fare.

Yen throughout, distances in km along the line. Facts: Tomioka's 愛タク charges 100 yen to people
living, working or studying in the city and 500 yen to others, pre-school children free; the Joshin
line charges 810 yen Takasaki-Joshu-Tomioka (20.2 km) and 1,130 yen Takasaki-Shimonita (33.7 km).

The rail fare between any two stations is interpolated from those two figures by a power law
``fare = a * km ** b`` through both points (b = 0.651, a = 114.4), rounded to 10 yen, with a minimum
fare. A straight line through the two points would give a 331 yen base fare for a one-stop ride; the
power law falls towards zero for short rides as the line's real fare table does, and the minimum fare
(assumed 180 yen) stands in for the first fare band. Fares of Kanra, Shimonita and Nanmoku shared
taxis are not in the facts: the defaults (200 yen residents / 500 yen others) are assumptions a
scenario overrides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

TOMIOKA, SHIMONITA, NANMOKU, KANRA = "10210", "10382", "10383", "10384"
FREE_CLASSES = frozenset({"child", "preschool"})


@dataclass(frozen=True)
class DrtFare:
    """Flat fare of one municipality's shared taxi, yen per rider and ride."""

    resident_yen: int
    other_yen: int

    def __post_init__(self) -> None:
        if self.resident_yen < 0 or self.other_yen < 0:
            raise ValueError("fares cannot be negative")


def _default_drt() -> dict[str, DrtFare]:
    return {
        TOMIOKA: DrtFare(100, 500),
        KANRA: DrtFare(200, 500),
        SHIMONITA: DrtFare(200, 500),
        NANMOKU: DrtFare(200, 500),
    }


@dataclass(frozen=True)
class RailFares:
    """Distance-based Joshin fare from two published (km, yen) points; see the module docstring.

    Parameters
    ----------
    km_a, yen_a, km_b, yen_b
        The two published fares (20.2 km: 810 yen; 33.7 km: 1,130 yen).
    minimum_yen
        Least fare for any ride (assumed first fare band, 180 yen).
    round_to_yen
        Fares are rounded to this many yen.
    """

    km_a: float = 20.2
    yen_a: int = 810
    km_b: float = 33.7
    yen_b: int = 1130
    minimum_yen: int = 180
    round_to_yen: int = 10

    def __post_init__(self) -> None:
        if not (0 < self.km_a < self.km_b and 0 < self.yen_a <= self.yen_b):
            raise ValueError("rail fare points must increase: 0 < km_a < km_b and 0 < yen_a <= yen_b")

    @property
    def exponent(self) -> float:
        return math.log(self.yen_b / self.yen_a) / math.log(self.km_b / self.km_a)

    @property
    def scale(self) -> float:
        return self.yen_a / self.km_a**self.exponent

    def fare(self, km: float) -> int:
        """Adult fare in yen for a ride of ``km`` along the line (0 for no ride)."""
        if km < 0:
            raise ValueError(f"a rail distance cannot be negative ({km} km)")
        if km == 0:
            return 0
        raw = self.scale * km**self.exponent
        rounded = int(round(raw / self.round_to_yen)) * self.round_to_yen
        return max(rounded, self.minimum_yen)


@dataclass(frozen=True)
class FareTable:
    """All fares of a scenario.

    Parameters
    ----------
    drt
        Shared-taxi fare per municipality (JIS code) whose fleet gives the ride.
    rail
        The Joshin line fares.
    wide_area_resident
        True: a resident of any municipality with a fare entry pays the resident fare on every fleet
        (a wide-area agreement); False: only the fleet's own residents do.
    """

    drt: dict[str, DrtFare] = field(default_factory=_default_drt)
    rail: RailFares = field(default_factory=RailFares)
    wide_area_resident: bool = False

    def drt_fare(self, fleet: str, home_municipality: str | None, fare_class: str = "resident") -> int:
        """Yen one rider pays for one shared-taxi ride on ``fleet``'s vehicles.

        ``fare_class``: ``"resident"`` (lives, works or studies there; the default), ``"other"``, or
        ``"child"``/``"preschool"`` (free). A rider whose ``home_municipality`` is known and differs
        from the fleet's pays the other fare unless the table is wide-area.
        """
        if fare_class in FREE_CLASSES:
            return 0
        try:
            fare = self.drt[fleet]
        except KeyError:
            raise KeyError(f"no shared-taxi fare for municipality {fleet!r}") from None
        resident = fare_class == "resident" and (
            home_municipality is None
            or home_municipality == fleet
            or (self.wide_area_resident and home_municipality in self.drt)
        )
        return fare.resident_yen if resident else fare.other_yen

    def rail_fare(self, km: float, fare_class: str = "resident") -> int:
        """Yen for a train ride of ``km``; pre-school children ride free."""
        return 0 if fare_class in FREE_CLASSES else self.rail.fare(km)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FareTable:
        """Build from a mapping with keys ``drt``, ``rail`` and ``wide_area_resident``.

        ``drt`` maps JIS codes to ``{"resident_yen": .., "other_yen": ..}``; ``rail`` holds
        :class:`RailFares` fields. Municipalities not named keep their default fare. Unknown keys raise
        ``ValueError`` naming them.
        """
        unknown = sorted(set(data) - {"drt", "rail", "wide_area_resident"})
        if unknown:
            raise ValueError(f"unknown fare setting(s): {', '.join(unknown)}")
        drt = _default_drt()
        for jis, spec in (data.get("drt") or {}).items():
            try:
                drt[str(jis)] = DrtFare(int(spec["resident_yen"]), int(spec["other_yen"]))
            except (KeyError, TypeError) as exc:
                raise ValueError(f"fare for {jis}: needs resident_yen and other_yen") from exc
        rail = RailFares(**(data.get("rail") or {}))
        return cls(drt=drt, rail=rail, wide_area_resident=bool(data.get("wide_area_resident", False)))
