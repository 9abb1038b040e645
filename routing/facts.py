"""Regional facts: stations, landmarks, 大字 zones, municipalities and road corridors.

Read from the CSV files in ``data/osm_gunma/`` (copied from the project's shared regional
facts). Every named place gets a stable key: ``st:<station name_en>`` for Joshin line
stations, the ``landmarks.csv`` key for landmarks and ``oz:<municipality_ja>/<oaza_ja>``
for 大字. Coordinates are WGS84 degrees.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from routing.errors import RoutingError

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "osm_gunma"

PLACE_KINDS = (
    "station",
    "municipal_office",
    "hospital",
    "clinic",
    "school",
    "supermarket",
    "shopping",
    "tourism",
    "oaza",
    "stop",
)


FACT_FILES = ("municipalities.csv", "stations.csv", "landmarks.csv", "oaza.csv", "corridors.csv")
"""The files every regional facts directory holds (``oaza_romaji.csv`` and the stop files are optional)."""


@dataclass(frozen=True)
class Municipality:
    """One of the four municipalities of the service area (2020 census population)."""

    jis_code: str
    name_ja: str
    name_en: str
    population_2020: int


@dataclass(frozen=True)
class Place:
    """A named place: station, landmark or 大字 representative point.

    Attributes
    ----------
    key
        Stable identifier (``st:Shimonita``, ``tomioka_general_hospital``, ``oz:南牧村/大日向``).
    name_ja, name_en
        Japanese and romanised/English names (``name_en`` may be a best-effort romaji).
    kind
        One of :data:`PLACE_KINDS`.
    jis_code
        Municipality JIS code (5 digits, e.g. ``"10210"`` for Tomioka).
    lat, lon
        WGS84 degrees.
    node
        Graph node the place is snapped to for driving (``-1`` before a network is attached).
    aliases
        Extra lower-case search strings (romaji forms, English aliases).
    """

    key: str
    name_ja: str
    name_en: str
    kind: str
    jis_code: str
    lat: float
    lon: float
    node: int = -1
    aliases: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Station(Place):
    """A Joshin line station, with its line order and km post from Takasaki."""

    seq: int = 0
    km_from_takasaki: float = 0.0
    municipality_ja: str = ""


@dataclass(frozen=True)
class BusStop(Place):
    """A real stop pole (乗降場所) of a bus or shared-taxi service (see :mod:`routing.stops`).

    Attributes
    ----------
    feed, service
        Feed id (``tomioka`` for the 富岡市乗合タクシー, the stand-in for 愛タク's stop set) and service name.
    kana
        Derived hiragana reading of ``name_ja`` (best effort, not authoritative; may be empty).
    access_m, access_s
        Walk from the pole to its snapped graph node: metres along the ground and seconds at 4 km/h
        (0 before a network is attached).
    """

    feed: str = ""
    service: str = ""
    kana: str = ""
    access_m: float = 0.0
    access_s: float = 0.0


@dataclass(frozen=True)
class Corridor:
    """A named real road as an ordered sequence of place keys.

    Attributes
    ----------
    name
        Road name as in ``corridors.csv``.
    road_class
        OSM ``highway`` class (``primary``, ``secondary``, ``tertiary``).
    typical_kmh
        Typical driving speed in km/h.
    circuity
        Road length divided by straight-line length (dimensionless, >= 1).
    sequence
        Place keys in road order.
    """

    name: str
    road_class: str
    typical_kmh: float
    circuity: float
    sequence: tuple[str, ...]


@dataclass(frozen=True)
class RegionFacts:
    """All regional facts read from one data directory."""

    municipalities: tuple[Municipality, ...]
    stations: tuple[Station, ...]
    landmarks: tuple[Place, ...]
    oaza: tuple[Place, ...]
    corridors: tuple[Corridor, ...]
    stops: tuple[BusStop, ...] = ()

    @property
    def places(self) -> tuple[Place, ...]:
        """Stations, then landmarks, then 大字, each in file order (the places the skeleton is built on)."""
        return self.stations + self.landmarks + self.oaza

    @property
    def all_places(self) -> tuple[Place, ...]:
        """:attr:`places`, then the real stop poles (``stops.csv``), in file order."""
        return self.places + self.stops

    def by_key(self) -> dict[str, Place]:
        """Map every key of :attr:`places` (stations, landmarks, 大字) to its place."""
        return {p.key: p for p in self.places}

    def all_by_key(self) -> dict[str, Place]:
        """Map every key of :attr:`all_places` (stop poles included) to its place."""
        return {p.key: p for p in self.all_places}


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise RoutingError(f"regional facts file {path} is missing (copy it from shared/region/)")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _romaji_table(data_dir: Path) -> dict[tuple[str, str], str]:
    path = data_dir / "oaza_romaji.csv"
    if not path.is_file():
        return {}
    return {(r["jis_code"], r["oaza_ja"]): r["romaji"] for r in _rows(path)}


def landmark_alias(key: str) -> str:
    """English alias of a landmark key: ``tomioka_general_hospital`` -> ``Tomioka General Hospital``."""
    words = key.replace("michinoeki", "michi-no-eki").split("_")
    return " ".join(w if w.isupper() else w.capitalize() for w in words)


def _bus_stops(data_dir: Path, facts: RegionFacts) -> tuple[BusStop, ...]:
    """The stop poles of ``data_dir`` with their municipality (the 大字 zone layout; ``""`` outside it)."""
    from routing.errors import OutOfServiceArea
    from routing.stops import display_romaji, plain_romaji, read_stop_poles
    from routing.zones import ZoneLayout

    try:
        poles = read_stop_poles(data_dir)
    except ValueError as exc:
        raise RoutingError(str(exc)) from None
    if not poles:
        return ()
    zones = ZoneLayout(facts)
    out = []
    for pole in poles:
        try:
            jis = zones.zone_of(pole.lat, pole.lon).jis_code
        except OutOfServiceArea:
            jis = ""
        aliases = tuple(dict.fromkeys(a for a in (pole.kana, pole.romaji, plain_romaji(pole.romaji)) if a))
        out.append(BusStop(
            key=pole.key, name_ja=pole.name_ja, name_en=display_romaji(pole.romaji), kind="stop", jis_code=jis,
            lat=pole.lat, lon=pole.lon, aliases=aliases, feed=pole.feed, service=pole.service, kana=pole.kana,
        ))
    return tuple(out)


@cache
def load_facts(data_dir: Path = DEFAULT_DATA_DIR) -> RegionFacts:
    """Read the regional facts of one data directory (cached per directory).

    Parameters
    ----------
    data_dir
        Directory holding ``stations.csv``, ``landmarks.csv``, ``oaza.csv``,
        ``municipalities.csv`` and ``corridors.csv``; optionally ``stops.csv`` and
        ``stop_readings.csv`` (real stop poles, see :mod:`routing.stops`).

    Returns
    -------
    RegionFacts
        Frozen collections of facts.

    Raises
    ------
    RoutingError
        If a file is missing or a corridor names an unknown place.
    """
    data_dir = Path(data_dir)
    munis = tuple(
        Municipality(r["jis_code"], r["name_ja"], r["name_en"], int(r["population_2020_census"]))
        for r in _rows(data_dir / "municipalities.csv")
    )
    stations = tuple(
        Station(
            key=f"st:{r['name_en']}",
            name_ja=r["name_ja"],
            name_en=r["name_en"],
            kind="station",
            jis_code=r["jis_code"],
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            aliases=(f"{r['name_en']} station".lower(), f"{r['name_ja']}駅"),
            seq=int(r["seq"]),
            km_from_takasaki=float(r["km_from_takasaki"]),
            municipality_ja=r["municipality_ja"],
        )
        for r in _rows(data_dir / "stations.csv")
    )
    landmarks = tuple(
        Place(
            key=r["key"],
            name_ja=r["name_ja"],
            name_en=landmark_alias(r["key"]),
            kind=r["kind"],
            jis_code=r["jis_code"],
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            aliases=(r["key"].replace("_", " "),),
        )
        for r in _rows(data_dir / "landmarks.csv")
    )
    romaji = _romaji_table(data_dir)
    oaza = tuple(
        Place(
            key=f"oz:{r['municipality_ja']}/{r['oaza_ja']}",
            name_ja=r["oaza_ja"],
            name_en=romaji.get((r["jis_code"], r["oaza_ja"]), ""),
            kind="oaza",
            jis_code=r["jis_code"],
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            aliases=(f"{r['municipality_ja']}{r['oaza_ja']}",),
        )
        for r in _rows(data_dir / "oaza.csv")
    )
    corridors = tuple(
        Corridor(
            name=r["corridor"],
            road_class=r["road_class"],
            typical_kmh=float(r["typical_kmh"]),
            circuity=float(r["circuity"]),
            sequence=tuple(s.strip() for s in r["sequence"].split(";") if s.strip()),
        )
        for r in _rows(data_dir / "corridors.csv")
    )
    facts = RegionFacts(munis, stations, landmarks, oaza, corridors)
    facts = replace(facts, stops=_bus_stops(data_dir, facts))
    known = facts.by_key()
    for c in corridors:
        unknown = [k for k in c.sequence if k not in known]
        if unknown:
            raise RoutingError(f"corridor {c.name!r} names unknown places {unknown}")
    return facts
