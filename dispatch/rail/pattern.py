"""A pattern timetable of the Joshin line built from the published service facts.

No GTFS feed of the Joshin line can be downloaded on the project's machines, so the timetable is
generated from what the facts say (``service_facts.md``, ``stations.csv``): 33 round trips a day, 30 of
them Takasaki-Shimonita and 3 turning at Joshu-Tomioka; first train from Takasaki 05:52, last 23:10;
gaps up to 40 min as far as Joshu-Tomioka and about 60 min beyond. The minutes between stations are the
real median running times of the 2026 timetable (``joshin_running_minutes_2026.csv``: Takasaki ->
Joshu-Tomioka 37 min, -> Shimonita 61 min) where that file is present, else the estimated minutes of
``stations.csv``. Departures are spread over the day by an hourly frequency profile (peaks 06-09, 17-19);
short-turn trips are placed where the line beyond Joshu-Tomioka still sees a train at least every
``max_gap_beyond_min``. Times are seconds since the service day's midnight. Everything is deterministic.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

FACTS_FILE = "service_facts.md"
STATIONS_FILE = "stations.csv"
RUNNING_FILE = "joshin_running_minutes_2026.csv"
SHORT_TURN_STATION = "Joshu-Tomioka"

# Relative train frequency per clock hour (trains/hour, scaled to fit the day's count). The facts give
# only "1-2 trains an hour" with daytime gaps up to 40 min; commuter peaks (70% of riders hold passes)
# get roughly twice the daytime frequency.
DEFAULT_PROFILE: dict[int, float] = {
    5: 2.0, 6: 2.6, 7: 2.6, 8: 2.2, 9: 1.6, 10: 1.55, 11: 1.55, 12: 1.55, 13: 1.55, 14: 1.55, 15: 1.7,
    16: 2.0, 17: 2.5, 18: 2.5, 19: 2.0, 20: 1.6, 21: 1.55, 22: 1.55, 23: 1.5,
}


class FactsError(ValueError):
    """The service facts cannot be read or do not allow a timetable (says which fact and why)."""


@dataclass(frozen=True)
class PatternStation:
    """A station as the pattern needs it: order, names, position and run minutes from Takasaki."""

    seq: int
    name_ja: str
    name_en: str
    jis_code: str
    km: float
    lat: float
    lon: float
    minutes_from_takasaki: float

    @property
    def seconds_from_takasaki(self) -> int:
        """Running time from Takasaki in whole seconds."""
        return int(round(60 * self.minutes_from_takasaki))


@dataclass(frozen=True)
class ServicePattern:
    """The service facts a pattern timetable is built from (times in seconds since midnight).

    Parameters
    ----------
    round_trips
        Trains a day in each direction (33).
    short_turns
        How many of them turn at Joshu-Tomioka (3).
    first_down, last_down
        First and last departure from Takasaki (05:52, 23:10), seconds.
    first_up, last_up
        First and last departure (or passing time equivalent) from Shimonita, seconds. Not in the facts:
        assumed 05:20 and 22:00 so the first up train reaches Takasaki before 06:30 and trains stable
        overnight at both ends.
    max_gap_near_min, max_gap_beyond_min
        Longest gap between trains as far as Joshu-Tomioka (40) and beyond it (60), minutes.
    profile
        Relative trains per clock hour.
    """

    round_trips: int = 33
    short_turns: int = 3
    first_down: int = 5 * 3600 + 52 * 60
    last_down: int = 23 * 3600 + 10 * 60
    first_up: int = 5 * 3600 + 20 * 60
    last_up: int = 22 * 3600
    max_gap_near_min: int = 40
    max_gap_beyond_min: int = 60
    profile: dict[int, float] = field(default_factory=lambda: dict(DEFAULT_PROFILE))


@dataclass(frozen=True)
class PatternTrip:
    """One generated train: id, direction (0 down from Takasaki, 1 up) and its calls (station, time s)."""

    trip_id: str
    direction: int
    calls: tuple[tuple[PatternStation, int], ...]

    @property
    def headsign(self) -> str:
        return self.calls[-1][0].name_ja


def _hhmm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def read_pattern(facts_dir: Path) -> ServicePattern:
    """Read the service pattern out of ``service_facts.md``.

    Parameters
    ----------
    facts_dir
        Directory holding ``service_facts.md``.

    Raises
    ------
    FactsError
        If the file is missing or one of the needed facts is not stated in it.
    """
    path = Path(facts_dir) / FACTS_FILE
    if not path.is_file():
        raise FactsError(f"service facts file {path} is missing")
    text = path.read_text(encoding="utf-8")

    def find(pattern: str, what: str) -> re.Match[str]:
        match = re.search(pattern, text)
        if match is None:
            raise FactsError(f"{path}: cannot find {what} (looked for /{pattern}/)")
        return match

    trips = find(r"(\d+) round trips a day \((\d+) Takasaki-Shimonita, (\d+) Takasaki-Joshu-Tomioka\)", "trip count")
    times = find(r"First train from Takasaki about (\d{1,2}:\d\d), last about (\d{1,2}:\d\d)", "first/last train")
    gaps = find(r"gaps up to (\d+) min as far as Joshu-Tomioka and about (\d+) min beyond", "maximum gaps")
    total, full, short = (int(g) for g in trips.groups())
    if full + short != total:
        raise FactsError(f"{path}: {full} + {short} trips do not add up to {total}")
    return ServicePattern(
        round_trips=total,
        short_turns=short,
        first_down=_hhmm(times.group(1)),
        last_down=_hhmm(times.group(2)),
        max_gap_near_min=int(gaps.group(1)),
        max_gap_beyond_min=int(gaps.group(2)),
    )


def _station_key(name_ja: str) -> str:
    """``吉井(群馬)`` -> ``吉井``: timetable names carry the operator or prefecture in brackets."""
    return re.sub(r"[(（].*?[)）]", "", name_ja).strip()


def read_running_minutes(facts_dir: Path) -> dict[str, float] | None:
    """Cumulative running minutes from Takasaki per station (Japanese name), or None without the file.

    Reads ``joshin_running_minutes_2026.csv`` (``from_station``, ``to_station``, ``median_run_min``:
    the median over the day's trains of the minutes between adjacent stations) and sums the runs from
    Takasaki, so a rounding in ``cum_min_from_takasaki`` cannot drift.

    Raises
    ------
    FactsError
        If a row is malformed or the runs do not chain from one station to the next.
    """
    path = Path(facts_dir) / RUNNING_FILE
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    minutes: dict[str, float] = {}
    for line, r in enumerate(rows, start=2):
        try:
            a, b, run = _station_key(r["from_station"]), _station_key(r["to_station"]), float(r["median_run_min"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FactsError(f"{path}:{line}: bad row ({exc})") from None
        if not minutes:
            minutes[a] = 0.0
        if a not in minutes or run <= 0:
            raise FactsError(f"{path}:{line}: run {a} -> {b} does not continue the line or is not positive")
        minutes[b] = minutes[a] + run
    return minutes


def read_stations(facts_dir: Path) -> list[PatternStation]:
    """Read ``stations.csv`` (line order, km posts) with the running minutes from Takasaki.

    The minutes are the real running times of ``joshin_running_minutes_2026.csv`` when it is present
    (every station must appear in it), else ``est_min_from_takasaki`` of ``stations.csv``.

    Raises
    ------
    FactsError
        If a file is missing, a column or station is absent or the minutes do not increase along the line.
    """
    path = Path(facts_dir) / STATIONS_FILE
    if not path.is_file():
        raise FactsError(f"stations file {path} is missing")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    try:
        stations = [
            PatternStation(
                seq=int(r["seq"]),
                name_ja=r["name_ja"],
                name_en=r["name_en"],
                jis_code=r["jis_code"],
                km=float(r["km_from_takasaki"]),
                lat=float(r["lat"]),
                lon=float(r["lon"]),
                minutes_from_takasaki=float(r["est_min_from_takasaki"]),
            )
            for r in rows
        ]
    except (KeyError, ValueError) as exc:
        raise FactsError(f"{path}: bad or missing column ({exc})") from exc
    running = read_running_minutes(facts_dir)
    if running is not None:
        missing = [s.name_ja for s in stations if s.name_ja not in running]
        if missing:
            raise FactsError(f"{Path(facts_dir) / RUNNING_FILE}: no running time to {', '.join(missing)}")
        stations = [replace(s, minutes_from_takasaki=running[s.name_ja]) for s in stations]
    stations.sort(key=lambda s: s.seq)
    if len(stations) < 2:
        raise FactsError(f"{path}: a line needs at least two stations")
    for a, b in pairwise(stations):
        if b.minutes_from_takasaki <= a.minutes_from_takasaki or b.km <= a.km:
            raise FactsError(f"{path}: minutes and km must increase from {a.name_en} to {b.name_en}")
    if not any(s.name_en == SHORT_TURN_STATION for s in stations):
        raise FactsError(f"{path}: no station {SHORT_TURN_STATION} for the short-turn trips")
    return stations


def spread_departures(first: int, last: int, count: int, profile: dict[int, float]) -> list[int]:
    """Place ``count`` departures from ``first`` to ``last`` (seconds) evenly in cumulative frequency.

    The k-th departure sits where the integral of the hourly profile reaches k/(count-1) of its total,
    so busy hours get short headways; times are rounded to the minute.
    """
    if count < 2 or last <= first:
        raise FactsError("need at least two trains and a last train after the first")
    step = 60
    grid = list(range(first, last + step, step))
    cumulative = [0.0]
    for t in grid[1:]:
        cumulative.append(cumulative[-1] + profile.get((t - step) // 3600 % 24, 1.0))
    total = cumulative[-1]
    out, j = [], 0
    for k in range(count):
        target = total * k / (count - 1)
        while j < len(grid) - 1 and cumulative[j] < target - 1e-9:
            j += 1
        out.append(grid[j])
    out[0], out[-1] = first, last
    return out


def pick_short_turns(departures: list[int], count: int, max_gap_beyond_s: int) -> list[int]:
    """Indices of the trips to turn short, so gaps beyond the turning station stay within the limit.

    Greedy: the candidate whose removal leaves the longest gap that is still allowed goes first (the
    facts speak of gaps of about the limit beyond Joshu-Tomioka); first and last trains run through;
    no two short-turns are neighbours.
    """
    chosen: list[int] = []
    candidates = sorted(
        (i for i in range(1, len(departures) - 1) if departures[i + 1] - departures[i - 1] <= max_gap_beyond_s),
        key=lambda i: (-(departures[i + 1] - departures[i - 1]), i),
    )
    for i in candidates:
        if len(chosen) == count:
            break
        if all(abs(i - c) > 1 for c in chosen):
            chosen.append(i)
    if len(chosen) < count:
        raise FactsError(f"cannot turn {count} trips short with gaps beyond of at most {max_gap_beyond_s // 60} min")
    return sorted(chosen)


def build_trips(pattern: ServicePattern, stations: list[PatternStation]) -> list[PatternTrip]:
    """Generate every train of the day in both directions.

    Down trains leave Takasaki at the spread departure times and reach each station after its minutes
    from Takasaki; up trains run the mirror image from Shimonita. A short-turn down train ends at
    Joshu-Tomioka; a short-turn up train starts there at the time a full train would pass.

    Raises
    ------
    FactsError
        If the generated headways break the stated maximum gaps.
    """
    end_s = stations[-1].seconds_from_takasaki
    turn = next(i for i, s in enumerate(stations) if s.name_en == SHORT_TURN_STATION)
    trips: list[PatternTrip] = []
    for direction, first, last, prefix in ((0, pattern.first_down, pattern.last_down, "D"),
                                           (1, pattern.first_up, pattern.last_up, "U")):
        starts = spread_departures(first, last, pattern.round_trips, pattern.profile)
        _check_gaps(starts, pattern.max_gap_near_min * 60, "as far as Joshu-Tomioka")
        short = set(pick_short_turns(starts, pattern.short_turns, pattern.max_gap_beyond_min * 60))
        for k, start in enumerate(starts):
            route = stations[: turn + 1] if k in short else stations
            if direction == 0:
                calls = tuple((s, start + s.seconds_from_takasaki) for s in route)
            else:
                calls = tuple((s, start + end_s - s.seconds_from_takasaki) for s in reversed(route))
            trips.append(PatternTrip(f"{prefix}{k + 1:02d}", direction, calls))
        beyond = [s for k, s in enumerate(starts) if k not in short]
        _check_gaps(beyond, pattern.max_gap_beyond_min * 60, "beyond Joshu-Tomioka")
    return trips


def _check_gaps(times: list[int], limit_s: int, where: str) -> None:
    worst = max(b - a for a, b in pairwise(times))
    if worst > limit_s:
        raise FactsError(f"pattern gives a {worst // 60} min gap {where}, more than the {limit_s // 60} min stated")
