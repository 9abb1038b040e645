"""API keys, roles and the one table that says which role may do what.

A request carries its key in ``X-API-Key`` or ``Authorization: Bearer <key>``. No key or an unknown
key is 401; a known key whose role may not perform the action is 403. A driver key is bound to one
vehicle and may only act on it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from fastapi import Request

from api.errors import ApiError


class Role(StrEnum):
    OPERATOR = "operator"  # phone staff taking bookings
    DISPATCHER = "dispatcher"
    DRIVER = "driver"  # own vehicle only
    PLANNER = "planner"  # read-only analysis
    ADMIN = "admin"


@dataclass(frozen=True)
class ApiKey:
    """Who a key belongs to: a role, and for drivers the vehicle they drive."""

    role: Role
    vehicle_id: str | None = None
    name: str = ""
    key_id: str = ""  # sha-256 prefix of the key: names its rate-limit counter without storing the key


_O, _D, _DR, _P, _A = Role.OPERATOR, Role.DISPATCHER, Role.DRIVER, Role.PLANNER, Role.ADMIN
ALL_ROLES = frozenset(Role)

PERMISSIONS: Mapping[str, frozenset[Role]] = {
    "network.read": ALL_ROLES,
    "places.read": ALL_ROLES,
    "riders.read": frozenset({_O, _D, _A}),
    "riders.write": frozenset({_O, _A}),
    "bookings.read": frozenset({_O, _D, _P, _A}),
    "bookings.create": frozenset({_O, _D, _A}),
    "bookings.change": frozenset({_O, _D, _A}),  # confirm, decline, cancel, modify
    "vehicles.read": frozenset({_O, _D, _DR, _P, _A}),  # drivers: own vehicle only
    "vehicles.write": frozenset({_A}),  # register or change the fleet
    "vehicles.events": frozenset({_D, _DR, _A}),  # drivers: own vehicle only
    "dispatch.read": frozenset({_O, _D, _P, _A}),
    "dispatch.reassign": frozenset({_D, _A}),
    "dispatch.reoptimise": frozenset({_D, _A}),
    "rail.read": frozenset({_O, _D, _P, _A}),  # the day's trains with their delays
    "rail.delay": frozenset({_D, _A}),  # report a late train: its riders' onward legs are re-planned
    "events.read": frozenset({_O, _D, _P, _A}),
    "stats.read": frozenset({_D, _P, _A}),
}
"""Action -> roles allowed. Every endpoint names one action; this is the only place roles are listed."""

VEHICLE_SCOPED = frozenset({"vehicles.read", "vehicles.events"})
"""Actions a driver may perform on their own vehicle only."""


def parse_api_keys(entries: Iterable[str]) -> dict[str, ApiKey]:
    """Parse ``key:role[:vehicle_id]`` entries; blank entries and ``#`` comments are skipped.

    Raises
    ------
    ValueError
        On an unknown role, a missing part or a driver key without a vehicle.
    """
    keys: dict[str, ApiKey] = {}
    for raw in entries:
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) < 2 or not parts[0]:
            raise ValueError("an entry is not key:role[:vehicle_id]")
        try:
            role = Role(parts[1])
        except ValueError:
            raise ValueError(f"unknown role {parts[1]!r}; roles: {', '.join(r.value for r in Role)}") from None
        vehicle = parts[2] if len(parts) > 2 and parts[2] else None
        if role is Role.DRIVER and vehicle is None:
            raise ValueError("a driver key needs its vehicle id (key:driver:vehicle_id)")
        key_id = hashlib.sha256(parts[0].encode()).hexdigest()[:16]
        keys[parts[0]] = ApiKey(role=role, vehicle_id=vehicle, name=f"{role.value}:{key_id[:6]}", key_id=key_id)
    return keys


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def authenticate(request: Request) -> ApiKey:
    """The caller's key, or 401."""
    presented = _presented_key(request)
    if presented is None:
        raise ApiError(401, "X-API-Key", "an API key is required (X-API-Key header or Authorization: Bearer)")
    keys: Mapping[str, ApiKey] = request.app.state.settings.api_keys
    for known, principal in keys.items():
        if hmac.compare_digest(known.encode(), presented.encode()):
            return principal
    raise ApiError(401, "X-API-Key", "unknown API key")


async def _count_request(request: Request, principal: ApiKey) -> None:
    """Per-key budget of requests per minute, counted in Redis so every API process shares it (429 over it)."""
    limit = request.app.state.settings.rate_limit_per_min
    if limit <= 0:
        return
    now = time.time()
    window = int(now // 60)
    key = f"{request.app.state.keys.prefix}:rate:{principal.key_id}:{window}"
    async with request.app.state.redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = await pipe.execute()
    if count > limit:
        retry = max(1, int((window + 1) * 60 - now))
        raise ApiError(429, "X-API-Key", f"rate limit of {limit} requests per minute exceeded; retry in {retry} s",
                       {"Retry-After": str(retry)})


def require(action: str) -> Callable[[Request], ApiKey]:
    """FastAPI dependency: authenticate and check that the caller's role may perform ``action``."""
    allowed = PERMISSIONS[action]  # KeyError at import time for a misspelt action

    async def dependency(request: Request) -> ApiKey:  # async: no thread hop per request
        principal = authenticate(request)
        await _count_request(request, principal)
        if principal.role not in allowed:
            raise ApiError(403, "X-API-Key", f"role {principal.role.value} may not {action}")
        if action in VEHICLE_SCOPED and principal.role is Role.DRIVER:
            vehicle = request.path_params.get("vehicle_id")
            if vehicle is None or vehicle != principal.vehicle_id:
                raise ApiError(403, "vehicle_id", "a driver may only act on their own vehicle")
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{action.replace('.', '_')}"
    return dependency
