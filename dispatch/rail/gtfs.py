"""GTFS in and out: write the pattern timetable as a feed, read any feed of the line into a Timetable.

Plain ``csv``: the files are small and only the core tables are needed (``stops.txt``, ``trips.txt``,
``stop_times.txt``, ``calendar.txt``, optionally ``calendar_dates.txt``). A real Joshin feed dropped
into the same directory replaces the pattern one with no code change: nothing here depends on the
generated ids. ``shape_dist_traveled`` is written in km from Takasaki and read as km when present.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from pathlib import Path

from dispatch.rail.pattern import PatternStation, PatternTrip
from dispatch.rail.timetable import Call, RailStop, Timetable, Train

DEFAULT_GTFS_DIR = Path(__file__).resolve().parents[2] / "data" / "osm_gunma" / "joshin_gtfs"
AGENCY_ID = "joshin"
ROUTE_ID = "joshin_line"
SERVICE_ID = "daily"
# The pattern holds every day of the timetable year alike (the facts give no weekday/holiday split).
CALENDAR_START, CALENDAR_END = "20260401", "20270331"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class GtfsError(ValueError):
    """A feed file is missing or malformed; the message names the file, the row and the problem."""


def stop_id_of(station: PatternStation) -> str:
    return f"joshin_{station.seq:02d}"


def gtfs_time(seconds: int) -> str:
    """``HH:MM:SS`` as GTFS writes it (hours go past 24 for trains after midnight)."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def parse_gtfs_time(text: str) -> int:
    """Seconds since midnight from a GTFS ``H:MM:SS`` / ``HH:MM:SS`` time (may exceed 24:00)."""
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a GTFS time: {text!r}")
    hours, minutes, seconds = (int(p) for p in parts)
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"not a GTFS time: {text!r}")
    return hours * 3600 + minutes * 60 + seconds


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_gtfs(out_dir: Path, stations: list[PatternStation], trips: list[PatternTrip]) -> list[Path]:
    """Write the pattern timetable as a GTFS feed; returns the files written (byte-for-byte reproducible).

    Parameters
    ----------
    out_dir
        Directory to write into (created if missing).
    stations
        Stations in line order.
    trips
        Generated trains of the day.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "agency.txt": (["agency_id", "agency_name", "agency_url", "agency_timezone", "agency_lang"],
                       [[AGENCY_ID, "上信電鉄 (pattern timetable)", "https://www.joshin-dentetsu.co.jp/",
                         "Asia/Tokyo", "ja"]]),
        "routes.txt": (["route_id", "agency_id", "route_short_name", "route_long_name", "route_type"],
                       [[ROUTE_ID, AGENCY_ID, "上信線", "Joshin Line Takasaki - Shimonita", 2]]),
        "stops.txt": (["stop_id", "stop_name", "stop_lat", "stop_lon", "stop_desc"],
                      [[stop_id_of(s), s.name_ja, f"{s.lat:.6f}", f"{s.lon:.6f}", s.name_en] for s in stations]),
        "calendar.txt": (["service_id", *_WEEKDAYS, "start_date", "end_date"],
                         [[SERVICE_ID, *([1] * 7), CALENDAR_START, CALENDAR_END]]),
        "trips.txt": (["route_id", "service_id", "trip_id", "trip_headsign", "direction_id"],
                      [[ROUTE_ID, SERVICE_ID, t.trip_id, t.headsign, t.direction] for t in trips]),
        "stop_times.txt": (
            ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence", "shape_dist_traveled"],
            [[t.trip_id, gtfs_time(at), gtfs_time(at), stop_id_of(s), i + 1, f"{s.km:.1f}"]
             for t in trips for i, (s, at) in enumerate(t.calls)],
        ),
    }
    written = []
    for name, (header, rows) in files.items():
        _write(out / name, header, rows)
        written.append(out / name)
    return written


def _read(path: Path, required: tuple[str, ...], optional: bool = False) -> list[dict[str, str]]:
    if not path.is_file():
        if optional:
            return []
        raise GtfsError(f"GTFS file {path} is missing")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise GtfsError(f"{path.name}: missing column(s) {', '.join(missing)}")
        return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def _services_on(feed: Path, day: date) -> set[str]:
    """Service ids running on ``day`` per ``calendar.txt`` and ``calendar_dates.txt`` exceptions."""
    stamp = day.strftime("%Y%m%d")
    weekday = _WEEKDAYS[day.weekday()]
    services = {
        r["service_id"]
        for r in _read(feed / "calendar.txt", ("service_id", weekday, "start_date", "end_date"),
                       optional=(feed / "calendar_dates.txt").is_file())
        if r[weekday] == "1" and r["start_date"] <= stamp <= r["end_date"]
    }
    for r in _read(feed / "calendar_dates.txt", ("service_id", "date", "exception_type"), optional=True):
        if r["date"] == stamp:
            (services.add if r["exception_type"] == "1" else services.discard)(r["service_id"])
    return services


def read_gtfs(feed_dir: Path = DEFAULT_GTFS_DIR, service_day: date | str | None = None) -> Timetable:
    """Read a GTFS feed of the line into a :class:`Timetable` of one service day.

    Parameters
    ----------
    feed_dir
        Directory holding the feed's ``.txt`` files.
    service_day
        Day (``date`` or ``YYYY-MM-DD``) whose trains to keep by the calendar; None keeps every trip
        (fine for a one-service feed such as the pattern timetable).

    Raises
    ------
    GtfsError
        A file or column is missing, a time or number does not parse, or the day has no service.
    """
    feed = Path(feed_dir)
    stops = []
    for n, r in enumerate(_read(feed / "stops.txt", ("stop_id", "stop_name", "stop_lat", "stop_lon")), start=2):
        try:
            stops.append(RailStop(r["stop_id"], r["stop_name"], float(r["stop_lat"]), float(r["stop_lon"])))
        except ValueError as exc:
            raise GtfsError(f"stops.txt line {n}: {exc}") from exc
    trip_rows = _read(feed / "trips.txt", ("route_id", "service_id", "trip_id"))
    if service_day is not None:
        day = date.fromisoformat(service_day) if isinstance(service_day, str) else service_day
        running = _services_on(feed, day)
        trip_rows = [r for r in trip_rows if r["service_id"] in running]
        if not trip_rows:
            raise GtfsError(f"no train runs on {day.isoformat()} according to {feed}/calendar.txt")
    calls: dict[str, list[tuple[int, Call]]] = defaultdict(list)
    required = ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence")
    for n, r in enumerate(_read(feed / "stop_times.txt", required), start=2):
        try:
            arrival = parse_gtfs_time(r["arrival_time"] or r["departure_time"])
            departure = parse_gtfs_time(r["departure_time"] or r["arrival_time"])
            km = float(r["shape_dist_traveled"]) if r.get("shape_dist_traveled") else None
            calls[r["trip_id"]].append((int(r["stop_sequence"]), Call(r["stop_id"], arrival, departure, km)))
        except ValueError as exc:
            raise GtfsError(f"stop_times.txt line {n}: {exc}") from exc
    trains = []
    for r in trip_rows:
        ordered = tuple(c for _, c in sorted(calls.get(r["trip_id"], []), key=lambda x: x[0]))
        if len(ordered) < 2:
            raise GtfsError(f"trip {r['trip_id']} has fewer than two stop times")
        direction = int(r["direction_id"]) if r.get("direction_id") else 0
        trains.append(Train(r["trip_id"], direction, r.get("trip_headsign", ""), ordered, r["service_id"]))
    try:
        return Timetable(stops, trains)
    except ValueError as exc:
        raise GtfsError(f"{feed}: {exc}") from exc
