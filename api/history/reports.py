"""Monthly and yearly municipal reports (利用実績 / 輸送実績) from the history.

Every figure is computed from the stored rows of the period's days, so a month's totals are the sums of
its days' (the tests check exactly that). Per municipality, in the municipal reports' sense:

* **residents** (by home municipality): rides (trips completed), riders (party sizes of those trips),
  distinct riders (by pseudonymous key), refusals and cancellations by reason, no-shows, fares paid;
* **fleet** (the municipality whose vehicles drove): vehicle-km, vehicle-hours (shift as reported, else
  as planned, for vehicles that ran), riders carried, rides per vehicle-hour, pickup punctuality (the
  vehicle's arrival against the promised window, one minute's tolerance as promises are told to the
  minute), fare revenue;
* **stations**: riders set down by a taxi at each Joshin station (fed to the train), by home municipality;
* **cost shares** under the configured :class:`api.history.costrule.CostRule`.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.history.costrule import CostRule
from api.history.models import BookingRow, CostShare, ExecutedStop, Leg, ShiftRow

ON_TIME_TOLERANCE_S = 59
UNKNOWN = "unknown"


class PeriodError(ValueError):
    """A month or year argument is not a valid period."""


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` inclusive, with its label (``2026-11`` or ``2026``)."""

    start: date
    end: date
    label: str

    @property
    def title_ja(self) -> str:
        if len(self.label) == 4:
            return f"{self.start.year}年度（暦年）"
        return f"{self.start.year}年{self.start.month}月"

    @classmethod
    def month(cls, text: str) -> Period:
        try:
            year, month = (int(p) for p in text.split("-"))
            if len(text) != 7 or not 2000 <= year <= 2100 or not 1 <= month <= 12:
                raise ValueError
        except ValueError:
            raise PeriodError(f"--month {text!r}: expected YYYY-MM, e.g. 2026-11 / 年月は YYYY-MM で指定") from None
        last = calendar.monthrange(year, month)[1]
        return cls(date(year, month, 1), date(year, month, last), text)

    @classmethod
    def year(cls, text: str) -> Period:
        if not (len(text) == 4 and text.isdigit() and 2000 <= int(text) <= 2100):
            raise PeriodError(f"--year {text!r}: expected YYYY, e.g. 2026 / 年は YYYY で指定")
        return cls(date(int(text), 1, 1), date(int(text), 12, 31), text)

    @classmethod
    def day(cls, day: date) -> Period:
        return cls(day, day, day.isoformat())

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass
class Report:
    """The figures of one period; tables are ``{municipality: {column: value}}``."""

    period: Period
    municipalities: list[str]
    names: dict[str, tuple[str, str]]
    residents: dict[str, dict[str, float]] = field(default_factory=dict)
    fleets: dict[str, dict[str, float]] = field(default_factory=dict)
    refusals: dict[str, Counter[str]] = field(default_factory=dict)
    cancellations: dict[str, Counter[str]] = field(default_factory=dict)
    stations: dict[str, Counter[str]] = field(default_factory=dict)
    cost_basis: dict[str, float] = field(default_factory=dict)
    cost_shares: dict[str, float] = field(default_factory=dict)
    net_cost_yen: float = 0.0
    rule: CostRule = field(default_factory=CostRule)
    months: dict[str, dict[str, float]] = field(default_factory=dict)
    months_by: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    days_with_data: int = 0

    def total(self, table: str, column: str) -> float:
        return sum(row.get(column, 0.0) for row in getattr(self, table).values())

    def name(self, code: str) -> str:
        ja, en = self.names.get(code, ("不明", "unknown") if code == UNKNOWN else (code, code))
        return f"{ja} {en}" if ja != en else ja


def _fleet_hours(shift: ShiftRow) -> float:
    """Hours a vehicle was in service: its reported shift, else its planned one if it made stops; else 0."""
    if shift.started_s is None and shift.stops == 0:
        return 0.0
    start = shift.started_s if shift.started_s is not None else shift.planned_start_s
    end = shift.ended_s if shift.ended_s is not None else shift.planned_end_s
    if start is None or end is None:
        return 0.0
    return max(0, end - start) / 3600.0


def build_report(engine: Engine, period: Period, rule: CostRule, municipalities: dict[str, tuple[str, str]],
                 source: str | None = None, area: str | None = None) -> Report:
    """The report of ``period`` from the history (``source``/``area``: only days of that source or area).

    Parameters
    ----------
    municipalities
        JIS code -> (Japanese name, English name) of the municipalities reported on.
    """
    codes = sorted(municipalities)
    report = Report(period, codes, dict(municipalities), rule=rule)
    for m in codes:
        report.residents[m] = defaultdict(float)
        report.fleets[m] = defaultdict(float)
        report.refusals[m] = Counter()
        report.cancellations[m] = Counter()
    with Session(engine) as session:
        def rows(model: Any) -> list[Any]:
            stmt = select(model).where(model.service_day >= period.start, model.service_day <= period.end)
            if area is not None:
                stmt = stmt.where(model.area == area)
            return list(session.scalars(stmt))

        bookings = [b for b in rows(BookingRow) if source is None or _source_ok(b.area, source)]
        shifts = [s for s in rows(ShiftRow) if source is None or _source_ok(s.area, source)]
        stops = [s for s in rows(ExecutedStop) if source is None or _source_ok(s.area, source)]
        shares = [c for c in rows(CostShare) if source is None or _source_ok(c.area, source)]
        ids = [b.id for b in bookings]
        legs = list(session.scalars(select(Leg).where(Leg.booking_id.in_(ids)))) if ids else []
    report.days_with_data = len({b.service_day for b in bookings} | {s.service_day for s in shifts})
    by_id = {b.id: b for b in bookings}
    fleet_of = {(s.area, s.service_day, s.vehicle_id): s.municipality for s in shifts}
    riders_seen: dict[str, set[str]] = defaultdict(set)
    for b in bookings:
        home = b.home_municipality if b.home_municipality in report.residents else UNKNOWN
        row = report.residents.setdefault(home, defaultdict(float))
        party = b.seats + b.wheelchairs
        row["bookings"] += 1
        if b.status == "completed":
            row["rides"] += 1
            row["riders"] += party
            row["fares_yen"] += b.fare_yen
            if b.rider_key:
                riders_seen[home].add(b.rider_key)
            fleet = fleet_of.get((b.area, b.service_day, b.vehicle_id or ""), UNKNOWN)
            report.fleets.setdefault(fleet, defaultdict(float))["fare_revenue_yen"] += b.fare_yen
        elif b.status == "rejected":
            row["refusals"] += 1
            report.refusals.setdefault(home, Counter())[b.rejection_reason or UNKNOWN] += 1
        elif b.status == "cancelled":
            row["cancellations"] += 1
            row["late_cancellations"] += 1 if b.cancel_late else 0
            report.cancellations.setdefault(home, Counter())[b.cancel_reason or UNKNOWN] += 1
        elif b.status == "no_show":
            row["no_shows"] += 1
    for home, keys in riders_seen.items():
        report.residents[home]["distinct_riders"] = len(keys)
    for s in shifts:
        row = report.fleets.setdefault(s.municipality, defaultdict(float))
        hours = _fleet_hours(s)
        row["vehicle_km"] += s.vehicle_km
        row["vehicle_h"] += hours
        row["vehicle_days"] += 1 if hours > 0 else 0
    for stop in stops:
        fleet = fleet_of.get((stop.area, stop.service_day, stop.vehicle_id), UNKNOWN)
        row = report.fleets.setdefault(fleet, defaultdict(float))
        booking = by_id.get(stop.booking_id)
        if stop.kind != "pickup" or booking is None:
            continue
        row["riders_carried"] += booking.seats + booking.wheelchairs
        row["pickups"] += 1
        if stop.arrival_s <= stop.promised_latest_s + ON_TIME_TOLERANCE_S:
            row["pickups_on_time"] += 1
        else:
            row["late_minutes"] += (stop.arrival_s - stop.promised_latest_s) / 60.0
    for leg in legs:
        booking = by_id[leg.booking_id]
        if leg.mode == "drt" and (leg.destination_place or "").startswith("st:") and leg.dropped_off_s is not None:
            home = booking.home_municipality if booking.home_municipality in report.residents else UNKNOWN
            report.stations.setdefault(leg.destination_place, Counter())[home] += booking.seats + booking.wheelchairs
    for row in report.fleets.values():
        row["rides_per_vehicle_h"] = row["riders_carried"] / row["vehicle_h"] if row.get("vehicle_h") else 0.0
        row["on_time_share"] = row["pickups_on_time"] / row["pickups"] if row.get("pickups") else 0.0
    _cost_shares(report, shares)
    if len(period.label) == 4:
        _months(report, bookings, shifts)
    return report


def _source_ok(area: str, source: str) -> bool:
    return area.startswith("sim") == (source == "sim")


def _cost_shares(report: Report, shares: list[CostShare]) -> None:
    rule = report.rule
    served_h: dict[str, float] = defaultdict(float)
    served_km: dict[str, float] = defaultdict(float)
    for c in shares:
        served_h[c.served_municipality] += c.vehicle_h
        served_km[c.served_municipality] += c.vehicle_km
    basis = {"served_hours": served_h, "served_km": served_km,
             "riders": {m: r.get("riders", 0.0) for m, r in report.residents.items()},
             "fleet_hours": {m: r.get("vehicle_h", 0.0) for m, r in report.fleets.items()}}[rule.basis]
    report.cost_basis = {m: basis.get(m, 0.0) for m in report.municipalities}
    hours = report.total("fleets", "vehicle_h")
    km = report.total("fleets", "vehicle_km")
    fares = report.total("residents", "fares_yen")
    report.net_cost_yen, report.cost_shares = rule.shares(report.municipalities, report.cost_basis, hours, km, fares)


def _months(report: Report, bookings: list[BookingRow], shifts: list[ShiftRow]) -> None:
    """A year's 輸送実績 by month: rides, riders, vehicle-km and vehicle-hours, for the whole service
    (``months``) and per municipality (``months_by``: rides and riders by home, km and hours by fleet)."""
    labels = [f"{report.period.start.year}-{m:02d}" for m in range(1, 13)]
    months: dict[str, dict[str, float]] = {label: defaultdict(float) for label in labels}
    by: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: {label: defaultdict(float) for label in labels})
    for b in bookings:
        if b.status == "completed":
            month = b.service_day.isoformat()[:7]
            home = b.home_municipality if b.home_municipality in report.residents else UNKNOWN
            for row in (months[month], by[home][month]):
                row["rides"] += 1
                row["riders"] += b.seats + b.wheelchairs
    for s in shifts:
        month = s.service_day.isoformat()[:7]
        for row in (months[month], by[s.municipality][month]):
            row["vehicle_km"] += s.vehicle_km
            row["vehicle_h"] += _fleet_hours(s)
    report.months = months
    report.months_by = dict(by)


def report_from(url: str, period: Period, rule: CostRule, source: str | None = None,
                area: str | None = None) -> Report:
    """The report of ``period`` from the history database at ``url`` (the command's and the API's one way in).

    Raises
    ------
    sqlalchemy.exc.SQLAlchemyError
        The store cannot be reached or has no schema.
    """
    from api.history.store import connect

    engine = connect(url)
    try:
        return build_report(engine, period, rule, municipalities_of_region(), source=source, area=area)
    finally:
        engine.dispose()


def municipalities_of_region() -> dict[str, tuple[str, str]]:
    """The four municipalities of the service area, from the regional facts."""
    from routing.facts import load_facts

    return {m.jis_code: (m.name_ja, m.name_en) for m in load_facts().municipalities}


def station_names() -> dict[str, str]:
    from routing.facts import load_facts

    return {s.key: f"{s.name_ja} {s.name_en}" for s in load_facts().stations}
