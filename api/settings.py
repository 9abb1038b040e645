"""Settings of the API and the worker, read from the environment (secrets only from there).

Environment variables
---------------------
REDIS_URL
    Redis connection, default ``redis://127.0.0.1:6379/0``; through Sentinel
    ``redis+sentinel://host:port,host:port,host:port/service/db`` (:mod:`api.redis_client`).
KANRA_REDIS_WAIT_REPLICAS, KANRA_REDIS_WAIT_MS
    Answer a write (a booking, a confirmation, a driver's event...) with a 2xx only once this many
    replicas have it, waiting at most this many milliseconds (``WAIT``); otherwise 503 with
    ``Retry-After``. Default: 1 replica through Sentinel, 0 (off) for a plain URL; 500 ms.
KANRA_API_KEYS
    Comma-separated ``key:role[:vehicle_id]`` entries, e.g. ``s3cret:operator,d1:driver:tomioka-1``.
KANRA_API_KEYS_FILE
    Path of a file with one ``key:role[:vehicle_id]`` per line (``#`` comments); merged with the above.
KANRA_KEY_PREFIX
    Prefix of every Redis key (default ``kt``).
KANRA_AREAS
    Service areas, ``name=jis,jis;name2=jis``; one writer per area. Default: one area ``all`` serving
    every municipality (the wide-area model).
KANRA_NETWORK
    ``region`` (default: ``routing.RoadNetwork.load()``) or ``grid:N`` (a synthetic N x N grid, for tests).
KANRA_FLEET_FILE, KANRA_RULES_FILE
    JSON fleet definition (default ``api/fleet_default.json``) and service rules (default: the defaults).
KANRA_STOP_SERVICE
    JSON stop-based service (``dispatch.stop_service.StopService.from_dict``, e.g.
    ``{"feeds": ["tomioka"], "max_walk_m": 800, "municipalities": ["10210"]}``): bookings' doors in those
    municipalities are served at the nearest stop within the walking limit, refused (422) beyond it.
    Default: none, door to door everywhere.
KANRA_OPERATING_MODEL
    JSON operating model for wide-area trips (``dispatch.trips.OperatingModel.from_dict``, e.g.
    ``api/operating_model_wide_area.json``): bookings then go through the trip planner (per-municipality
    fleets, direct crossings, feeder taxi -> Joshin train -> feeder taxi). Default: none, one fleet for all.
KANRA_HISTORY_URL, KANRA_COST_RULE
    The history store the admin report pages read (:mod:`api.history.settings`; unset: the pages answer
    404, no history) and the cost-share rule file of those reports (default: the default rule).
KANRA_HOST, KANRA_PORT
    Where ``python -m api`` listens (default 127.0.0.1:8000).
KANRA_LOCK_TTL_MS, KANRA_LOCK_WAIT_S, KANRA_OFFER_HOLD_S, KANRA_REOPT_INTERVAL_S, KANRA_REOPT_TIME_LIMIT_S
    Tuning of the area lock, the offer hold and the periodic re-optimisation (milliseconds / seconds).
KANRA_REOPT_METHOD
    The periodic re-optimiser: ``rr`` (default), the ruin-and-recreate search from the current plans
    (at half OR-Tools' budget it drove fewer vehicle-km on every day measured, docs/benchmarks.md), or
    ``ortools``, the OR-Tools model. Days with driver breaks are re-optimised by OR-Tools either way.
KANRA_WRITER_BATCH
    Most commands a writer applies per commit (default 200).
KANRA_RATE_LIMIT_PER_MIN
    Requests per minute allowed per API key, shared by all API processes (default 0: no limit).
KANRA_WORKER_GRACE_MS
    How long the worker lets a new command wait for the API process that took it (default 100 ms).
KANRA_CANCEL_DEADLINE_MIN
    Minutes before the promised pickup after which a cancellation counts as late (default 30).
KANRA_EVENTS_MAXLEN
    Entries the outbound event stream of the console keeps (default 10,000; not archived). The command
    streams and the commit log have no count cap: the archiver trims them behind the days it has moved.
KANRA_IDEMPOTENCY_TTL_S, KANRA_RESULT_TTL_S
    How long Redis keeps a booking's idempotency key (default 7 days) and a command's result (1 day).
    Redis expiries run on the real clock; a soak that compresses time shortens them to match.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from api.auth import ApiKey, parse_api_keys
from api.redis_client import RedisUrlError, parse_redis_url

DEFAULT_FLEET_FILE = Path(__file__).resolve().parent / "fleet_default.json"
ALL_AREA = "all"


class SettingsError(ValueError):
    """A setting is malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the API and the worker are configured with.

    Times are seconds unless the name says milliseconds. ``areas`` maps a service-area name to the
    municipality JIS codes it serves; an empty tuple means every municipality.
    """

    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_wait_replicas: int = 0  # replicas a write must reach before its 2xx answer (0: no WAIT)
    redis_wait_ms: int = 500
    api_keys: Mapping[str, ApiKey] = field(default_factory=dict)
    key_prefix: str = "kt"
    areas: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {ALL_AREA: ()})
    network: str = "region"
    fleet_file: Path = DEFAULT_FLEET_FILE
    rules_file: Path | None = None
    operating_model_file: Path | None = None
    stop_service_file: Path | None = None
    history_url: str | None = None  # SQLAlchemy URL of the history store (the admin reports); None: none
    cost_rule_file: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    lock_ttl_ms: int = 10_000
    lock_wait_s: float = 3.0
    offer_hold_s: int = 300
    reopt_interval_s: float = 60.0
    reopt_time_limit_s: float = 2.0
    reopt_method: str = "rr"
    events_maxlen: int = 10_000  # the console's event stream only (never the commit log or command streams)
    idempotency_ttl_s: int = 7 * 86_400
    result_ttl_s: int = 86_400
    writer_batch: int = 200
    rate_limit_per_min: int = 0
    worker_grace_ms: int = 100
    cancel_deadline_s: int = 30 * 60  # a cancellation later than this before the pickup counts as late

    def area_of(self, jis_code: str | None) -> str:
        """The service area whose writer owns a booking or vehicle of municipality ``jis_code``."""
        for name, codes in self.areas.items():
            if not codes or (jis_code is not None and jis_code in codes):
                return name
        raise SettingsError(f"municipality {jis_code!r} belongs to no service area (KANRA_AREAS)")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default ``os.environ``); raise :class:`SettingsError` on bad values."""
        env = os.environ if env is None else env
        keys: dict[str, ApiKey] = {}
        try:
            if env.get("KANRA_API_KEYS_FILE"):
                path = Path(env["KANRA_API_KEYS_FILE"])
                if not path.is_file():
                    raise SettingsError(f"KANRA_API_KEYS_FILE: no such file {path}")
                keys.update(parse_api_keys(path.read_text(encoding="utf-8").splitlines()))
            keys.update(parse_api_keys(env.get("KANRA_API_KEYS", "").split(",")))
        except ValueError as exc:
            raise SettingsError(f"API keys: {exc}") from exc
        defaults = cls()
        redis_url = env.get("REDIS_URL", defaults.redis_url)
        try:
            address = parse_redis_url(redis_url)
        except RedisUrlError as exc:
            raise SettingsError(str(exc)) from exc
        return cls(
            redis_url=redis_url,
            redis_wait_replicas=_number(env, "KANRA_REDIS_WAIT_REPLICAS", 1 if address.through_sentinel else 0, int),
            redis_wait_ms=_wait_ms(env, defaults.redis_wait_ms),
            api_keys=keys,
            key_prefix=env.get("KANRA_KEY_PREFIX", defaults.key_prefix),
            areas=_parse_areas(env.get("KANRA_AREAS", "")) or defaults.areas,
            network=env.get("KANRA_NETWORK", defaults.network),
            fleet_file=Path(env.get("KANRA_FLEET_FILE", str(defaults.fleet_file))),
            rules_file=Path(env["KANRA_RULES_FILE"]) if env.get("KANRA_RULES_FILE") else None,
            operating_model_file=Path(env["KANRA_OPERATING_MODEL"]) if env.get("KANRA_OPERATING_MODEL") else None,
            stop_service_file=Path(env["KANRA_STOP_SERVICE"]) if env.get("KANRA_STOP_SERVICE") else None,
            history_url=env.get("KANRA_HISTORY_URL") or None,
            cost_rule_file=Path(env["KANRA_COST_RULE"]) if env.get("KANRA_COST_RULE") else None,
            host=env.get("KANRA_HOST", defaults.host),
            port=_number(env, "KANRA_PORT", defaults.port, int),
            lock_ttl_ms=_number(env, "KANRA_LOCK_TTL_MS", defaults.lock_ttl_ms, int),
            lock_wait_s=_number(env, "KANRA_LOCK_WAIT_S", defaults.lock_wait_s, float),
            offer_hold_s=_number(env, "KANRA_OFFER_HOLD_S", defaults.offer_hold_s, int),
            reopt_interval_s=_number(env, "KANRA_REOPT_INTERVAL_S", defaults.reopt_interval_s, float),
            reopt_time_limit_s=_number(env, "KANRA_REOPT_TIME_LIMIT_S", defaults.reopt_time_limit_s, float),
            reopt_method=_reopt_method(env, defaults.reopt_method),
            writer_batch=max(1, _number(env, "KANRA_WRITER_BATCH", defaults.writer_batch, int)),
            rate_limit_per_min=_number(env, "KANRA_RATE_LIMIT_PER_MIN", defaults.rate_limit_per_min, int),
            worker_grace_ms=_number(env, "KANRA_WORKER_GRACE_MS", defaults.worker_grace_ms, int),
            cancel_deadline_s=60 * _number(env, "KANRA_CANCEL_DEADLINE_MIN", defaults.cancel_deadline_s // 60, int),
            events_maxlen=max(1, _number(env, "KANRA_EVENTS_MAXLEN", defaults.events_maxlen, int)),
            idempotency_ttl_s=max(1, _number(env, "KANRA_IDEMPOTENCY_TTL_S", defaults.idempotency_ttl_s, int)),
            result_ttl_s=max(1, _number(env, "KANRA_RESULT_TTL_S", defaults.result_ttl_s, int)),
        )


def _number(env: Mapping[str, str], name: str, default: int | float, kind: type) -> int | float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}={raw!r} is not a {kind.__name__}") from exc
    if value < 0:
        raise SettingsError(f"{name}={raw!r} must not be negative")
    return value


def _reopt_method(env: Mapping[str, str], default: str) -> str:
    raw = (env.get("KANRA_REOPT_METHOD") or default).strip().lower()
    from dispatch.solver.params import REOPT_METHODS

    if raw not in REOPT_METHODS:
        raise SettingsError(f"KANRA_REOPT_METHOD={raw!r}: use one of {', '.join(REOPT_METHODS)}")
    return raw


def _wait_ms(env: Mapping[str, str], default: int) -> int:
    wait_ms = _number(env, "KANRA_REDIS_WAIT_MS", default, int)
    if wait_ms == 0:  # WAIT n 0 blocks for ever: a phone call must not
        raise SettingsError("KANRA_REDIS_WAIT_MS=0 would wait for ever; give milliseconds (e.g. 500)")
    return wait_ms


def _parse_areas(raw: str) -> dict[str, tuple[str, ...]]:
    areas: dict[str, tuple[str, ...]] = {}
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        name, sep, codes = part.partition("=")
        if not sep or not name.strip():
            raise SettingsError(f"KANRA_AREAS entry {part!r} is not name=jis,jis")
        areas[name.strip()] = tuple(c.strip() for c in codes.split(",") if c.strip())
    return areas
