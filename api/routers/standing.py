"""Standing bookings (定期予約): a weekly pattern (e.g. 月・水・金 08:30 to the dialysis clinic, back at 12:30)
from a start date to an end date or open-ended.

Each occurrence becomes an ordinary booking when it enters the booking horizon (the service rules'
``horizon_s``, 5 days): offered and confirmed by the same rules as a phone booking, with idempotency keys
per series, date and leg so that materialising twice never books twice. An occurrence that cannot be
placed is a *conflict*: its refusal goes on the call-back list (折り返し). Pause, resume, skip a date (its
bookings are cancelled) and end the series. Series live in Redis (``<prefix>:standing:<id>`` and the set
``<prefix>:standing``). Weekdays are 0 (Monday) to 6 (Sunday).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field, model_validator

from api.auth import ApiKey, require
from api.errors import ApiError
from api.readout import desk_context, refusal_ja
from api.routers.bookings import _change, take_booking
from api.routers.callbacks import add_callback
from api.schemas import ERROR_RESPONSES, BookingIn, Day, Name, Notes, PointIn, Strict, TimeKindIn
from api.store import new_id
from api.timefmt import JST, now_jst

router = APIRouter(tags=["standing bookings"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)

HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:30"])]
WEEKDAYS_JA = "月火水木金土日"
SHOWN_DAYS = 14  # how far ahead GET lists the dates of a series


class StandingIn(Strict):
    rider_id: Name = Field(max_length=40)
    weekdays: list[Annotated[int, Field(ge=0, le=6, strict=True)]] = Field(min_length=1, max_length=7,
                                                                           description="0 Monday .. 6 Sunday")
    start_date: Day
    end_date: Day | None = Field(None, description="last day of the series (default: open-ended)")
    pickup: PointIn
    dropoff: PointIn
    time: HHMM
    time_kind: TimeKindIn = TimeKindIn.DEPART_AFTER
    return_time: HHMM | None = Field(None, description="the way back from the drop-off, the same day")
    return_time_kind: TimeKindIn = TimeKindIn.DEPART_AFTER
    seats: int = Field(1, ge=0, le=8, strict=True)
    wheelchairs: int = Field(0, ge=0, le=4, strict=True)
    notes: Notes = Field("", max_length=300)

    @model_validator(mode="after")
    def _consistent(self) -> StandingIn:
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("a weekday is given twice")
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if self.return_time is not None and self.return_time <= self.time:
            raise ValueError("return_time must be after time")
        if self.seats + self.wheelchairs < 1:
            raise ValueError("a booking carries at least one rider (seats + wheelchairs >= 1)")
        return self


class SkipIn(Strict):
    date: Day


class EndIn(Strict):
    date: Day | None = Field(None, description="last day served (default: today)")


def _key(request: Request, series_id: str) -> str:
    return request.app.state.keys.standing(series_id)


def _index(request: Request) -> str:
    return request.app.state.keys.standing_index


async def _load(request: Request, series_id: str) -> dict[str, Any]:
    raw = await request.app.state.redis.get(_key(request, series_id))
    if raw is None:
        raise ApiError(404, "series_id", f"no standing booking {series_id}")
    return json.loads(raw)


async def _save(request: Request, series: dict[str, Any]) -> None:
    async with request.app.state.redis.pipeline(transaction=True) as pipe:
        pipe.set(_key(request, series["id"]), json.dumps(series, ensure_ascii=False))
        pipe.sadd(_index(request), series["id"])
        await pipe.execute()


def _runs_on(series: dict[str, Any], day: date) -> bool:
    iso = day.isoformat()
    return (day.weekday() in series["weekdays"] and series["start_date"] <= iso
            and (series["end_date"] is None or iso <= series["end_date"]))


def _at(day: date, hhmm: str) -> datetime:
    hours, minutes = (int(p) for p in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=JST)


def _leg(series: dict[str, Any], day: date, back: bool) -> BookingIn:
    pickup, dropoff = PointIn(**series["pickup"]), PointIn(**series["dropoff"])
    return BookingIn(
        rider_id=series["rider_id"], pickup=dropoff if back else pickup, dropoff=pickup if back else dropoff,
        time=_at(day, series["return_time"] if back else series["time"]),
        time_kind=series["return_time_kind"] if back else series["time_kind"],
        seats=series["seats"], wheelchairs=series["wheelchairs"], notes=series["notes"],
    )


CLASH_S = 3600  # another booking of the rider this close to an occurrence is a clash


async def _clash(request: Request, series: dict[str, Any], day: date) -> str | None:
    """Another live booking of the rider within an hour of the occurrence (e.g. booked by phone)."""
    store = request.app.state.store
    hours, minutes = (int(p) for p in series["time"].split(":"))
    at = hours * 3600 + minutes * 60
    for record in await store.bookings(await store.booking_ids_of_rider(series["rider_id"], 200)):
        if (record["service_day"] == day.isoformat() and record.get("standing_id") != series["id"]
                and record["status"] in ("requested", "offered", "confirmed", "assigned")
                and abs(int(record["requested_time"]) - at) < CLASH_S):
            return f"同じ時間帯に別の予約があります（{record['id']}）"
    return None


async def _place(request: Request, series: dict[str, Any], day: date, principal: ApiKey) -> dict[str, Any]:
    """Book and confirm one occurrence (both legs); a leg that cannot be placed, or another booking of the
    rider at that time, makes it a conflict (on the call-back list)."""
    clash = await _clash(request, series, day)
    if clash is not None:
        await add_callback(request.app, {"booking_id": None, "rider_id": series["rider_id"],
                                         "summary": f"定期予約 {day.isoformat()} {series['time']}",
                                         "reason": "standing_conflict", "reason_ja": clash, "note": "",
                                         "by": principal.name})
        return {"state": "conflict", "problem": clash}
    legs = ["outbound"] + (["return"] if series.get("return_time") else [])
    occurrence: dict[str, Any] = {"state": "booked"}
    for leg in legs:
        key = f"standing:{series['id']}:{day.isoformat()}:{leg}"
        record, _ = await take_booking(request, _leg(series, day, leg == "return"), key, principal,
                                       extra={"standing_id": series["id"], "standing_leg": leg})
        occurrence[leg] = record["id"]
        problem = None
        if record["status"] == "offered":
            try:
                await _change(request, record["id"], "confirm")
            except ApiError as exc:
                problem = exc.reason
        elif record["status"] not in ("confirmed", "assigned"):
            ctx = await desk_context(request.app, [record])
            problem = refusal_ja(record["rejection"], record, ctx) if record.get("rejection") else record["status"]
        if problem is not None:
            occurrence.update(state="conflict", problem=problem)
            summary = (f"定期予約 {day.isoformat()} {_leg(series, day, leg == 'return').time:%H:%M} "
                       f"{'帰り' if leg == 'return' else '行き'}")
            await add_callback(request.app, {"booking_id": record["id"], "rider_id": series["rider_id"],
                                             "summary": summary, "reason": "standing_conflict",
                                             "reason_ja": problem, "note": "", "by": principal.name})
    return occurrence


LOCK_MS = 120_000  # a materialisation holding a series' lock longer than this is taken to have died
LOCK_WAIT_S = 5.0  # how long a second materialisation of the same series waits before leaving it to the first


class SeriesBusy(Exception):
    """Another process held the series' lock for longer than ``LOCK_WAIT_S``."""


@asynccontextmanager
async def series_lock(request: Request, series_id: str) -> AsyncIterator[None]:
    """Hold the series' lock (``<prefix>:standing:<id>:lock``, SET NX) while a block reads and writes it.

    Every writer of a series takes it - materialising, skipping a date, pausing, resuming, ending - so
    one writer's read-modify-write is never overwritten by another's (a skip lost under a concurrent
    materialisation, say). Raises :class:`SeriesBusy` when the lock stays held for ``LOCK_WAIT_S`` s.
    """
    redis_client, token = request.app.state.redis, new_id("lk")
    lock = request.app.state.keys.standing_lock(series_id)
    deadline = time.monotonic() + LOCK_WAIT_S
    while not await redis_client.set(lock, token, nx=True, px=LOCK_MS):
        if time.monotonic() >= deadline:
            raise SeriesBusy(series_id)
        await asyncio.sleep(0.1)
    try:
        yield
    finally:
        if await redis_client.get(lock) == token:
            await redis_client.delete(lock)


@asynccontextmanager
async def changing_series(request: Request, series_id: str) -> AsyncIterator[None]:
    """:func:`series_lock` for a request that changes a series: a lock held elsewhere is a 409."""
    try:
        async with series_lock(request, series_id):
            yield
    except SeriesBusy:
        raise ApiError(409, "series_id", "the series is being updated by another request; try again",
                       headers={"Retry-After": "2"}) from None


async def materialise(request: Request, series: dict[str, Any], principal: ApiKey) -> int:
    """Place every occurrence of ``series`` that has entered the booking horizon; returns how many.

    Several processes may materialise at once (the worker's schedule, a desk page opening, a series
    created or resumed): each series is materialised under its own lock (:func:`series_lock`) and
    re-read once held, so an occurrence is placed, and a conflict put on the call-back list, once.
    ``series`` is updated in place with what was stored. A series whose lock stays held for
    ``LOCK_WAIT_S`` seconds is left to its holder (0).
    """
    try:
        async with series_lock(request, series["id"]):
            series.update(await _load(request, series["id"]))
            return await _materialise_locked(request, series, principal)
    except SeriesBusy:
        log.info("standing booking %s: being materialised elsewhere", series["id"])
        return 0


async def materialise_every(request: Request, principal: ApiKey) -> dict[str, int]:
    """Materialise every series (active ones place what entered the horizon); ``{"series", "placed"}``."""
    ids = sorted(await request.app.state.redis.smembers(_index(request)))
    placed = 0
    for series_id in ids:
        placed += await materialise(request, await _load(request, series_id), principal)
    return {"series": len(ids), "placed": placed}


async def _materialise_locked(request: Request, series: dict[str, Any], principal: ApiKey) -> int:
    if series["status"] != "active":
        return 0
    rules = request.app.state.world.rules
    now = now_jst()
    placed = 0
    for offset in range(int(rules.horizon_s // 86_400) + 1):
        day = now.date() + timedelta(days=offset)
        iso = day.isoformat()
        if not _runs_on(series, day) or iso in series["skipped"] or iso in series["occurrences"]:
            continue
        lead = (_at(day, series["time"]) - now).total_seconds()
        # the whole occurrence at once: its return too must be inside the horizon, or the booking rules
        # would refuse it (beyond_horizon) and the date would land on the call-back list as a conflict
        last = (_at(day, series.get("return_time") or series["time"]) - now).total_seconds()
        if lead < rules.min_notice_s or last > rules.horizon_s:
            continue  # too late to book now, or not (wholly) inside the horizon yet
        series["occurrences"][iso] = await _place(request, series, day, principal)
        placed += 1
    if placed:
        await _save(request, series)
        log.info("standing booking %s: %d occurrence(s) placed", series["id"], placed)
    return placed


def _out(series: dict[str, Any]) -> dict[str, Any]:
    """The series with the next dates and what became of each (booked, conflict, skipped, pending)."""
    today = now_jst().date()
    dates = []
    for offset in range(SHOWN_DAYS):
        day = today + timedelta(days=offset)
        if not _runs_on(series, day):
            continue
        iso = day.isoformat()
        occurrence = series["occurrences"].get(iso)
        state = "skipped" if iso in series["skipped"] else occurrence["state"] if occurrence else "pending"
        dates.append({"date": iso, "weekday_ja": WEEKDAYS_JA[day.weekday()], "state": state,
                      **({k: v for k, v in occurrence.items() if k != "state"} if occurrence else {})})
    pattern = "・".join(WEEKDAYS_JA[d] for d in sorted(series["weekdays"]))
    return {**{k: v for k, v in series.items() if k != "occurrences"}, "pattern_ja": pattern, "dates": dates,
            "conflicts": sorted(d for d, o in series["occurrences"].items() if o["state"] == "conflict")}


@router.post("/standing-bookings", status_code=201)
async def create_standing(
    request: Request, body: StandingIn, principal: Annotated[ApiKey, Depends(require("bookings.create"))]
) -> JSONResponse:
    """Register a series; occurrences inside the horizon are booked at once."""
    store, world = request.app.state.store, request.app.state.world
    rider = await store.get_rider(body.rider_id)
    if rider is None or rider.get("active") is False:
        raise ApiError(422, "body.rider_id", f"no bookable rider {body.rider_id}")
    world.resolve_served(body.pickup, "body.pickup")  # 422 now rather than at every occurrence
    world.resolve_served(body.dropoff, "body.dropoff")
    series = {"id": new_id("sb"), **body.model_dump(mode="json"), "status": "active", "skipped": [],
              "occurrences": {}, "created_at": time.time(), "by": principal.name}
    await _save(request, series)
    await materialise(request, series, principal)
    return JSONResponse(_out(series), status_code=201, headers={"Location": f"/standing-bookings/{series['id']}"})


@router.get("/standing-bookings", dependencies=[Depends(require("bookings.read"))])
async def list_standing(
    request: Request, rider_id: Annotated[str | None, Query(max_length=40)] = None
) -> JSONResponse:
    ids = sorted(await request.app.state.redis.smembers(_index(request)))
    raws = await request.app.state.redis.mget([_key(request, i) for i in ids]) if ids else []
    series = [json.loads(r) for r in raws if r]
    return JSONResponse([_out(s) for s in series if rider_id is None or s["rider_id"] == rider_id])


@router.get("/standing-bookings/{series_id}", dependencies=[Depends(require("bookings.read"))])
async def get_standing(request: Request, series_id: str) -> JSONResponse:
    return JSONResponse(_out(await _load(request, series_id)))


@router.post("/standing-bookings/materialise")
async def materialise_all(
    request: Request, principal: Annotated[ApiKey, Depends(require("bookings.create"))]
) -> dict[str, int]:
    """Book every occurrence of every active series that has entered the horizon (run daily, or any time:
    occurrences already booked are left alone; the worker also runs this on a schedule)."""
    return await materialise_every(request, principal)


async def _cancel_occurrence(request: Request, occurrence: dict[str, Any], principal: ApiKey) -> None:
    store = request.app.state.store
    for leg in ("outbound", "return"):
        record = await store.get_booking(occurrence.get(leg) or "") if occurrence.get(leg) else None
        if record is not None and record["status"] in ("requested", "offered", "confirmed", "assigned"):
            cancellation = {"reason": "rider", "note": "定期予約の変更", "by": principal.name,
                            "at": now_jst().isoformat(timespec="seconds"), "late": False}
            await _change(request, record["id"], "cancel", cancellation=cancellation)


@router.post("/standing-bookings/{series_id}/skip")
async def skip_date(
    request: Request, series_id: str, body: SkipIn,
    principal: Annotated[ApiKey, Depends(require("bookings.change"))],
) -> JSONResponse:
    """Leave out one date (its bookings, if already made, are cancelled)."""
    series = await _load(request, series_id)  # 404 before waiting for a lock
    async with changing_series(request, series_id):
        series = await _load(request, series_id)
        if not _runs_on(series, date.fromisoformat(body.date)):
            raise ApiError(422, "body.date", f"the series does not run on {body.date}")
        if body.date not in series["skipped"]:
            series["skipped"] = sorted([*series["skipped"], body.date])
        occurrence = series["occurrences"].pop(body.date, None)
        if occurrence is not None:
            await _cancel_occurrence(request, occurrence, principal)
        await _save(request, series)
    return JSONResponse(_out(series))


async def _set_status(request: Request, series_id: str, status: str, principal: ApiKey) -> JSONResponse:
    await _load(request, series_id)  # 404 before waiting for a lock
    async with changing_series(request, series_id):
        series = await _load(request, series_id)
        if series["status"] == "ended":
            raise ApiError(409, "series_id", "the series has ended")
        series["status"] = status
        await _save(request, series)
        if status == "active":
            await _materialise_locked(request, series, principal)
    return JSONResponse(_out(series))


@router.post("/standing-bookings/{series_id}/pause")
async def pause(request: Request, series_id: str,
                principal: Annotated[ApiKey, Depends(require("bookings.change"))]) -> JSONResponse:
    """No new occurrences until resumed (those already booked stay)."""
    return await _set_status(request, series_id, "paused", principal)


@router.post("/standing-bookings/{series_id}/resume")
async def resume(request: Request, series_id: str,
                 principal: Annotated[ApiKey, Depends(require("bookings.change"))]) -> JSONResponse:
    return await _set_status(request, series_id, "active", principal)


@router.post("/standing-bookings/{series_id}/end")
async def end_series(
    request: Request, series_id: str, body: EndIn,
    principal: Annotated[ApiKey, Depends(require("bookings.change"))],
) -> JSONResponse:
    """End the series after ``date``; occurrences already booked after it are cancelled."""
    await _load(request, series_id)  # 404 before waiting for a lock
    async with changing_series(request, series_id):
        series = await _load(request, series_id)
        last = body.date or now_jst().date().isoformat()
        if last < series["start_date"]:
            last = series["start_date"]
        series.update(status="ended", end_date=last)
        for day in [d for d in series["occurrences"] if d > last]:
            await _cancel_occurrence(request, series["occurrences"].pop(day), principal)
        await _save(request, series)
    return JSONResponse(_out(series))
