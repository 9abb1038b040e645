"""API keys, staff sessions, roles and the one table that says which role may do what.

A request carries an API key (machine clients) in ``X-API-Key`` or ``Authorization: Bearer <key>``, or a
staff session token from ``POST /auth/login`` (``s_...``, see :mod:`api.accounts`) the same way. None, an
unknown key, or an expired or ended session (or a disabled account) is 401; a role that may not perform
the action is 403. A driver is bound to one vehicle and may only act on it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.accounts import SESSION_PREFIX
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
    kind: str = "key"  # "key" (a machine client) or "session" (a member of staff logged in)
    municipality: str | None = None


#: Who is acting in the current request (account name or key label): commands and audit entries carry it.
actor: ContextVar[str] = ContextVar("actor", default="")


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
    "auth.self": ALL_ROLES,  # who am I, log out
    "accounts.manage": frozenset({_A}),  # add, disable, reset staff accounts
    "audit.read": frozenset({_A}),
    "reports.read": frozenset({_A}),  # the municipal reports from the history (its cost shares included)
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


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


async def authenticate(request: Request) -> ApiKey:
    """The caller's key or staff session, or 401."""
    presented = presented_key(request)
    if presented is None:
        raise ApiError(401, "X-API-Key", "an API key or a session is required (X-API-Key header or Authorization:"
                                         " Bearer; staff log in at POST /auth/login)")
    if presented.startswith(SESSION_PREFIX):
        session = await request.app.state.accounts.session(presented)
        if session is None:
            raise ApiError(401, "Authorization", "the session has expired or ended; log in again")
        return ApiKey(role=Role(session["role"]), vehicle_id=session.get("vehicle_id"), name=session["name"],
                      key_id="acct-" + hashlib.sha256(session["name"].encode()).hexdigest()[:16], kind="session",
                      municipality=session.get("municipality"))
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


API_KEY_SCHEME = APIKeyHeader(name="X-API-Key", scheme_name="ApiKey", auto_error=False,
                              description="a machine client's API key (`key:role` in KANRA_API_KEYS)")
BEARER_SCHEME = HTTPBearer(scheme_name="Bearer", auto_error=False,
                           description="a staff session token from POST /auth/login (`s_...`), or an API key")
"""The two ways a request carries its credentials, as the OpenAPI document declares them (either one will do).
Only declarations: :func:`authenticate` reads the headers itself."""


def require(action: str) -> Callable[..., Awaitable[ApiKey]]:
    """FastAPI dependency: authenticate and check that the caller's role may perform ``action``."""
    allowed = PERMISSIONS[action]  # KeyError at import time for a misspelt action

    async def dependency(  # async: no thread hop per request
        request: Request,
        _key: Annotated[str | None, Security(API_KEY_SCHEME)] = None,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)] = None,
    ) -> ApiKey:
        principal = await authenticate(request)
        await _count_request(request, principal)
        if principal.role not in allowed:
            raise ApiError(403, "X-API-Key", f"role {principal.role.value} may not {action}")
        if action in VEHICLE_SCOPED and principal.role is Role.DRIVER:
            vehicle = request.path_params.get("vehicle_id")
            if vehicle is None or vehicle != principal.vehicle_id:
                raise ApiError(403, "vehicle_id", "a driver may only act on their own vehicle")
        request.state.principal = principal
        actor.set(principal.name)
        return principal

    dependency.__name__ = f"require_{action.replace('.', '_')}"
    dependency.required_action = action  # type: ignore[attr-defined]  # found by the error handlers (api.errors)
    return dependency
