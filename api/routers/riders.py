"""Riders: the phone desk's registry. Register, find by phone (full or part) or name (kanji or kana), edit
with a history of who changed what, deactivate (kept for the books, not bookable), past and upcoming
bookings. Names, numbers and notes never reach the logs (only rider ids do)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.auth import ApiKey, require
from api.errors import ApiError
from api.privacy import PII_FILTER
from api.schemas import ERROR_RESPONSES, BookingOut, RiderChange, RiderEdit, RiderIn, RiderOut
from api.timefmt import today
from api.views import _iso_epoch, rider_out

router = APIRouter(tags=["riders"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)


def _known_municipalities(request: Request) -> set[str]:
    return {p.jis_code for p in request.app.state.world.network.places if p.jis_code}


def _remember(record: dict[str, Any]) -> None:
    """Names the log filter must mask from here on."""
    contact = record.get("emergency_contact") or {}
    PII_FILTER.remember(*[t for t in (record.get("name"), record.get("kana"), contact.get("name")) if t])


def _fields(request: Request, body: RiderIn | RiderChange, only_set: bool) -> dict[str, Any]:
    """Stored fields of a registration or a change (places resolved, mobility and municipality checked)."""
    world = request.app.state.world
    given = body.model_fields_set if only_set else set(type(body).model_fields)
    out: dict[str, Any] = {}
    for name in given:
        value = getattr(body, name)
        if name == "home":
            out["home"] = world.resolve(value, "body.home") if value is not None else None
        elif name == "nearest_stops":
            out[name] = [world.place_location(k, f"body.nearest_stops.{i}") for i, k in enumerate(value or [])]
        elif name in ("mobility", "emergency_contact"):
            out[name] = value.model_dump(mode="json") if value is not None else None
        elif name == "wheelchair":
            continue
        else:
            out[name] = value.value if hasattr(value, "value") else value
    if out.get("municipality") and out["municipality"] not in _known_municipalities(request):
        raise ApiError(422, "body.municipality", f"{out['municipality']} is not a municipality of the service region")
    return out


@router.post("/riders", status_code=201, response_model=RiderOut)
async def register_rider(
    request: Request, body: RiderIn, principal: Annotated[ApiKey, Depends(require("riders.write"))]
) -> JSONResponse:
    """Register a rider; a phone number already registered answers 409 with that rider's id."""
    record = _fields(request, body, only_set=False)
    if record.get("mobility") is None:
        record["mobility"] = {"wheelchair": body.wheelchair, "walker": False, "door_help": False}
    record["wheelchair"] = bool(record["mobility"]["wheelchair"])
    record["municipality"] = record.get("municipality") or (record.get("home") or {}).get("jis_code")
    record["registered_on"] = record.get("registered_on") or today()
    record.update(no_show_count=0, late_cancel_count=0, active=True, registered_by=principal.name)
    _remember(record)
    rider, created = await request.app.state.store.create_rider(record)
    if not created:
        raise ApiError(409, "body.phone", f"this phone number is already registered to rider {rider['id']}")
    log.info("registered rider %s", rider["id"])
    return JSONResponse(rider_out(rider).model_dump(), status_code=201, headers={"Location": f"/riders/{rider['id']}"})


@router.get("/riders", response_model=list[RiderOut], dependencies=[Depends(require("riders.read"))])
async def find_riders(
    request: Request,
    phone: Annotated[str | None, Query(max_length=20, pattern="[0-9]",
                                       description="full number or a part of its digits (at least one digit)")] = None,
    name: Annotated[str | None, Query(max_length=80, pattern=r"\S",
                                      description="a part of the name or its kana reading")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="without phone or name: riders to skip")] = 0,
) -> list[RiderOut]:
    """Riders by phone or name; without either, the registry by rider id, ``limit`` at a time from ``offset``."""
    riders = await request.app.state.store.find_riders(phone, name, limit, offset)
    for rider in riders:
        _remember(rider)
    return [rider_out(r) for r in riders]


@router.get("/riders/{rider_id}", response_model=RiderOut, dependencies=[Depends(require("riders.read"))])
async def get_rider(request: Request, rider_id: str) -> RiderOut:
    rider = await request.app.state.store.get_rider(rider_id)
    if rider is None:
        raise ApiError(404, "rider_id", f"no rider {rider_id}")
    return rider_out(rider)


@router.patch("/riders/{rider_id}", response_model=RiderOut)
async def edit_rider(
    request: Request, rider_id: str, body: RiderChange,
    principal: Annotated[ApiKey, Depends(require("riders.write"))],
) -> RiderOut:
    """Change some fields of a rider; each change is kept in ``GET /riders/{id}/history``."""
    changes = _fields(request, body, only_set=True)
    if "mobility" in changes:
        if changes["mobility"] is None:
            changes["mobility"] = {"wheelchair": False, "walker": False, "door_help": False}
        changes["wheelchair"] = bool(changes["mobility"]["wheelchair"])
    _remember(changes)
    rider, taken = await request.app.state.store.update_rider(rider_id, changes, principal.name)
    if taken is not None:
        raise ApiError(409, "body.phone", "this phone number is already registered to another rider")
    if rider is None:
        raise ApiError(404, "rider_id", f"no rider {rider_id}")
    log.info("rider %s changed: %s", rider_id, ", ".join(sorted(changes)))
    return rider_out(rider)


@router.get("/riders/{rider_id}/history", response_model=list[RiderEdit],
            dependencies=[Depends(require("riders.read"))])
async def rider_history(
    request: Request, rider_id: str, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[RiderEdit]:
    """Who changed what and when, newest first (old and new value of each field)."""
    store = request.app.state.store
    if await store.get_rider(rider_id) is None:
        raise ApiError(404, "rider_id", f"no rider {rider_id}")
    return [RiderEdit(at=_iso_epoch(e["at"]), by=e["by"], changes=e["changes"])
            for e in await store.rider_history(rider_id, limit)]


@router.get(
    "/riders/{rider_id}/bookings", response_model=list[BookingOut], dependencies=[Depends(require("bookings.read"))]
)
async def rider_bookings(
    request: Request, rider_id: str, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> JSONResponse:
    """The rider's bookings, newest request first (past and upcoming: compare ``time`` with now)."""
    from api.routers.bookings import present_all

    store = request.app.state.store
    records = await store.bookings(await store.booking_ids_of_rider(rider_id, limit))
    return JSONResponse(await present_all(request, records))
