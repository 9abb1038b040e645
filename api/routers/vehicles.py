"""Vehicles and drivers: fleet, shift start/end, positions, stop events, plan and manifest."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from api import event_idempotency
from api.auth import require
from api.engine import leg_owner
from api.errors import ApiError
from api.intake import await_result, drain, run_command
from api.routers.params import DayQuery
from api.schemas import ERROR_RESPONSES, VehicleEventIn, VehicleIn
from api.timefmt import JST, clock, now_jst, to_service_time, today
from api.views import plan_out, stop_out

router = APIRouter(tags=["vehicles"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)

_OPS = {"position": "position", "arrived": "arrive", "boarded": "board", "no_show": "no_show",
        "dropped": "drop_off", "shift_start": "start_shift", "shift_end": "end_shift",
        "break_start": "start_break", "break_end": "end_break"}


EVENT_SKEW = timedelta(days=2)


def _event_day(at: datetime | None) -> str:
    """Service day of a driver's event; 422 for a time further than two days from now (a broken clock)."""
    if at is None:
        return today()
    try:
        moment = at if at.tzinfo is not None else at.replace(tzinfo=JST)
        if abs(moment - now_jst()) > EVENT_SKEW:
            raise ApiError(422, "body.at", f"{at.isoformat()} is too far from now for a vehicle event")
        return to_service_time(moment)[0]
    except (OverflowError, ValueError):
        raise ApiError(422, "body.at", f"{at.isoformat()} is out of range") from None


async def _definition(request: Request, vehicle_id: str) -> dict[str, Any]:
    definition = await request.app.state.store.vehicle_definition(vehicle_id)
    if definition is None:
        raise ApiError(404, "vehicle_id", f"no vehicle {vehicle_id}")
    return definition


@router.get("/vehicles", dependencies=[Depends(require("dispatch.read"))])
async def list_vehicles(request: Request) -> list[dict[str, Any]]:
    """The registered fleet with each vehicle's last reported position."""
    store = request.app.state.store
    definitions = await store.vehicle_definitions()
    positions = await store.positions([d["id"] for d in definitions])
    return [{**d, "position": positions.get(d["id"])} for d in definitions]


@router.put("/vehicles/{vehicle_id}", dependencies=[Depends(require("vehicles.write"))])
async def put_vehicle(request: Request, vehicle_id: str, body: VehicleIn) -> dict[str, Any]:
    """Register or change a vehicle.

    A change applies to service days whose plans are not started yet. A new vehicle also joins the plans
    that exist already for today and later days (an ``add_vehicle`` command per day through its area's
    writer); ``joined`` maps each such day to ``applied``, ``pending`` (a busy writer applies it soon) or
    ``refused``.
    """
    if body.id != vehicle_id:
        raise ApiError(422, "body.id", f"body id {body.id!r} differs from the path's {vehicle_id!r}")
    known = {m.jis_code for m in request.app.state.world.network.municipalities}
    if body.municipality not in known:
        raise ApiError(422, "body.municipality", f"unknown municipality {body.municipality}; known: "
                                                 f"{', '.join(sorted(known))}")
    unknown = sorted(set(body.service_area or ()) - known)
    if unknown:
        raise ApiError(422, "body.service_area", f"unknown municipalities {', '.join(unknown)}")
    request.app.state.world.place_location(body.depot, "body.depot")
    for n, b in enumerate(body.breaks):
        if b.place not in ("depot", "anywhere"):
            request.app.state.world.place_location(b.place, f"body.breaks.{n}.place")
    definition = body.model_dump(mode="json")
    store = request.app.state.store
    new = await store.vehicle_definition(vehicle_id) is None
    await store.put_vehicle(definition)
    joined = await _join_planned_days(request, definition) if new else {}
    return {**definition, "joined": joined}


async def _join_planned_days(request: Request, definition: dict[str, Any]) -> dict[str, str]:
    """Add a newly registered vehicle to its area's day plans from today on; day -> applied/pending/refused.

    Days not planned yet need nothing: their dispatcher is built from the registered fleet when first used.
    """
    app = request.app
    area = app.state.settings.area_of(definition["municipality"])
    days = sorted(d for d in await app.state.redis.smembers(app.state.keys.days(area)) if d >= today())
    joined: dict[str, str] = {}
    for day in days:
        command = {"op": "add_vehicle", "vehicle_id": definition["id"], "vehicle": definition, "day": day}
        _, result = await run_command(app, area, app.state.keys.vehicle_stream(area), command)
        if result is not None and not result["ok"]:  # the engine refused: the fleet is stored, the day kept
            log.warning("vehicle %s did not join %s/%s: %s", definition["id"], area, day, result["error"])
        joined[day] = "pending" if result is None else "applied" if result["ok"] else "refused"
    return joined


@router.get("/vehicles/{vehicle_id}", dependencies=[Depends(require("vehicles.read"))])
async def get_vehicle(request: Request, vehicle_id: str) -> dict[str, Any]:
    definition = await _definition(request, vehicle_id)
    positions = await request.app.state.store.positions([vehicle_id])
    return {**definition, "position": positions.get(vehicle_id)}


async def _view(request: Request, definition: dict[str, Any], day: str) -> Any | None:
    """The committed engine of the vehicle's area and day (restoring a snapshot is CPU work: off the loop)."""
    area = request.app.state.settings.area_of(definition["municipality"])
    return await anyio.to_thread.run_sync(request.app.state.writer.view, area, day)


@router.get("/vehicles/{vehicle_id}/plan", dependencies=[Depends(require("vehicles.read"))])
async def vehicle_plan(request: Request, vehicle_id: str, day: DayQuery = None) -> dict[str, Any]:
    """The vehicle's planned stops with times and its route along the roads."""
    definition = await _definition(request, vehicle_id)
    day = day or today()
    view = await _view(request, definition, day)
    if view is None:
        return {"vehicle_id": vehicle_id, "day": day, "stops": [], "route": []}
    locked = len(view.sequence_locks().get(vehicle_id, []))
    plan = await anyio.to_thread.run_sync(plan_out, day, view.plan(vehicle_id), request.app.state.world.network,
                                          locked)
    return {"day": day, **plan}


@router.get("/vehicles/{vehicle_id}/manifest", dependencies=[Depends(require("vehicles.read"))])
async def vehicle_manifest(request: Request, vehicle_id: str, day: DayQuery = None) -> dict[str, Any]:
    """The driver's ordered stops with riders and notes."""
    definition = await _definition(request, vehicle_id)
    day = day or today()
    view = await _view(request, definition, day)
    stops = view.manifest(vehicle_id) if view is not None else []
    locked = len(view.sequence_locks().get(vehicle_id, [])) if view is not None else 0
    store = request.app.state.store
    records = {r["id"]: r for r in await store.bookings(sorted({leg_owner(s.booking_id) for s in stops}))}
    rider_ids = sorted({r["rider_id"] for r in records.values() if r.get("rider_id")})
    riders = {}
    for rider_id in rider_ids:
        rider = await store.get_rider(rider_id)
        if rider:
            riders[rider_id] = rider
    out = []
    for n, stop in enumerate(stops):
        record = records.get(leg_owner(stop.booking_id), {})
        rider = riders.get(record.get("rider_id") or "", {})
        out.append({
            **stop_out(day, stop, n < locked),
            "rider_id": record.get("rider_id"),
            "rider_name": rider.get("name"),
            "rider_phone": rider.get("phone"),
            "seats": record.get("seats"),
            "wheelchairs": record.get("wheelchairs"),
            "status": record.get("status"),
            "notes": "; ".join(n for n in (record.get("notes"), rider.get("notes")) if n),
        })
    return {"vehicle_id": vehicle_id, "day": day, "label": definition.get("label", ""), "stops": out,
            "locked_stops": locked}


EventKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$",
           description="client-chosen key of this tap; a retry with the same key is applied once"),
]


@router.post("/vehicles/{vehicle_id}/events", dependencies=[Depends(require("vehicles.events"))])
async def vehicle_event(request: Request, vehicle_id: str, body: VehicleEventIn,
                        idempotency_key: EventKey = None) -> JSONResponse:
    """A driver's report: position, arrived, boarded, no-show, dropped, shift start/end, break start/end.

    An event that cannot have happened (too early for the pickup window, out of order, another vehicle's
    rider) is 409 with the reason and changes nothing. With an ``Idempotency-Key`` a retry of the same
    event is applied once and answered with the first one's result (``Idempotent-Replayed: true``).
    """
    app = request.app
    definition = await _definition(request, vehicle_id)
    area = app.state.settings.area_of(definition["municipality"])
    day = _event_day(body.at)
    command: dict[str, Any] = {"op": _OPS[body.type], "vehicle_id": vehicle_id, "day": day,
                               "booking_id": body.booking_id}
    if body.stop is not None:
        command["stop"] = body.stop
    if body.break_id is not None:
        command["break_id"] = body.break_id
    if body.at is not None:
        moment = body.at if body.at.tzinfo is not None else body.at.replace(tzinfo=JST)
        command["at"] = moment.timestamp()
    if body.type == "position":
        location = app.state.world.point_location(body.lat, body.lon, None, "body")
        command["location"] = location
        await app.state.redis.set(app.state.keys.vehicle_position(vehicle_id),
                                  json.dumps({"lat": body.lat, "lon": body.lon, "at": clock(),
                                              "reported_at": command.get("at", clock())}))
    if body.booking_id is not None:
        record = await app.state.store.get_booking(leg_owner(body.booking_id))
        if record is None:
            raise ApiError(404, "body.booking_id", f"no booking {body.booking_id}")
        day = record["service_day"]
        command["day"] = day
    stream = app.state.keys.vehicle_stream(area)
    replayed = False
    if idempotency_key is None:
        entry_id, result = await run_command(app, area, stream, command)
    else:
        command = {"at": clock(), **command}
        digest = event_idempotency.fingerprint(body.model_dump(mode="json"))
        entry_id, created, same = await event_idempotency.append_once(
            app.state.redis, app.state.keys.event_idempotency(vehicle_id, idempotency_key), stream, command, digest,
            app.state.settings.idempotency_ttl_s)
        if not same:
            raise ApiError(409, "header.Idempotency-Key", "this key was used for a different event")
        replayed = not created
        raw = await app.state.redis.get(app.state.keys.result(area, entry_id)) if replayed else None
        result = json.loads(raw) if raw else None
        if result is None:
            result = await await_result(app, area, entry_id)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    if result is None:
        return JSONResponse({"entry_id": entry_id, "status": "pending"}, status_code=202, headers=headers)
    if not result["ok"]:
        raise ApiError(409, "type", result["error"] or "event refused", headers or None)
    return JSONResponse({"entry_id": entry_id, "status": "applied"}, headers=headers)


__all__ = ["router", "drain"]
