"""A compressed month: service days of the wide-area scenario's demand through the API and the worker, each
day driven, closed and archived as it ends; Redis, PostgreSQL and the processes measured after every day.

Starts a Redis of its own (``config/redis.conf``; or ``--redis URL``), a fresh PostgreSQL database (created,
migrated with Alembic, dropped at the end unless ``--keep-db``), ``python -m api`` (uvicorn) and
``python -m api.worker`` with the scenario's fleet, service rules and wide-area operating model, and a
service clock of its own (``KANRA_CLOCK_FILE``, :func:`api.timefmt.clock`) that it moves forward. For each
day ``D`` of ``--days``:

1. the evening before (``D-1`` 19:00) every request of the day drawn by the simulator's demand generator
   (``sim/scenarios/wide_area.yaml``, scaled by ``--scale``) is booked over HTTP (``POST /bookings``, the
   phone's synchronous path), offers are confirmed, and the requests the generator cancels are cancelled;
2. at 02:30 on ``D`` the real archiver (``python -m api.archive``) runs: ``D-1`` is closed by then, so it
   is archived, verified and, once older than the retention window, trimmed from Redis; then Redis
   (``used_memory``, keys by kind, stream lengths), PostgreSQL (rows per table, database size) and the RSS
   of the API and the worker are recorded for ``D-1``;
3. ``D`` is driven: from 07:55 the clock moves in ``--step-min`` steps; at each step every vehicle's
   plan is read (``GET /vehicles/{id}/plan``) and the stops due by then are reported as its driver would
   (shift start, arrived, boarded or no-show, dropped, shift end), at the planned times (a vehicle is never
   earlier than the pickup window nor than its own previous event).

At the end it checks: Redis memory flat after the retention window (the slope over the days after it is
small against the growth while Redis filled), every booking answered 2xx in PostgreSQL exactly once with the
status the driving left it in, the month's report (``api.history.reports``, and ``python -m api.report
--month``) equal to the sum of its days and to what was driven, and the RSS of both processes bounded.

Redis's own expiries (idempotency keys, the writer's results) run on the real clock; they are shortened to
the compression (``--real-day-s`` real seconds per service day).

Usage::

    python benchmarks/month_soak.py --days 30 --scale 0.5 --json benchmarks/results/month_soak.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import redis

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

from reliability.stack import ApiServer, RedisServer, Worker, wait_until  # noqa: E402

from api.timefmt import JST, day_start  # noqa: E402

PREFIX = "kt"
SCENARIO = REPO / "sim" / "scenarios" / "wide_area.yaml"
JIS = {"Tomioka": "10210", "Kanra": "10384", "Shimonita": "10382", "Nanmoku": "10383"}
TABLES = ("archived_days", "riders", "bookings", "booking_status_changes", "legs", "shifts", "executed_stops",
          "positions", "cost_shares", "commands", "commits")
OPEN = {"requested", "offered", "confirmed", "assigned", "onboard", "on_board"}


class ServiceClock:
    """The clock of the API, the worker and the archiver: a file with the seconds to add to the system's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.set(datetime.now(JST))

    def set(self, moment: datetime) -> None:
        """From now on the service clock reads ``moment`` (and runs on from there at real speed)."""
        partial = self.path.with_suffix(".partial")
        partial.write_text(repr(moment.timestamp() - time.time()), encoding="utf-8")
        os.replace(partial, self.path)

    @staticmethod
    def at(day: str, hhmm: str) -> datetime:
        h, m = (int(p) for p in hhmm.split(":"))
        return day_start(day) + timedelta(hours=h, minutes=m)


# ---------------------------------------------------------------------------- configuration
def write_config(folder: Path, scale: float) -> tuple[dict[str, str], Any]:
    """Fleet, rules and operating model of the wide-area scenario as the API reads them; (env, scenario)."""
    from sim.fleet import crossing_rules
    from sim.run import load_network
    from sim.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    scenario = dataclasses.replace(scenario, demand=dataclasses.replace(scenario.demand,
                                                                         scale=scenario.demand.scale * scale))
    network = load_network()
    rules = dataclasses.asdict(scenario.service_rules)
    vehicles = []
    for fleet in scenario.fleets:
        jis = JIS[fleet.municipality]
        start, end = fleet.shifts[0]
        for i in range(fleet.vehicles):
            vehicles.append({"id": f"{fleet.municipality.lower()}-{i + 1}", "municipality": jis, "seats": fleet.seats,
                             "wheelchair_places": fleet.wheelchair_places if i < fleet.wheelchair_vehicles else 0,
                             "depot": fleet.depot, "label": f"{fleet.municipality} {i + 1}",
                             "shift_start": _hhmm(start), "shift_end": _hhmm(end)})
    crossing = crossing_rules(scenario, network.facts)
    model = {"fleets": {m.jis_code: m.name_en for m in network.facts.municipalities},
             "direct_pairs": [sorted(p) for p in crossing.pairs],
             "direct_destinations": sorted(crossing.destinations), "rail_feeding": False, "hubs": {}}
    paths = {"rules": folder / "rules.json", "fleet": folder / "fleet.json", "model": folder / "model.json"}
    paths["rules"].write_text(json.dumps(rules), encoding="utf-8")
    paths["fleet"].write_text(json.dumps({"vehicles": vehicles}, ensure_ascii=False), encoding="utf-8")
    paths["model"].write_text(json.dumps(model), encoding="utf-8")
    env = {"KANRA_RULES_FILE": str(paths["rules"]), "KANRA_FLEET_FILE": str(paths["fleet"]),
           "KANRA_OPERATING_MODEL": str(paths["model"])}
    return env, (scenario, network, [v["id"] for v in vehicles])


def _hhmm(value: Any) -> str:
    if isinstance(value, str):
        return value
    seconds = int(value)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _point(endpoint: Any) -> dict[str, Any]:
    if endpoint.key:
        return {"place": endpoint.key}
    return {"lat": round(endpoint.lat, 6), "lon": round(endpoint.lon, 6)}


# ---------------------------------------------------------------------------- the client
class Client:
    """Sequential keep-alive HTTP client of the operator (bookings) and the dispatcher (drivers' events)."""

    def __init__(self, base_url: str, keys: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60.0)
        self.keys = keys
        self.calls = 0
        self.errors: list[str] = []
        self.latency_s: list[float] = []

    def call(self, method: str, path: str, role: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-API-Key": self.keys[role], **kwargs.pop("headers", {})}
        for _ in range(20):
            began = time.monotonic()
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                self.errors.append(f"{method} {path}: {exc!r}")
                time.sleep(0.5)
                continue
            self.calls += 1
            self.latency_s.append(time.monotonic() - began)
            if response.status_code == 503:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code >= 500:
                self.errors.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
            return response
        raise RuntimeError(f"{method} {path}: no answer after 20 tries")


@dataclasses.dataclass
class DayTally:
    """What the client did and was told on one day (the truth the archive and the report are held to)."""

    requested: int = 0
    accepted: int = 0
    offered: int = 0
    rejected: int = 0
    cancelled: int = 0
    completed: int = 0
    no_shows: int = 0
    events: int = 0
    refused_events: int = 0
    booking_s: float = 0.0
    driving_s: float = 0.0
    archive_s: float = 0.0


def book_day(client: Client, clock: ServiceClock, day: str, requests: list[Any], tally: DayTally,
             outcome: dict[str, str], no_show: set[str]) -> None:
    """The day's requests booked the evening before (sync, as on the phone), confirmed, some cancelled."""
    clock.set(ServiceClock.at((date.fromisoformat(day) - timedelta(days=1)).isoformat(), "19:00"))
    began = time.monotonic()
    for request in requests:
        body = {"pickup": _point(request.origin), "dropoff": _point(request.destination),
                "time": (day_start(day) + timedelta(seconds=int(request.requested_time))).isoformat(),
                "time_kind": "arrive_by" if str(request.time_kind).lower().endswith("arrive_by") else "depart_after",
                "seats": int(request.seats), "wheelchairs": int(request.wheelchairs)}
        tally.requested += 1
        response = client.call("POST", "/bookings", "operator", json=body,
                               headers={"Idempotency-Key": f"month-{day}-{request.id}"})
        if response.status_code == 422:  # the API refuses the address (outside the area, same place twice)
            outcome[f"422:{day}:{request.id}"] = "refused_422"
            continue
        if response.status_code not in (200, 201, 202):
            client.errors.append(f"booking {request.id}: {response.status_code} {response.text[:200]}")
            continue
        record = response.json()
        booking_id = record["id"]
        tally.accepted += 1
        deadline = time.monotonic() + 30
        while record["status"] == "requested" and time.monotonic() < deadline:
            time.sleep(0.1)
            record = client.call("GET", f"/bookings/{booking_id}", "operator").json()
        if record["status"] != "offered":
            tally.rejected += 1
            outcome[booking_id] = record["status"]
            continue
        tally.offered += 1
        confirmed = client.call("POST", f"/bookings/{booking_id}/confirm", "operator")
        if confirmed.status_code != 200:
            client.errors.append(f"confirm {booking_id}: {confirmed.status_code} {confirmed.text[:200]}")
            outcome[booking_id] = client.call("GET", f"/bookings/{booking_id}", "operator").json()["status"]
            continue
        if request.cancel_at is not None:
            cancel = client.call("POST", f"/bookings/{booking_id}/cancel", "operator", json={"reason": "rider"})
            if cancel.status_code == 200:
                tally.cancelled += 1
                outcome[booking_id] = "cancelled"
                continue
            client.errors.append(f"cancel {booking_id}: {cancel.status_code} {cancel.text[:200]}")
        outcome[booking_id] = "confirmed"
        if request.no_show:
            no_show.add(booking_id)
    tally.booking_s = time.monotonic() - began


def _seconds(day: str, iso: str) -> int:
    return int((datetime.fromisoformat(iso) - day_start(day)).total_seconds())


def drive_day(client: Client, clock: ServiceClock, day: str, vehicles: list[str], step_min: int, tally: DayTally,
              outcome: dict[str, str], no_show: set[str]) -> list[str]:
    """Report every planned stop of ``day`` as the drivers would; returns problems (stops left over)."""
    began = time.monotonic()

    def event(vehicle: str, kind: str, at_s: int, booking_id: str | None = None) -> bool:
        body: dict[str, Any] = {"type": kind, "at": (day_start(day) + timedelta(seconds=at_s)).isoformat()}
        if booking_id is not None:
            body["booking_id"] = booking_id
        response = client.call("POST", f"/vehicles/{vehicle}/events", "dispatcher", json=body)
        tally.events += 1
        if response.status_code != 200 or not response.json().get("ok", True):
            tally.refused_events += 1
            return False
        return True

    start = 7 * 3600 + 55 * 60
    clock.set(ServiceClock.at(day, "07:55"))
    last = dict.fromkeys(vehicles, start)
    for vehicle in vehicles:
        event(vehicle, "shift_start", start)
    now = start
    remaining = True
    while remaining and now < 24 * 3600 - step_min * 60:
        now += step_min * 60
        clock.set(day_start(day) + timedelta(seconds=now))
        remaining = False
        for vehicle in vehicles:
            for _attempt in range(3):
                plan = client.call("GET", f"/vehicles/{vehicle}/plan", "dispatcher", params={"day": day})
                stops = plan.json()["stops"]
                moved = _report_due(stops, vehicle, day, now, last, event, outcome, no_show, tally)
                if moved is None:  # an event refused: the plan changed under us, read it again
                    continue
                break
            if stops and (moved is None or moved < len(stops)):
                remaining = True
    for vehicle in vehicles:
        event(vehicle, "shift_end", max(last[vehicle] + 60, 17 * 3600))
    tally.driving_s = time.monotonic() - began
    problems = []
    for vehicle in vehicles:
        left = client.call("GET", f"/vehicles/{vehicle}/plan", "dispatcher", params={"day": day}).json()["stops"]
        if left:
            problems.append(f"{day}: {vehicle} has {len(left)} stops left after the day")
    return problems


def _report_due(stops: list[dict[str, Any]], vehicle: str, day: str, now: int, last: dict[str, int], event: Any,
                outcome: dict[str, str], no_show: set[str], tally: DayTally) -> int | None:
    """Report the stops due by ``now``; how many were done, None if an event was refused."""
    done = 0
    for stop in stops:
        if stop["kind"] == "break":  # the scenario plans none; an unreported break is taken as planned
            continue
        owner = stop["booking_id"].split("/")[0]  # a trip's leg is <trip>/<n>
        due = max(_seconds(day, stop["arrival"]), last[vehicle] + 30)
        if stop["kind"].lower().endswith("pickup"):
            due = max(due, _seconds(day, stop["window"]["start"]))
        if due > now:
            break
        if stop["kind"].lower().endswith("pickup"):
            if not event(vehicle, "arrived", due, stop["booking_id"]):
                return None
            if owner in no_show:
                if not event(vehicle, "no_show", due + 300, stop["booking_id"]):
                    return None
                outcome[owner] = "no_show"
                tally.no_shows += 1
                last[vehicle] = due + 300
            else:
                if not event(vehicle, "boarded", due + 60, stop["booking_id"]):
                    return None
                last[vehicle] = due + 60
        else:
            if not event(vehicle, "dropped", due, stop["booking_id"]):
                return None
            outcome[owner] = "completed"
            tally.completed += 1
            last[vehicle] = due
        done += 1
    return done


# ---------------------------------------------------------------------------- measuring
def redis_figures(client: redis.Redis) -> dict[str, Any]:
    """Memory, keys by kind (the key with its ids replaced) and the streams' lengths."""
    kinds: Counter[str] = Counter()
    for key in client.scan_iter(match=f"{PREFIX}:*", count=1000):
        parts = key.split(":")[1:]
        kind = []
        for i, part in enumerate(parts):
            if i > 0 and (any(c.isdigit() for c in part) or len(part) > 24) and part not in ("v1",):
                kind.append("*")
            else:
                kind.append(part)
        kinds[":".join(kind)] += 1
    streams = {}
    for key in client.scan_iter(match=f"{PREFIX}:*", count=1000, _type="stream"):
        streams[key.removeprefix(f"{PREFIX}:")] = int(client.xlen(key))
    memory = client.info("memory")
    return {"used_memory_mb": round(int(memory["used_memory"]) / 2**20, 2),
            "dataset_mb": round(int(memory.get("used_memory_dataset", 0)) / 2**20, 2),
            "keys": int(client.dbsize()), "kinds": dict(sorted(kinds.items())),
            "streams": dict(sorted(streams.items()))}


def pg_figures(engine: Any) -> dict[str, Any]:
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}
        size = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    return {"rows": rows, "size_mb": round(size / 2**20, 2)}


def slope(values: list[float]) -> float:
    """Least-squares slope per step of ``values`` (0 for fewer than two)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


# ---------------------------------------------------------------------------- the run
def run(days: int, scale: float, start: str, retention: int, step_min: int, real_day_s: int, workdir: Path,
        redis_url: str | None, database: str, keep_db: bool, progress: bool = True) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    from api.history.migrate import upgrade
    from sim.demand import DemandGenerator

    server_url = os.environ.get("KANRA_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432").rstrip("/")
    admin = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    history_url = f"{server_url}/{database}"
    upgrade(history_url)
    config_env, (scenario, network, vehicles) = write_config(workdir, scale)
    generator = DemandGenerator(scenario.demand, network.facts, scenario.service_rules, scenario.seed)
    keys = {role: f"{role}-{secrets.token_hex(8)}" for role in ("operator", "dispatcher", "admin")}
    clock = ServiceClock(workdir / "clock")
    env = {"KANRA_API_KEYS": ",".join(f"{k}:{r}" for r, k in keys.items()), "KANRA_KEY_PREFIX": PREFIX,
           "KANRA_LOG_LEVEL": "warning", "KANRA_RATE_LIMIT_PER_MIN": "0", "KANRA_CLOCK_FILE": str(clock.path),
           "KANRA_HISTORY_URL": history_url, "KANRA_HISTORY_RETENTION_DAYS": str(retention),
           "KANRA_HISTORY_RIDER_SECRET": secrets.token_hex(16),
           "KANRA_RESULT_TTL_S": str(real_day_s), "KANRA_IDEMPOTENCY_TTL_S": str(7 * real_day_s), **config_env}
    history_engine = create_engine(history_url)
    first = date.fromisoformat(start)
    service_days = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    own = RedisServer(workdir / "redis").start() if redis_url is None else None
    env["REDIS_URL"] = own.url() if own is not None else redis_url
    store = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    if own is None:
        store.flushdb()
    outcome: dict[str, str] = {}
    tallies: dict[str, DayTally] = {}
    per_day: list[dict[str, Any]] = []
    problems: list[str] = []
    archive_runs: list[str] = []
    api = worker = None
    began = time.monotonic()
    try:
        clock.set(ServiceClock.at((first - timedelta(days=1)).isoformat(), "18:00"))
        api = ApiServer(env, workdir / "api.log").start()
        worker = Worker({**env, "KANRA_LOG_LEVEL": "info"}, workdir / "worker.log").start()
        api.wait_ready(120)
        wait_until(lambda: "starting for areas" in worker.log_text(), 120, "worker start")
        client = Client(api.base_url, keys)
        baseline = {"redis": redis_figures(store), "api_rss_mb": api.rss_mb(), "worker_rss_mb": worker.rss_mb()}

        def archive(after_day: str) -> None:
            tally = tallies[after_day]
            clock.set(ServiceClock.at((date.fromisoformat(after_day) + timedelta(days=1)).isoformat(), "02:30"))
            t0 = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "api.archive"], cwd=REPO, capture_output=True, text=True,
                                  env={**os.environ, "PYTHONPATH": str(REPO), **env}, timeout=600)
            tally.archive_s = time.monotonic() - t0
            archive_runs.append(done.stdout.strip().splitlines()[0] if done.stdout.strip() else "")
            if done.returncode != 0:
                problems.append(f"archive after {after_day}: exit {done.returncode}: {done.stderr[-500:]}")
            if f"all/{after_day}: " in done.stdout:
                problems.append(f"{after_day} not closed: {done.stdout[-500:]}")
            figures = {"day": after_day, **dataclasses.asdict(tally), "redis": redis_figures(store),
                       "postgres": pg_figures(history_engine), "api_rss_mb": api.rss_mb(),
                       "worker_rss_mb": worker.rss_mb(), "archive": archive_runs[-1]}
            per_day.append(figures)
            if progress:
                print(f"{after_day}: {tally.accepted} booked, {tally.completed} rides, {tally.no_shows} no-shows; "
                      f"Redis {figures['redis']['used_memory_mb']} MiB / {figures['redis']['keys']} keys; "
                      f"PostgreSQL {figures['postgres']['rows']['bookings']} bookings; "
                      f"RSS API {figures['api_rss_mb']:.0f} worker {figures['worker_rss_mb']:.0f} MiB; "
                      f"{tally.booking_s:.0f}+{tally.driving_s:.0f}+{tally.archive_s:.0f} s", flush=True)

        for index, day in enumerate(service_days):
            requests = generator.day(index)
            tallies[day] = DayTally()
            no_show: set[str] = set()
            book_day(client, clock, day, requests, tallies[day], outcome, no_show)
            if index > 0:
                archive(service_days[index - 1])
            problems += drive_day(client, clock, day, vehicles, step_min, tallies[day], outcome, no_show)
        archive(service_days[-1])
        report_check = check_report(history_engine, service_days, tallies, env, workdir)
        books = check_books(history_engine, outcome)
        problems += client.errors[:20] + books["problems"] + report_check["problems"]
        elapsed = time.monotonic() - began
        worker_log = worker.log_text()
    finally:
        if worker is not None:
            worker.stop()
        if api is not None:
            api.stop()
        store.close()
        if own is not None:
            own.stop()
        history_engine.dispose()
        if not keep_db:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
    verdict = judge(per_day, retention, int(env.get("KANRA_EVENTS_MAXLEN", 10_000)))
    latencies = sorted(client.latency_s)
    return {"days": days, "scale": scale, "start": start, "retention_days": retention, "step_min": step_min,
            "real_day_s": real_day_s, "elapsed_s": round(elapsed, 1), "http_calls": client.calls,
            "http_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
            "http_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1) if latencies else None,
            "baseline": baseline, "per_day": per_day, "totals": _totals(tallies), "books": books,
            "report": report_check, "verdict": verdict, "problems": problems + verdict["problems"],
            "worker_tracebacks": worker_log.count("Traceback")}


def _totals(tallies: dict[str, DayTally]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for tally in tallies.values():
        for name, value in dataclasses.asdict(tally).items():
            if isinstance(value, int):
                out[name] += value
    return dict(out)


def check_books(engine: Any, outcome: dict[str, str]) -> dict[str, Any]:
    """Every booking answered 2xx is in PostgreSQL exactly once, in the state the client left it in."""
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status FROM bookings")).all()
    stored = Counter(r[0] for r in rows)
    status = {r[0]: r[1] for r in rows}
    accepted = {b: s for b, s in outcome.items() if not b.startswith("422:")}
    problems = []
    missing = sorted(set(accepted) - set(stored))
    extra = sorted(set(stored) - set(accepted))
    twice = sorted(b for b, n in stored.items() if n > 1)
    if missing:
        problems.append(f"{len(missing)} bookings answered 2xx are not in PostgreSQL, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} bookings in PostgreSQL nobody was answered for, e.g. {extra[:3]}")
    if twice:
        problems.append(f"{len(twice)} bookings stored more than once")
    expected = {"confirmed": {"completed"}, "completed": {"completed"}, "no_show": {"no_show"},
                "cancelled": {"cancelled"}, "rejected": {"rejected"}}
    wrong = [(b, s, status.get(b)) for b, s in accepted.items()
             if b in status and status[b] not in expected.get(s, {s})]
    if wrong:
        problems.append(f"{len(wrong)} bookings stored in another state than driven, e.g. {wrong[:3]}")
    return {"accepted": len(accepted), "stored": len(stored), "statuses": dict(Counter(status.values())),
            "refused_422": sum(1 for b in outcome if b.startswith("422:")), "problems": problems}


def check_report(engine: Any, service_days: list[str], tallies: dict[str, DayTally], env: dict[str, str],
                 workdir: Path) -> dict[str, Any]:
    """The month's report equals the sum of its days' and what was driven; the command writes it too."""
    from api.history.costrule import CostRule
    from api.history.reports import Period, build_report, municipalities_of_region

    names = municipalities_of_region()
    months = sorted({d[:7] for d in service_days})
    problems: list[str] = []
    checked = {}
    compared = [("residents", c) for c in ("rides", "riders", "refusals", "cancellations", "no_shows", "fares_yen")]
    compared += [("fleets", c) for c in ("vehicle_km", "vehicle_h", "riders_carried", "pickups", "pickups_on_time",
                                         "fare_revenue_yen")]
    for month in months:
        period = Period.month(month)
        report = build_report(engine, period, CostRule(), names)
        days = [build_report(engine, Period.day(date.fromisoformat(d)), CostRule(), names)
                for d in service_days if d.startswith(month)]
        for table, column in compared:
            total, summed = report.total(table, column), sum(d.total(table, column) for d in days)
            checked[f"{month} {table}.{column}"] = round(total, 3)
            if abs(total - summed) > 1e-6 * max(1.0, abs(total)):
                problems.append(f"{month} {table}.{column}: month {total} != sum of days {summed}")
        driven = {"rides": sum(t.completed for d, t in tallies.items() if d.startswith(month)),
                  "no_shows": sum(t.no_shows for d, t in tallies.items() if d.startswith(month)),
                  "cancellations": sum(t.cancelled for d, t in tallies.items() if d.startswith(month)),
                  "refusals": sum(t.rejected for d, t in tallies.items() if d.startswith(month))}
        for column, value in driven.items():
            if report.total("residents", column) != value:
                problems.append(f"{month} residents.{column}: report {report.total('residents', column)}, "
                                f"driven {value}")
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "api.report", "--month", month, "--out", str(workdir / "reports")],
                              cwd=REPO, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONPATH": str(REPO), **env})
        checked[f"{month} api.report_s"] = round(time.monotonic() - t0, 1)
        if done.returncode != 0:
            problems.append(f"python -m api.report --month {month}: exit {done.returncode} {done.stderr[-300:]}")
    return {"totals": checked, "problems": problems}


def judge(per_day: list[dict[str, Any]], retention: int, events_cap: int = 10_000) -> dict[str, Any]:
    """Flat Redis once it is full, bounded RSS; figures and problems.

    Redis is full once it holds a whole retention window of finished days (``retention + 1`` days) and the
    console's event stream, which is capped by count (``KANRA_EVENTS_MAXLEN``) rather than by day, has
    reached its cap (at a small demand that takes longer than the window).
    """
    memory = [d["redis"]["used_memory_mb"] for d in per_day]
    keys = [d["redis"]["keys"] for d in per_day]
    events = [d["redis"].get("streams", {}).get("stream:events", events_cap) for d in per_day]
    capped = next((i for i, n in enumerate(events) if n >= 0.98 * events_cap), len(per_day))
    filled = max(retention + 1, capped)  # the first day Redis is full
    problems = []
    out: dict[str, Any] = {"full_from_day": filled + 1, "events_stream_capped_on_day": capped + 1}
    if len(per_day) >= filled + 5:
        growth = (memory[filled] - memory[0]) / filled
        late = slope(memory[filled + 1:])
        out.update(redis_growth_mb_per_day_filling=round(growth, 3), redis_slope_mb_per_day_after=round(late, 3),
                   keys_slope_per_day_after=round(slope([float(k) for k in keys[filled + 1:]]), 2))
        if late > max(0.1 * growth, 0.05):
            problems.append(f"Redis memory still grows after the retention window: {late:.3f} MiB/day "
                            f"(filling: {growth:.3f} MiB/day)")
        for name in ("api_rss_mb", "worker_rss_mb"):
            values = [d[name] for d in per_day[filled + 1:] if d[name] is not None]
            rate = slope(values)
            out[f"{name}_slope_per_day_after"] = round(rate, 3)
            if rate > 1.0:
                problems.append(f"{name} grows by {rate:.2f} MiB a day after the retention window")
    out["problems"] = problems
    return out


def print_table(figures: dict[str, Any]) -> None:
    print(f"{'day':<11} {'booked':>6} {'rides':>5} {'no-sh':>5} {'Redis MiB':>9} {'keys':>6} {'PG bookings':>11} "
          f"{'PG MiB':>7} {'API MiB':>7} {'worker MiB':>10} {'s':>5}")
    for d in figures["per_day"]:
        seconds = d["booking_s"] + d["driving_s"] + d["archive_s"]
        print(f"{d['day']:<11} {d['accepted']:>6} {d['completed']:>5} {d['no_shows']:>5} "
              f"{d['redis']['used_memory_mb']:>9.2f} {d['redis']['keys']:>6} {d['postgres']['rows']['bookings']:>11} "
              f"{d['postgres']['size_mb']:>7.1f} {d['api_rss_mb'] or 0:>7.0f} {d['worker_rss_mb'] or 0:>10.0f} "
              f"{seconds:>5.0f}")
    print(f"totals: {figures['totals']}")
    print(f"books: {figures['books']}")
    print(f"verdict: {figures['verdict']}")
    print(f"elapsed {figures['elapsed_s']:.0f} s, {figures['http_calls']} HTTP calls, p50 {figures['http_p50_ms']} ms")
    for problem in figures["problems"]:
        print(f"  ! {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A compressed month through the API, the worker and the archiver.")
    parser.add_argument("--days", type=int, default=30, help="service days (default 30)")
    parser.add_argument("--scale", type=float, default=0.5, help="share of the scenario's calibrated demand (0.5)")
    parser.add_argument("--start", default="2027-01-01", help="first service day (default 2027-01-01)")
    parser.add_argument("--retention-days", type=int, default=7, help="finished days Redis keeps (default 7)")
    parser.add_argument("--step-min", type=int, default=30, help="minutes the clock moves per driving step (30)")
    parser.add_argument("--real-day-s", type=int, default=120,
                        help="real seconds one service day stands for in Redis's expiries (default 120)")
    parser.add_argument("--redis", help="an existing Redis URL (its db is emptied); default: a server of its own")
    parser.add_argument("--database", default=f"kanra_month_soak_{os.getpid()}", help="PostgreSQL database made")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    try:
        date.fromisoformat(args.start)
    except ValueError:
        print(f"month_soak: --start {args.start!r} is not a date", file=sys.stderr)
        return 2
    if not 1 <= args.days <= 62 or not 0 < args.scale <= 2 or not 0 <= args.retention_days <= 30 \
            or not 5 <= args.step_min <= 120 or args.real_day_s < 10:
        print("month_soak: --days in [1, 62], --scale in (0, 2], --retention-days in [0, 30], --step-min in "
              "[5, 120], --real-day-s at least 10", file=sys.stderr)
        return 2
    random.seed(2026)
    with tempfile.TemporaryDirectory(prefix="kanra-month-") as tmp:
        figures = run(args.days, args.scale, args.start, args.retention_days, args.step_min, args.real_day_s,
                      Path(tmp), args.redis, args.database, args.keep_db)
    print_table(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return 1 if figures["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
