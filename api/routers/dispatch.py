"""Dispatch: current plans, manual reassignment, re-optimisation on demand, statistics."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api import dispatch_views, reopt_requests
from api.auth import require
from api.errors import ApiError
from api.intake import run_command
from api.routers import params
from api.routers.params import DayQuery
from api.schemas import ERROR_RESPONSES, LockSequenceIn, ReassignIn, ReoptimiseIn, UnlockSequenceIn, UnpinIn
from api.timefmt import clock, epoch_seconds_on, today
from api.views import plan_out

router = APIRouter(prefix="/dispatch", tags=["dispatch"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)



def _areas(request: Request, area: str | None) -> list[str]:
    areas = list(request.app.state.settings.areas)
    if area is not None and area not in areas:
        raise ApiError(422, "query.area", f"unknown area {area!r}; areas: {', '.join(areas)}")
    return [area] if area else areas


@router.get("/plans", dependencies=[Depends(require("dispatch.read"))])
async def plans(request: Request, day: DayQuery = None, area: params.AreaQuery = None,
                route: bool = Query(True, description="include road geometry")) -> dict[str, Any]:
    """Every vehicle's current plan for the day, per area."""
    day = day or today()
    network = request.app.state.world.network if route else None
    writer = request.app.state.writer

    def build() -> list[dict[str, Any]]:  # snapshot restore and road geometry: CPU work, off the event loop
        out: list[dict[str, Any]] = []
        for name in areas:
            view = writer.view(name, day)
            if view is not None:
                locks = view.sequence_locks()
                out += [{"area": name, **plan_out(day, p, network, len(locks.get(p.vehicle_id, [])))}
                        for p in view.plans().values()]
        return out

    areas = _areas(request, area)
    out = await anyio.to_thread.run_sync(build)
    return {"day": day, "plans": sorted(out, key=lambda p: p["vehicle_id"])}


@router.post("/reassign", dependencies=[Depends(require("dispatch.reassign"))])
async def reassign(request: Request, body: ReassignIn) -> JSONResponse:
    """Move a booking to another vehicle and pin it there (``pin: false``: move without pinning).

    The engine validates the new plan first (409 with the reason if infeasible); a pinned booking stays on
    its vehicle through re-optimisation until ``POST /dispatch/unpin``.
    """
    app = request.app
    record = await _booking(request, body.booking_id)
    if await app.state.store.vehicle_definition(body.vehicle_id) is None:
        raise ApiError(404, "body.vehicle_id", f"no vehicle {body.vehicle_id}")
    command = {"op": "reassign", "booking_id": body.booking_id, "vehicle_id": body.vehicle_id, "pin": body.pin,
               "day": record["service_day"]}
    result = await _run(request, record, command)
    if isinstance(result, JSONResponse):
        return result
    log.info("booking %s reassigned to %s (pinned=%s)", body.booking_id, body.vehicle_id, body.pin)
    return JSONResponse({"entry_id": result["entry_id"], "status": "applied", "booking_id": body.booking_id,
                         "vehicle_id": body.vehicle_id, "pinned": body.pin})


@router.post("/reassign/check", dependencies=[Depends(require("dispatch.reassign"))])
async def reassign_check(request: Request, body: ReassignIn) -> dict[str, Any]:
    """The validator's verdict on a reassignment before it is made: nothing changes.

    ``ok`` with the change in fleet distance and in each affected rider's planned times, or the reason it
    would be refused (the same text ``POST /dispatch/reassign`` would give).
    """
    app = request.app
    record = await _booking(request, body.booking_id)
    if await app.state.store.vehicle_definition(body.vehicle_id) is None:
        raise ApiError(404, "body.vehicle_id", f"no vehicle {body.vehicle_id}")
    day, area = record["service_day"], record["area"]

    def verdict() -> dict[str, Any]:
        engine = app.state.writer.scratch_copy(area, day)
        if engine is None:
            return {"ok": False, "booking_id": body.booking_id, "vehicle_id": body.vehicle_id,
                    "reason": "the day has no plan yet"}
        return dispatch_views.reassign_verdict(engine, day, body.booking_id, body.vehicle_id,
                                               epoch_seconds_on(day, clock()))

    return await anyio.to_thread.run_sync(verdict)


@router.get("/alerts", dependencies=[Depends(require("dispatch.read"))])
async def alerts(request: Request, day: DayQuery = None, area: params.AreaQuery = None,
                 silent_min: float = Query(5.0, gt=0, le=120, description="minutes without a position report")
                 ) -> dict[str, Any]:
    """Late vehicles, vehicles not reporting, riders not picked up, unassigned and at-risk bookings."""
    day = day or today()
    app = request.app
    names = _areas(request, area)
    ids = [d["id"] for d in await app.state.store.vehicle_definitions()]
    positions = await app.state.store.positions(ids)
    now_epoch = clock()

    def build() -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for name in names:
            view = app.state.writer.view(name, day)
            if view is None:
                continue
            found = dispatch_views.alerts(view, day, epoch_seconds_on(day, now_epoch), positions, now_epoch,
                                          int(silent_min * 60))
            for kind, items in found.items():
                out.setdefault(kind, []).extend({"area": name, **item} for item in items)
        return out

    found = await anyio.to_thread.run_sync(build)
    kinds = ("late", "not_reporting", "not_picked_up", "unassigned", "at_risk")
    return {"day": day, "at": now_epoch, **{k: found.get(k, []) for k in kinds}}


@router.post("/unpin", dependencies=[Depends(require("dispatch.reassign"))])
async def unpin(request: Request, body: UnpinIn) -> JSONResponse:
    """Release a dispatcher's pin: re-optimisation may move the booking to any vehicle again."""
    record = await _booking(request, body.booking_id)
    command = {"op": "unpin", "booking_id": body.booking_id, "day": record["service_day"]}
    result = await _run(request, record, command)
    if isinstance(result, JSONResponse):
        return result
    return JSONResponse({"entry_id": result["entry_id"], "status": "applied", "booking_id": body.booking_id,
                         "pinned": False, "was_pinned": bool((result.get("data") or {}).get("was_pinned"))})


@router.post("/lock-sequence", dependencies=[Depends(require("dispatch.reassign"))])
async def lock_sequence(request: Request, body: LockSequenceIn) -> JSONResponse:
    """Lock a vehicle's next stops in the order given; the bookings named are pinned to it.

    The engine checks the order with the exact schedule first (409 naming the window, ride limit, seats or
    shift end that would break, and by how much). Until the stops are made or ``POST
    /dispatch/unlock-sequence``, new bookings go only after them and re-optimisation keeps them first.
    """
    app = request.app
    definition = await app.state.store.vehicle_definition(body.vehicle_id)
    if definition is None:
        raise ApiError(404, "body.vehicle_id", f"no vehicle {body.vehicle_id}")
    area = app.state.settings.area_of(definition["municipality"])
    days = set()
    for stop in body.stops:
        record = await _booking(request, stop.booking_id)
        if record["area"] != area:
            raise ApiError(409, "body.stops", f"booking {stop.booking_id} is in area {record['area']}, vehicle "
                                              f"{body.vehicle_id} serves {area}")
        days.add(record["service_day"])
    if len(days) > 1:
        raise ApiError(422, "body.stops", f"the stops are on different days ({', '.join(sorted(days))})")
    command = {"op": "lock_sequence", "vehicle_id": body.vehicle_id, "day": days.pop(),
               "stops": [[s.booking_id, s.kind] for s in body.stops]}
    result = await _run(request, {"area": area}, command)
    if isinstance(result, JSONResponse):
        return result
    locked = (result.get("data") or {}).get("locked") or []
    log.info("vehicle %s: %d next stop(s) locked", body.vehicle_id, len(locked))
    return JSONResponse({"entry_id": result["entry_id"], "status": "applied", "vehicle_id": body.vehicle_id,
                         "locked": [{"booking_id": b, "kind": k} for b, k in locked]})


@router.post("/unlock-sequence", dependencies=[Depends(require("dispatch.reassign"))])
async def unlock_sequence(request: Request, body: UnlockSequenceIn, day: DayQuery = None) -> JSONResponse:
    """Release a vehicle's locked order of next stops (its bookings stay pinned until unpinned)."""
    app = request.app
    definition = await app.state.store.vehicle_definition(body.vehicle_id)
    if definition is None:
        raise ApiError(404, "body.vehicle_id", f"no vehicle {body.vehicle_id}")
    area = app.state.settings.area_of(definition["municipality"])
    command = {"op": "unlock_sequence", "vehicle_id": body.vehicle_id, "day": day or today()}
    result = await _run(request, {"area": area}, command)
    if isinstance(result, JSONResponse):
        return result
    return JSONResponse({"entry_id": result["entry_id"], "status": "applied", "vehicle_id": body.vehicle_id,
                         "was_locked": bool((result.get("data") or {}).get("was_locked"))})


async def _booking(request: Request, booking_id: str) -> dict[str, Any]:
    record = await request.app.state.store.get_booking(booking_id)
    if record is None:
        raise ApiError(404, "body.booking_id", f"no booking {booking_id}")
    return record


async def _run(request: Request, record: dict[str, Any], command: dict[str, Any]) -> dict[str, Any] | JSONResponse:
    """Apply a dispatcher's command through the area's writer: its result, 202 while pending, 409 if refused."""
    app = request.app
    area = record["area"]
    entry_id, result = await run_command(app, area, app.state.keys.booking_stream(area), command)
    if result is None:
        return JSONResponse({"entry_id": entry_id, "status": "pending"}, status_code=202)
    if not result["ok"]:
        field = {"reassign": "body.vehicle_id", "lock_sequence": "body.stops",
                 "unlock_sequence": "body.vehicle_id"}.get(command["op"], "body.booking_id")
        raise ApiError(409, field, result["error"] or f"{command['op']} refused")
    return result


@router.post("/reoptimise", status_code=202, dependencies=[Depends(require("dispatch.reoptimise"))])
async def reoptimise(request: Request, body: ReoptimiseIn) -> JSONResponse:
    """Ask the worker to re-optimise the day now (it also does so periodically); keeps every promise and pin.

    Answers 202 at once with a request id: the OR-Tools search runs in the worker, never in this process.
    Poll ``GET /dispatch/reoptimise/{request_id}``; a ``reoptimised`` event follows on the event stream and
    the booking records show the new plan.
    """
    app = request.app
    day = body.day or today()
    who = getattr(getattr(request.state, "principal", None), "name", "")
    out = await reopt_requests.submit(app.state.redis, app.state.keys, day, _areas(request, body.area),
                                      body.time_limit_s, who, app.state.settings.result_ttl_s)
    return JSONResponse({**out, "poll": f"/dispatch/reoptimise/{out['request_id']}"}, status_code=202)


@router.get("/reoptimise/{request_id}", dependencies=[Depends(require("dispatch.reoptimise"))])
async def reoptimise_status(request: Request, request_id: str) -> dict[str, Any]:
    """A re-optimisation request: ``queued``, ``running`` or ``done``, with each area's result."""
    out = await reopt_requests.status(request.app.state.redis, request.app.state.keys, request_id)
    if out is None:
        raise ApiError(404, "request_id", f"no re-optimisation request {request_id} (or it has expired)")
    return out


@router.get("/stats", dependencies=[Depends(require("stats.read"))])
async def stats(request: Request, day: DayQuery = None, area: params.AreaQuery = None) -> dict[str, Any]:
    day = day or today()
    out = {}
    for name in _areas(request, area):
        view = await anyio.to_thread.run_sync(request.app.state.writer.view, name, day)
        out[name] = _jsonable(view.stats) if view is not None else None
    return {"day": day, "stats": out}


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)
