"""Riders: registration and search by phone or name for the phone staff."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.auth import require
from api.errors import ApiError
from api.privacy import PII_FILTER
from api.schemas import ERROR_RESPONSES, BookingOut, RiderIn, RiderOut
from api.views import booking_out, rider_out

router = APIRouter(tags=["riders"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)


@router.post("/riders", status_code=201, response_model=RiderOut, dependencies=[Depends(require("riders.write"))])
async def register_rider(request: Request, body: RiderIn) -> JSONResponse:
    """Register a rider; a phone number already registered answers 409 with that rider's id."""
    world = request.app.state.world
    home = world.resolve(body.home, "body.home") if body.home is not None else None
    PII_FILTER.remember(body.name)
    record = {**body.model_dump(mode="json", exclude={"home"}), "home": home}
    rider, created = await request.app.state.store.create_rider(record)
    if not created:
        raise ApiError(409, "body.phone", f"this phone number is already registered to rider {rider['id']}")
    log.info("registered rider %s", rider["id"])
    return JSONResponse(rider_out(rider).model_dump(), status_code=201, headers={"Location": f"/riders/{rider['id']}"})


@router.get("/riders", response_model=list[RiderOut], dependencies=[Depends(require("riders.read"))])
async def find_riders(
    request: Request,
    phone: Annotated[str | None, Query(max_length=20, description="full number or a part of its digits")] = None,
    name: Annotated[str | None, Query(max_length=80)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[RiderOut]:
    if not phone and not name:
        raise ApiError(422, "query", "search by phone or name")
    if phone and not any(c.isdigit() for c in phone):
        raise ApiError(422, "query.phone", "a phone search needs digits")
    riders = await request.app.state.store.find_riders(phone, name, limit)
    for rider in riders:
        PII_FILTER.remember(rider["name"])
    return [rider_out(r) for r in riders]


@router.get("/riders/{rider_id}", response_model=RiderOut, dependencies=[Depends(require("riders.read"))])
async def get_rider(request: Request, rider_id: str) -> RiderOut:
    rider = await request.app.state.store.get_rider(rider_id)
    if rider is None:
        raise ApiError(404, "rider_id", f"no rider {rider_id}")
    return rider_out(rider)


@router.get(
    "/riders/{rider_id}/bookings", response_model=list[BookingOut], dependencies=[Depends(require("bookings.read"))]
)
async def rider_bookings(
    request: Request, rider_id: str, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[BookingOut]:
    store = request.app.state.store
    records = await store.bookings(await store.booking_ids_of_rider(rider_id, limit))
    return [booking_out(r, request.app.state.settings.offer_hold_s) for r in records]
