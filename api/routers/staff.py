"""Staff log-in, sessions, account administration and the audit log."""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StringConstraints

from api import audit
from api.accounts import MIN_PASSWORD, LoginRefused
from api.auth import ApiKey, Role, presented_key, require
from api.errors import ApiError
from api.schemas import ERROR_RESPONSES, Strict

router = APIRouter(tags=["staff"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)

AccountName = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]
# not stripped: spaces are part of a password, and its length is the one the document states
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=MIN_PASSWORD, max_length=200)]
RoleName = Literal["operator", "dispatcher", "driver", "planner", "admin"]


class LoginIn(Strict):
    name: AccountName
    password: Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=200)]


class AccountIn(Strict):
    name: AccountName
    password: Password
    role: RoleName
    municipality: str | None = Field(None, pattern=r"^\d{5}$", description="JIS code the member of staff works for")
    vehicle_id: str | None = Field(None, min_length=1, max_length=40, description="a driver's vehicle")


class AccountChange(Strict):
    role: RoleName | None = None
    municipality: str | None = Field(None, pattern=r"^\d{5}$")
    vehicle_id: str | None = Field(None, min_length=1, max_length=40)
    disabled: bool | None = None


class ResetIn(Strict):
    password: Password


def _when(epoch: float) -> str:
    from datetime import datetime

    from api.timefmt import JST

    return datetime.fromtimestamp(epoch, JST).isoformat(timespec="seconds")


@router.post("/auth/login")
async def login(request: Request, body: LoginIn) -> JSONResponse:
    """Log in with a staff account: a session token (``Authorization: Bearer <token>``) with its expiry.

    Wrong name or password, or a disabled account: 401. After repeated failures the account is locked
    for a while: 429 with ``Retry-After``.
    """
    accounts = request.app.state.accounts
    try:
        token, session = await accounts.login(body.name, body.password)
    except LoginRefused as exc:
        await audit.append(request.app.state.redis, request.app.state.keys.prefix,
                           audit.entry(body.name, "auth.login", body.name, ok=False, reason=exc.reason))
        if exc.retry_after_s is not None:
            raise ApiError(429, "body.name", exc.reason, {"Retry-After": str(exc.retry_after_s)}) from None
        raise ApiError(401, "body.password", exc.reason) from None
    await audit.append(request.app.state.redis, request.app.state.keys.prefix,
                       audit.entry(body.name, "auth.login", body.name))
    log.info("staff %s logged in (%s)", body.name, session["role"])
    return JSONResponse({"token": token, "expires_at": _when(session["expires_at"]), "name": session["name"],
                         "role": session["role"], "municipality": session["municipality"],
                         "vehicle_id": session["vehicle_id"]})


@router.get("/auth/me")
async def me(principal: Annotated[ApiKey, Depends(require("auth.self"))]) -> dict[str, Any]:
    """Who the key or session belongs to (what the pages show and which screens they open)."""
    return {"name": principal.name, "role": principal.role.value, "vehicle_id": principal.vehicle_id,
            "municipality": principal.municipality, "kind": principal.kind}


@router.post("/auth/logout")
async def logout(request: Request, principal: Annotated[ApiKey, Depends(require("auth.self"))]) -> dict[str, Any]:
    """End this session (an API key has none: nothing happens)."""
    token = presented_key(request)
    if principal.kind == "session" and token:
        await request.app.state.accounts.logout(token)
    return {"logged_out": principal.kind == "session"}


@router.get("/admin/accounts", dependencies=[Depends(require("accounts.manage"))])
async def list_accounts(request: Request) -> list[dict[str, Any]]:
    return await request.app.state.accounts.all()


async def _check_vehicle(request: Request, role: str | None, vehicle_id: str | None) -> None:
    if role == Role.DRIVER.value and not vehicle_id:
        raise ApiError(422, "body.vehicle_id", "a driver's account needs the vehicle they drive")
    if vehicle_id and await request.app.state.store.vehicle_definition(vehicle_id) is None:
        raise ApiError(422, "body.vehicle_id", f"no vehicle {vehicle_id}")


@router.post("/admin/accounts", status_code=201)
async def add_account(request: Request, body: AccountIn,
                      principal: Annotated[ApiKey, Depends(require("accounts.manage"))]) -> JSONResponse:
    """Add a staff account (the password is stored as an argon2id hash only)."""
    await _check_vehicle(request, body.role, body.vehicle_id)
    created = await request.app.state.accounts.create(body.name, body.password, body.role, body.municipality,
                                                      body.vehicle_id)
    if created is None:
        raise ApiError(409, "body.name", f"an account {body.name} exists already")
    await audit.append(request.app.state.redis, request.app.state.keys.prefix,
                       audit.entry(principal.name, "account.created", body.name, None, created))
    return JSONResponse(created, status_code=201)


@router.patch("/admin/accounts/{name}")
async def change_account(request: Request, name: str, body: AccountChange,
                         principal: Annotated[ApiKey, Depends(require("accounts.manage"))]) -> dict[str, Any]:
    """Change role, municipality or vehicle, or disable (``disabled: true``: refused at once) or enable."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise ApiError(422, "body", "nothing to change")
    current = await request.app.state.accounts.get(name)
    if current is None:
        raise ApiError(404, "name", f"no account {name}")
    await _check_vehicle(request, changes.get("role", current["role"]), changes.get("vehicle_id",
                                                                                    current.get("vehicle_id")))
    before, after = await request.app.state.accounts.update(name, **changes)
    action = "account.disabled" if changes.get("disabled") else "account.changed"
    await audit.append(request.app.state.redis, request.app.state.keys.prefix,
                       audit.entry(principal.name, action, name, before, after))
    return after


@router.post("/admin/accounts/{name}/reset")
async def reset_account(request: Request, name: str, body: ResetIn,
                        principal: Annotated[ApiKey, Depends(require("accounts.manage"))]) -> dict[str, Any]:
    """Set a new password, lift a lock-out and end the account's sessions."""
    changed = await request.app.state.accounts.update(name, password=body.password)
    if changed is None:
        raise ApiError(404, "name", f"no account {name}")
    await request.app.state.accounts.unlock(name)
    await audit.append(request.app.state.redis, request.app.state.keys.prefix,
                       audit.entry(principal.name, "account.reset", name, changed[0], changed[1]))
    return changed[1]


@router.get("/audit", dependencies=[Depends(require("audit.read"))])
async def read_audit(
    request: Request,
    who: str | None = Query(None, max_length=60),
    action: str | None = Query(None, max_length=60, description="e.g. booking.cancelled, or booking.* for all"),
    target: str | None = Query(None, max_length=60, description="booking, rider or account id"),
    since: float | None = Query(None, ge=0, le=1e11, description="Unix seconds"),
    until: float | None = Query(None, ge=0, le=1e11, description="Unix seconds"),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """The audit log, newest first: who changed what, when, before and after."""
    entries = await audit.search(request.app.state.redis, request.app.state.keys.prefix, who=who, action=action,
                                 target=target, since=since, until=until, limit=limit)
    return {"entries": entries, "at": time.time()}
