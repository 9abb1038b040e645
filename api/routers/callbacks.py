"""The call-back list (折り返し): requests the desk could not place, for whoever calls the rider back.

Shared by every desk (one Redis hash, ``<prefix>:callbacks``); an entry stays until marked done. Entries
come from the console (a refusal the caller wants to hear back about) and from standing bookings whose
occurrence could not be placed.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field, model_validator

from api.auth import ApiKey, require
from api.errors import ApiError
from api.readout import desk_context, refusal_ja
from api.schemas import ERROR_RESPONSES, Name, Notes, Strict
from api.store import new_id
from api.timefmt import to_iso
from api.views import _iso_epoch

router = APIRouter(tags=["callbacks"], responses=ERROR_RESPONSES)


class CallbackIn(Strict):
    """A booking that was refused (its rider and trip are taken from it), or a rider with a note."""

    booking_id: Name | None = Field(None, max_length=40)
    rider_id: Name | None = Field(None, max_length=40)
    note: Notes = Field("", max_length=300)

    @model_validator(mode="after")
    def _someone(self) -> CallbackIn:
        if self.booking_id is None and self.rider_id is None:
            raise ValueError("name the refused booking_id or the rider_id to call back")
        return self


def _key(request: Request) -> str:
    return request.app.state.keys.callbacks


async def add_callback(app: Any, entry: dict[str, Any]) -> dict[str, Any]:
    """Store an open call-back entry (``booking_id``, ``rider_id``, ``summary``, ``reason``, ``note``...)."""
    entry = {"id": new_id("cb"), "status": "open", "created_at": time.time(), **entry}
    await app.state.redis.hset(app.state.keys.callbacks, entry["id"], json.dumps(entry, ensure_ascii=False))
    return entry


async def _entries(request: Request) -> list[dict[str, Any]]:
    raw = await request.app.state.redis.hgetall(_key(request))
    return sorted((json.loads(v) for v in raw.values()), key=lambda e: e["created_at"])


async def _out(request: Request, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    store = request.app.state.store
    riders = await store.riders(sorted({e["rider_id"] for e in entries if e.get("rider_id")}))
    out = []
    for e in entries:
        rider = riders.get(e.get("rider_id") or "")
        out.append({**e, "created_at": _iso_epoch(e["created_at"]),
                    "done_at": _iso_epoch(e["done_at"]) if e.get("done_at") else None,
                    "rider_name": rider["name"] if rider else None, "phone": rider["phone"] if rider else None})
    return out


@router.get("/callbacks", dependencies=[Depends(require("bookings.read"))])
async def list_callbacks(
    request: Request, status: Annotated[Literal["open", "done", "all"], Query(description="which call-backs")] = "open"
) -> JSONResponse:
    """Call-back entries, oldest first (``status``: open, done or all)."""
    entries = [e for e in await _entries(request) if status == "all" or e["status"] == status]
    return JSONResponse(await _out(request, entries))


@router.post("/callbacks", status_code=201)
async def create_callback(
    request: Request, body: CallbackIn, principal: Annotated[ApiKey, Depends(require("bookings.create"))]
) -> JSONResponse:
    """Put a refused request (or a rider to call) on the shared list."""
    store = request.app.state.store
    entry: dict[str, Any] = {"booking_id": body.booking_id, "rider_id": body.rider_id, "note": body.note,
                             "by": principal.name, "summary": "", "reason": None, "reason_ja": ""}
    if body.booking_id is not None:
        record = await store.get_booking(body.booking_id)
        if record is None:
            raise ApiError(422, "body.booking_id", f"no booking {body.booking_id}")
        entry["rider_id"] = entry["rider_id"] or record.get("rider_id")
        day = record["service_day"]
        entry["summary"] = (f"{to_iso(day, record['requested_time'])[:16].replace('T', ' ')} "
                            f"{record['pickup']['name']} → {record['dropoff']['name']}")
        if record.get("rejection"):
            ctx = await desk_context(request.app, [record])
            entry["reason"] = record["rejection"]["reason"]
            entry["reason_ja"] = refusal_ja(record["rejection"], record, ctx)
    if entry["rider_id"] is not None and await store.get_rider(entry["rider_id"]) is None:
        raise ApiError(422, "body.rider_id", f"no rider {entry['rider_id']}")
    if entry["rider_id"] is None:
        raise ApiError(422, "body.booking_id", "the booking has no rider to call back")
    entry = await add_callback(request.app, entry)
    return JSONResponse((await _out(request, [entry]))[0], status_code=201)


@router.post("/callbacks/{callback_id}/done")
async def callback_done(
    request: Request, callback_id: str, principal: Annotated[ApiKey, Depends(require("bookings.change"))]
) -> JSONResponse:
    """The rider was called back: the entry leaves the open list (kept as done)."""
    raw = await request.app.state.redis.hget(_key(request), callback_id)
    if raw is None:
        raise ApiError(404, "callback_id", f"no call-back {callback_id}")
    entry = {**json.loads(raw), "status": "done", "done_at": time.time(), "done_by": principal.name}
    await request.app.state.redis.hset(_key(request), callback_id, json.dumps(entry, ensure_ascii=False))
    return JSONResponse((await _out(request, [entry]))[0])
