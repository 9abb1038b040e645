"""Read a bookings CSV to replay; a malformed row is reported with its line number.

Columns (header row required, order free; see ``docs/sim.md``):

==================  ========  ==================================================================
column              required  meaning
==================  ========  ==================================================================
booking_time        yes       when the call came in, ``2026-12-01T09:05`` (Asia/Tokyo unless an
                              offset is given)
requested_time      yes       leave after (or arrive by) this time, same format
origin              yes       place key (``st:Joshu-Tomioka``, ``tomioka_general_hospital``,
                              ``oz:富岡市/七日市``) or ``lat,lon`` in degrees
destination         yes       as origin
party               yes       riders travelling together (>= 1), wheelchair riders included
wheelchair          no        how many of them stay in a wheelchair (default 0)
id                  no        booking id (default ``row<line>``)
time_kind           no        ``depart_after`` (default) or ``arrive_by``
cancel_time         no        when the booking was cancelled, same format
no_show             no        ``1``/``true`` when the rider did not show up
home_municipality   no        rider's home (name or JIS code) for fares and accounting
==================  ========  ==================================================================
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from dispatch.model import TimeKind
from routing.facts import RegionFacts
from routing.geo import SERVICE_BOX
from sim.demand import endpoint_of
from sim.region import resolve_municipality
from sim.requests import Endpoint, TripRequest
from sim.schema import ScenarioError

TOKYO = timezone(timedelta(hours=9), "Asia/Tokyo")
REQUIRED = ("booking_time", "requested_time", "origin", "destination", "party")
OPTIONAL = ("wheelchair", "id", "time_kind", "cancel_time", "no_show", "home_municipality")
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"", "0", "false", "no", "n"}


@dataclass(frozen=True)
class ReplayDemand:
    """Requests read from a CSV; day 0 is ``start_date`` (the first requested date in the file)."""

    start_date: date
    requests: list[TripRequest]

    @property
    def days(self) -> int:
        return 1 + max((r.day for r in self.requests), default=0)


def parse_local(text: str) -> datetime:
    """An ISO 8601 date-time as Asia/Tokyo time (naive values are taken to be Tokyo time)."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        return value.replace(tzinfo=TOKYO)
    return value.astimezone(TOKYO)


def _seconds_since(day: date, moment: datetime) -> int:
    midnight = datetime(day.year, day.month, day.day, tzinfo=TOKYO)
    return round((moment - midnight).total_seconds())


class _Row:
    """Field access for one CSV row that turns every problem into a message with the line number."""

    def __init__(self, path: Path, line: int, row: dict[str, str | None]) -> None:
        self.where = f"{path}:{line}"
        self.row = row

    def fail(self, message: str) -> ScenarioError:
        return ScenarioError(f"{self.where}: {message}")

    def text(self, column: str) -> str:
        return (self.row.get(column) or "").strip()

    def time(self, column: str) -> datetime:
        try:
            return parse_local(self.text(column))
        except ValueError:
            raise self.fail(f"{column} {self.text(column)!r} is not a date-time like 2026-12-01T09:30") from None

    def count(self, column: str, default: int, minimum: int) -> int:
        raw = self.text(column)
        if not raw:
            if default < minimum:
                raise self.fail(f"{column} is empty")
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self.fail(f"{column} {raw!r} is not a whole number") from None
        if value < minimum:
            raise self.fail(f"{column} must be at least {minimum}, got {value}")
        return value

    def endpoint(self, column: str, facts: RegionFacts) -> Endpoint:
        raw = self.text(column)
        if not raw:
            raise self.fail(f"{column} is empty")
        place = facts.all_by_key().get(raw)  # stop poles too (stop:tomioka/富岡駅)
        if place is not None:
            return endpoint_of(place)
        parts = raw.replace(";", ",").split(",")
        if len(parts) == 2:
            try:
                lat, lon = float(parts[0]), float(parts[1])
            except ValueError:
                lat = lon = float("nan")
            if SERVICE_BOX.contains(lat, lon):
                return Endpoint(lat=lat, lon=lon)
            if lat == lat:
                raise self.fail(f"{column} {raw!r} lies outside the service area")
        raise self.fail(f"{column} {raw!r} is neither a known place key nor 'lat,lon'")


def read_bookings_csv(path: str | Path, facts: RegionFacts) -> ReplayDemand:
    """Read a bookings CSV into requests, day 0 being the first requested date.

    Raises
    ------
    ScenarioError
        For a missing file, missing columns, or the first malformed row (with its line number).
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"bookings CSV {path} does not exist")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ScenarioError(f"{path}:1: missing column(s) {', '.join(missing)}; required: {', '.join(REQUIRED)}")
        unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
        if unknown:
            raise ScenarioError(f"{path}:1: unknown column(s) {', '.join(unknown)}")
        reader.fieldnames = header
        rows = []
        for raw in reader:
            if None in raw:
                raise ScenarioError(f"{path}:{reader.line_num}: more fields than columns in the header")
            rows.append(_Row(path, reader.line_num, raw))
    parsed = [_parse(row, facts) for row in rows]
    if not parsed:
        return ReplayDemand(date.today(), [])
    start = min(req_time.date() for _, req_time, _, _ in parsed)
    requests = []
    seen: set[str] = set()
    for row, req_time, booked, cancel in parsed:
        rid = row.text("id") or f"row{row.where.rsplit(':', 1)[1]}"
        if rid in seen:
            raise row.fail(f"duplicate id {rid!r}")
        seen.add(rid)
        day = req_time.date()
        requests.append(_request(row, facts, rid, (day - start).days, _seconds_since(day, req_time),
                                 _seconds_since(day, booked),
                                 None if cancel is None else _seconds_since(day, cancel)))
    requests.sort(key=lambda r: (r.day, r.booked_at, r.id))
    return ReplayDemand(start, requests)


def _parse(row: _Row, facts: RegionFacts) -> tuple[_Row, datetime, datetime, datetime | None]:
    booked, requested = row.time("booking_time"), row.time("requested_time")
    if booked > requested:
        raise row.fail("booking_time is after requested_time")
    cancel = row.time("cancel_time") if row.text("cancel_time") else None
    if cancel is not None and not booked <= cancel:
        raise row.fail("cancel_time is before booking_time")
    return row, requested, booked, cancel


def _request(row: _Row, facts: RegionFacts, rid: str, day: int, clock: int, booked: int,
             cancel: int | None) -> TripRequest:
    party = row.count("party", 0, 1)
    wheelchairs = row.count("wheelchair", 0, 0)
    if wheelchairs > party:
        raise row.fail(f"wheelchair ({wheelchairs}) exceeds party ({party})")
    kind_text = row.text("time_kind") or TimeKind.DEPART_AFTER.value
    if kind_text not in {k.value for k in TimeKind}:
        raise row.fail(f"time_kind {kind_text!r} must be depart_after or arrive_by")
    no_show_text = row.text("no_show").lower()
    if no_show_text not in _TRUE | _FALSE:
        raise row.fail(f"no_show {no_show_text!r} must be 1/0 or true/false")
    origin, destination = row.endpoint("origin", facts), row.endpoint("destination", facts)
    home = row.text("home_municipality")
    try:
        home_jis = resolve_municipality(facts, home).jis_code if home else origin.jis_code
    except ScenarioError as exc:
        raise row.fail(str(exc).split(": ", 1)[1]) from None
    return TripRequest(id=rid, day=day, booked_at=booked, requested_time=clock, origin=origin,
                       destination=destination, time_kind=TimeKind(kind_text), seats=party - wheelchairs,
                       wheelchairs=wheelchairs, purpose="replay", home_jis=home_jis, cancel_at=cancel,
                       no_show=no_show_text in _TRUE)
