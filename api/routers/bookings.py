"""Bookings: create (idempotent; immediate offer or rejection), confirm, decline, cancel, modify, read."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from api import messages
from api.auth import ApiKey, require
from api.errors import ApiError
from api.intake import await_result, run_command
from api.readout import desk_context, is_late, present, refusal_ja, state_of
from api.routers.params import DayQuery
from api.schemas import (
    ERROR_RESPONSES,
    FARE_RULE_CLASS,
    BookingChange,
    BookingIn,
    BookingOut,
    BookingStatusName,
    CancelIn,
    CancelReason,
)
from api.settings import SettingsError
from api.store import new_id
from api.timefmt import JST, clock, now_jst, to_service_time, today

router = APIRouter(tags=["bookings"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)

IdempotencyKey = Annotated[
    str,
    Header(alias="Idempotency-Key", min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$",
           description="client-chosen unique key; a replay returns the same booking"),
]


async def present_all(request: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bookings as the desk reads them (vehicle labels, fares, Japanese refusals; see :mod:`api.readout`)."""
    ctx = await desk_context(request.app, records)
    return [present(r, ctx) for r in records]


async def _out(request: Request, record: dict[str, Any], status: int, **headers: str) -> JSONResponse:
    body = (await present_all(request, [record]))[0]
    return JSONResponse(body, status_code=status, headers=headers or None)


def _area(request: Request, jis_code: str | None, field: str) -> str:
    try:
        return request.app.state.settings.area_of(jis_code)
    except SettingsError as exc:
        raise ApiError(422, field, str(exc)) from None


def service_time(moment: datetime, field: str) -> tuple[str, int]:
    """(service day, seconds) of a booking time; 422 for a time already passed or over a year ahead.

    Notice and horizon within that are the service rules' business (a rejection with alternatives).
    """
    try:
        day, seconds = to_service_time(moment)
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=JST)
        late = aware < now_jst()
    except (OverflowError, ValueError):
        raise ApiError(422, field, f"{moment.isoformat()} is out of range") from None
    if late:
        raise ApiError(422, field, f"{aware.astimezone(JST).isoformat(timespec='minutes')} is in the past")
    if date.fromisoformat(day) - now_jst().date() > timedelta(days=366):
        raise ApiError(422, field, f"{day} is more than a year ahead: bookings are not taken for it")
    return day, seconds


async def take_booking(
    request: Request, body: BookingIn, idempotency_key: str, principal: ApiKey, mode: str = "sync",
    extra: dict[str, Any] | None = None, field: str = "body",
) -> tuple[dict[str, Any], int]:
    """Accept a booking (the record on the area's stream, atomically and idempotently) and, in ``sync``
    mode, wait for the writer's answer. Returns ``(stored record, HTTP status)``: 201 answered, 202 not
    answered yet, 200 a replay of ``idempotency_key``. ``extra`` fields go into the record (round trip,
    standing series); ``field`` prefixes the names in 422 answers."""
    app = request.app
    store = app.state.store
    world = app.state.world
    fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    rider = None
    if body.rider_id is not None:
        rider = await store.get_rider(body.rider_id)
        if rider is None:
            raise ApiError(422, f"{field}.rider_id", f"no rider {body.rider_id}")
        if rider.get("active") is False:
            raise ApiError(422, f"{field}.rider_id", f"rider {body.rider_id} is deactivated: reactivate them first")
    pickup = world.resolve_served(body.pickup, f"{field}.pickup")
    dropoff = world.resolve_served(body.dropoff, f"{field}.dropoff")
    if pickup["node"] == dropoff["node"]:
        raise ApiError(422, f"{field}.dropoff", "pick-up and drop-off are the same place")
    day, seconds = service_time(body.time, f"{field}.time")
    area = _area(request, pickup["jis_code"], f"{field}.pickup")
    now = clock()
    rider_class = str(body.fare_class or (rider or {}).get("fare_class") or "resident")
    booking_id = new_id("bk")
    record = {
        "id": booking_id,
        "status": "requested",
        "area": area,
        "service_day": day,
        "rider_id": body.rider_id,
        "pickup": pickup,
        "dropoff": dropoff,
        "requested_time": seconds,
        "time_kind": body.time_kind.value,
        "seats": body.seats,
        "wheelchairs": body.wheelchairs,
        "fare_class": FARE_RULE_CLASS[rider_class],  # as the fare rules price it
        "rider_fare_class": rider_class,
        "home_municipality": (rider or {}).get("municipality") or ((rider or {}).get("home") or {}).get("jis_code")
        or pickup["jis_code"],
        "notes": body.notes,
        "vehicle_id": None,
        "offer": None,
        "rejection": None,
        "error": None,
        "created_at": now,
        "updated_at": now,
        "fingerprint": fingerprint,
        "taken_by": principal.name,
        **(extra or {}),
    }
    command = {"op": "request", "booking_id": booking_id, "day": day, "at": now}
    if mode == "async":
        command["async"] = True  # nobody waits to apply it: the worker takes it at once
    stream = app.state.keys.booking_stream(area)
    booking_id, created, entry_id = await store.intake(record, idempotency_key, stream, command)
    if not created:
        existing = await store.get_booking(booking_id)
        if existing is None:
            raise ApiError(409, "Idempotency-Key", "this key belongs to a booking that no longer exists")
        if existing.get("fingerprint") != fingerprint:
            raise ApiError(409, "Idempotency-Key", "this key was used for a different booking")
        return existing, 200
    log.info("booking %s accepted for %s (area %s, rider %s)", booking_id, day, area, body.rider_id or "-")
    if mode == "async":
        return record, 202
    await await_result(app, area, entry_id)
    stored = await store.get_booking(booking_id) or record
    return stored, 201 if stored["status"] != "requested" else 202


@router.post(
    "/bookings",
    status_code=201,
    response_model=BookingOut,
    responses={202: {"description": "accepted; the offer follows (GET the booking or watch /events)"}},
)
async def create_booking(
    request: Request,
    body: BookingIn,
    idempotency_key: IdempotencyKey,
    principal: Annotated[ApiKey, Depends(require("bookings.create"))],
    mode: Annotated[Literal["sync", "async"], Query(description="sync: answer with the offer")] = "sync",
) -> JSONResponse:
    """Take a booking. ``sync`` (the phone): answers 201 with the offer or the rejection with alternatives.
    ``async`` (bulk intake): answers 202 once the booking is safely on the area's stream."""
    record, status = await take_booking(request, body, idempotency_key, principal, mode)
    if status == 200:
        return await _out(request, record, 200, **{"Idempotent-Replayed": "true"})
    return await _out(request, record, status, Location=f"/bookings/{record['id']}")


@router.get("/bookings/{booking_id}", response_model=BookingOut, dependencies=[Depends(require("bookings.read"))])
async def get_booking(request: Request, booking_id: str) -> JSONResponse:
    record = await request.app.state.store.get_booking(booking_id)
    if record is None:
        raise ApiError(404, "booking_id", f"no booking {booking_id}")
    return await _out(request, record, 200)


@router.get("/bookings", response_model=list[BookingOut], dependencies=[Depends(require("bookings.read"))])
async def list_bookings(
    request: Request,
    day: DayQuery = None,
    rider_id: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[BookingStatusName | None, Query(description="only bookings of this status")] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> JSONResponse:
    """Bookings of a day (by requested time) or of a rider (newest first), optionally of one status."""
    store = request.app.state.store
    if rider_id is not None:
        ids = await store.booking_ids_of_rider(rider_id, limit)
    else:
        ids = await store.booking_ids_of_day(day or today(), limit)
    records = [r for r in await store.bookings(ids) if status is None or r["status"] == status]
    return JSONResponse(await present_all(request, records))


_ALLOWED_FROM = {
    "confirm": ("offered", "requested"),  # requested: the hold lapsed, the engine tries to re-place it
    "decline": ("offered", "requested"),
    "cancel": ("requested", "offered", "confirmed", "assigned"),
    "modify": ("offered", "confirmed", "assigned"),
}


async def _change(request: Request, booking_id: str, op: str, **extra: Any) -> JSONResponse:
    app = request.app
    store = app.state.store
    record = await store.get_booking(booking_id)
    if record is None:
        raise ApiError(404, "booking_id", f"no booking {booking_id}")
    if record["status"] not in _ALLOWED_FROM[op]:
        raise ApiError(409, "status", f"a {record['status']} booking cannot be {op}ed".replace("modifyed", "modified"),
                       reason_ja=f"{messages.text(f'desk.refused.{op}')}（{messages.text(f'status.{state_of(record)}')}）")
    command = {"op": op, "booking_id": booking_id, "day": record["service_day"], **extra}
    entry_id, result = await run_command(app, record["area"], app.state.keys.booking_stream(record["area"]), command)
    stored = await store.get_booking(booking_id) or record
    if result is None:
        return await _out(request, stored, 202)
    if not result["ok"]:
        reason_ja = messages.text(f"desk.refused.{op}")
        if result.get("rejection"):
            ctx = await desk_context(app, [record])
            reason_ja += f": {refusal_ja(result['rejection'], record, ctx)}"
        raise ApiError(409, "booking_id", result["error"] or f"{op} refused", reason_ja=reason_ja)
    log.info("booking %s: %s applied (%s)", booking_id, op, entry_id)
    return await _out(request, stored, 200)


@router.post("/bookings/{booking_id}/confirm", response_model=BookingOut,
             dependencies=[Depends(require("bookings.change"))])
async def confirm_booking(request: Request, booking_id: str) -> JSONResponse:
    """The caller accepts the offer: binding from here on (409 if it no longer fits)."""
    return await _change(request, booking_id, "confirm")


@router.post("/bookings/{booking_id}/decline", response_model=BookingOut,
             dependencies=[Depends(require("bookings.change"))])
async def decline_booking(request: Request, booking_id: str) -> JSONResponse:
    """The caller says no: the held seat is released."""
    return await _change(request, booking_id, "decline")


@router.post("/bookings/{booking_id}/cancel", response_model=BookingOut)
async def cancel_booking(
    request: Request,
    booking_id: str,
    principal: Annotated[ApiKey, Depends(require("bookings.change"))],
    body: Annotated[CancelIn | None, Body()] = None,
) -> JSONResponse:
    """Cancel with a reason code (本人都合 rider, 体調不良 illness, 天候 weather, 運行側都合 operator, 無断キャンセル
    no_show) and a note, kept on the booking. After the deadline (``cancel_deadline``) the cancellation is still
    taken (the vehicle must not wait in vain) but recorded as late and counted on the rider."""
    if body is None:
        return await _change(request, booking_id, "cancel")
    store = request.app.state.store
    record = await store.get_booking(booking_id)
    if record is None:
        raise ApiError(404, "booking_id", f"no booking {booking_id}")
    ctx = await desk_context(request.app, [record])
    late = body.reason not in (CancelReason.OPERATOR, CancelReason.WEATHER) and is_late(record, ctx)
    cancellation = {"reason": body.reason.value, "note": body.note, "by": principal.name,
                    "at": now_jst().isoformat(timespec="seconds"), "late": late}
    response = await _change(request, booking_id, "cancel", cancellation=cancellation)
    rider_id = record.get("rider_id")
    if response.status_code == 200 and rider_id:
        if body.reason is CancelReason.NO_SHOW:
            await store.count_for_rider(rider_id, "no_show_count", principal.name)
        elif late:
            await store.count_for_rider(rider_id, "late_cancel_count", principal.name)
    return response


@router.patch("/bookings/{booking_id}", response_model=BookingOut, dependencies=[Depends(require("bookings.change"))])
async def modify_booking(request: Request, booking_id: str, body: BookingChange) -> JSONResponse:
    """Change time, places or party; the booking keeps its old promise if the new one cannot be served (409)."""
    record = await request.app.state.store.get_booking(booking_id)
    if record is None:
        raise ApiError(404, "booking_id", f"no booking {booking_id}")
    world = request.app.state.world
    changes: dict[str, Any] = {}
    if body.pickup is not None:
        changes["pickup"] = world.resolve_served(body.pickup, "body.pickup")
        if _area(request, changes["pickup"]["jis_code"], "body.pickup") != record["area"]:
            raise ApiError(422, "body.pickup", "the new pick-up is in another service area: cancel and book anew")
    if body.dropoff is not None:
        changes["dropoff"] = world.resolve_served(body.dropoff, "body.dropoff")
    if body.time is not None:
        day, seconds = service_time(body.time, "body.time")
        if day != record["service_day"]:
            raise ApiError(422, "body.time", "a booking cannot move to another day: cancel and book anew")
        changes["requested_time"] = seconds
    if body.time_kind is not None:
        changes["time_kind"] = body.time_kind.value
    for name in ("seats", "wheelchairs", "notes"):
        value = getattr(body, name)
        if value is not None:
            changes[name] = value
    seats = changes.get("seats", record["seats"])
    if seats + changes.get("wheelchairs", record["wheelchairs"]) < 1:
        raise ApiError(422, "body.seats", "a booking carries at least one rider")
    if json.dumps(changes) == "{}":
        raise ApiError(422, "body", "nothing to change")
    return await _change(request, booking_id, "modify", changes=changes)
