"""Round trips in one call: the outbound and the return are offered together and confirmed together.

A return that cannot be timed in advance (帰りは電話で, e.g. from the hospital) is registered as an *open
return* with the outbound; when the rider calls, ``POST /round-trips/{id}/return`` places it at once (depart
as soon as the notice allows) and answers with the wait to read out. A round trip is a Redis record
(``<prefix>:round-trip:<id>``) naming its bookings; each booking names its round trip.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field, model_validator

from api.auth import ApiKey, require
from api.errors import ApiError
from api.routers.bookings import IdempotencyKey, _change, present_all, take_booking
from api.schemas import ERROR_RESPONSES, BookingIn, Name, Notes, PointIn, Strict, TimeKindIn
from api.store import new_id
from api.timefmt import JST, day_start, now_jst

router = APIRouter(tags=["round trips"], responses=ERROR_RESPONSES)


class RoundTripIn(Strict):
    """Outbound trip as in ``POST /bookings``, and its return: a time, or ``open_return`` (帰りは電話で)."""

    rider_id: Name = Field(max_length=40)
    pickup: PointIn
    dropoff: PointIn
    time: datetime
    time_kind: TimeKindIn = TimeKindIn.DEPART_AFTER
    seats: int = Field(1, ge=0, le=8, strict=True)
    wheelchairs: int = Field(0, ge=0, le=4, strict=True)
    notes: Notes = Field("", max_length=300)
    return_time: datetime | None = Field(None, description="when the return leaves the drop-off")
    return_time_kind: TimeKindIn = TimeKindIn.DEPART_AFTER
    open_return: bool = Field(False, description="帰りは電話で: the rider calls when ready")

    @model_validator(mode="after")
    def _return(self) -> RoundTripIn:
        if self.seats + self.wheelchairs < 1:
            raise ValueError("a booking carries at least one rider (seats + wheelchairs >= 1)")
        if (self.return_time is None) == (not self.open_return):
            raise ValueError("give return_time, or open_return: true for a return the rider calls for")
        if self.return_time is not None:
            out, back = _aware(self.time), _aware(self.return_time)
            if back <= out:
                raise ValueError("return_time must be after the outbound time")
            if back.date() != out.date():
                raise ValueError("the return must be on the outbound's day")
        return self

    def leg(self, back: bool, when: datetime | None = None) -> BookingIn:
        return BookingIn(
            rider_id=self.rider_id,
            pickup=self.dropoff if back else self.pickup,
            dropoff=self.pickup if back else self.dropoff,
            time=when or (self.return_time if back else self.time),
            time_kind=self.return_time_kind if back else self.time_kind,
            seats=self.seats, wheelchairs=self.wheelchairs, notes=self.notes,
        )


class ReturnCallIn(Strict):
    time: datetime | None = Field(None, description="leave the drop-off after this (default: as soon as possible)")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=JST)


def _key(request: Request, trip_id: str) -> str:
    return request.app.state.keys.round_trip(trip_id)


async def _load(request: Request, trip_id: str) -> dict[str, Any]:
    raw = await request.app.state.redis.get(_key(request, trip_id))
    if raw is None:
        raise ApiError(404, "trip_id", f"no round trip {trip_id}")
    return json.loads(raw)


async def _save(request: Request, trip: dict[str, Any]) -> None:
    await request.app.state.redis.set(_key(request, trip["id"]), json.dumps(trip, ensure_ascii=False))


async def _answer(request: Request, trip: dict[str, Any], status: int = 200) -> JSONResponse:
    store = request.app.state.store
    ids = [trip["outbound_id"]] + ([trip["return_id"]] if trip.get("return_id") else [])
    records = {r["id"]: r for r in await store.bookings(ids)}
    shown = await present_all(request, [records[i] for i in ids if i in records])
    by_id = {b["id"]: b for b in shown}
    outbound, back = by_id.get(trip["outbound_id"]), by_id.get(trip.get("return_id") or "")
    states = [b["state"] for b in (outbound, back) if b]
    state = "rejected" if "rejected" in states else states[0] if len(set(states)) == 1 else "mixed"
    body = {"id": trip["id"], "rider_id": trip["rider_id"], "open_return": trip["open_return"], "state": state,
            "outbound": outbound, "return": back}
    return JSONResponse(body, status_code=status)


@router.post("/round-trips", status_code=201)
async def create_round_trip(
    request: Request, body: RoundTripIn, idempotency_key: IdempotencyKey,
    principal: Annotated[ApiKey, Depends(require("bookings.create"))],
) -> JSONResponse:
    """Offer the outbound and (unless open) the return together. If either cannot be served the other's
    offer is released and both are answered (the refusal with its alternatives)."""
    trip_id = new_id("rt")
    extra = {"round_trip_id": trip_id}
    outbound, _ = await take_booking(request, body.leg(False), f"{idempotency_key}:out", principal,
                                     extra={**extra, "round_trip_leg": "outbound", "open_return": body.open_return})
    trip_id = outbound.get("round_trip_id", trip_id)  # a replay answers the round trip first made
    existing = await request.app.state.redis.get(_key(request, trip_id))
    if existing is not None:
        return await _answer(request, json.loads(existing), 200)
    trip = {"id": trip_id, "rider_id": body.rider_id, "outbound_id": outbound["id"], "return_id": None,
            "open_return": body.open_return, "created_at": time.time(), "by": principal.name}
    if body.return_time is not None:
        back, _ = await take_booking(request, body.leg(True), f"{idempotency_key}:ret", principal,
                                     extra={**extra, "round_trip_leg": "return"}, field="body.return")
        trip["return_id"] = back["id"]
        offered = [r for r in (outbound, back) if r["status"] == "offered"]
        if len(offered) == 1:  # one leg refused: the trip is not offered half
            await _change(request, offered[0]["id"], "decline")
    await _save(request, trip)
    return await _answer(request, trip, 201)


@router.get("/round-trips/{trip_id}", dependencies=[Depends(require("bookings.read"))])
async def get_round_trip(request: Request, trip_id: str) -> JSONResponse:
    return await _answer(request, await _load(request, trip_id))


@router.post("/round-trips/{trip_id}/confirm", dependencies=[Depends(require("bookings.change"))])
async def confirm_round_trip(request: Request, trip_id: str) -> JSONResponse:
    """The caller accepts both offers (409 naming the leg if one no longer fits; the other stays as it is)."""
    trip = await _load(request, trip_id)
    for leg in ("outbound_id", "return_id"):
        if trip.get(leg):
            try:
                await _change(request, trip[leg], "confirm")
            except ApiError as exc:
                raise ApiError(exc.status, leg.removesuffix("_id"), exc.reason) from None
    return await _answer(request, trip)


@router.post("/round-trips/{trip_id}/decline", dependencies=[Depends(require("bookings.change"))])
async def decline_round_trip(request: Request, trip_id: str) -> JSONResponse:
    trip = await _load(request, trip_id)
    store = request.app.state.store
    for leg in ("outbound_id", "return_id"):
        record = await store.get_booking(trip[leg]) if trip.get(leg) else None
        if record is not None and record["status"] in ("offered", "requested"):
            await _change(request, trip[leg], "decline")
    return await _answer(request, trip)


@router.post("/round-trips/{trip_id}/return", status_code=201)
async def call_for_return(
    request: Request, trip_id: str, body: ReturnCallIn, idempotency_key: IdempotencyKey,
    principal: Annotated[ApiKey, Depends(require("bookings.create"))],
) -> JSONResponse:
    """The rider of an open return calls: the return is placed at once, leaving as soon as the notice allows
    and not before the outbound's arrival (or after ``time``); the answer's ``wait_min`` is the wait to read
    out (until the pickup window opens)."""
    trip = await _load(request, trip_id)
    store = request.app.state.store
    if not trip["open_return"]:
        raise ApiError(409, "trip_id", "this round trip has a timed return")
    if trip.get("return_id"):
        placed = await store.get_booking(trip["return_id"])
        if placed is not None and placed["status"] not in ("rejected", "cancelled"):
            raise ApiError(409, "trip_id", f"the return is already booked ({trip['return_id']})")
    outbound = await store.get_booking(trip["outbound_id"])
    if outbound is None or outbound["status"] in ("cancelled", "rejected", "requested", "offered"):
        raise ApiError(409, "trip_id", "the outbound was not ridden or confirmed: book the return as a new trip")
    soonest = now_jst() + timedelta(seconds=request.app.state.world.rules.min_notice_s + 60)
    offer = outbound.get("offer") or {}
    if offer.get("expected_dropoff") is not None:  # the return cannot leave before the outbound arrives
        soonest = max(soonest, day_start(outbound["service_day"]) + timedelta(seconds=offer["expected_dropoff"]))
    when = max(_aware(body.time), soonest) if body.time is not None else soonest
    leg = BookingIn(
        rider_id=trip["rider_id"], pickup=_point(outbound["dropoff"]), dropoff=_point(outbound["pickup"]),
        time=when.replace(second=0, microsecond=0) + timedelta(minutes=1), seats=outbound["seats"],
        wheelchairs=outbound["wheelchairs"], notes=outbound.get("notes", ""),
    )
    back, status = await take_booking(request, leg, idempotency_key, principal,
                                      extra={"round_trip_id": trip_id, "round_trip_leg": "return",
                                             "priority": "open_return"})
    trip["return_id"] = back["id"]
    await _save(request, trip)
    answer = (await present_all(request, [back]))[0]
    offer = answer.get("offer")
    if offer and answer["state"] == "offered":
        start = datetime.fromisoformat(offer["pickup_window"]["start"])
        answer["wait_min"] = max(0, round((start - now_jst()).total_seconds() / 60))
    return JSONResponse(answer, status_code=201 if status != 200 else 200)


def _point(location: dict[str, Any]) -> PointIn:
    if location.get("place"):
        return PointIn(place=location["place"])
    return PointIn(lat=location["lat"], lon=location["lon"], label=location.get("name"))
