"""The Joshin line for dispatchers: the day's trains with their delays, and reporting a late train.

A reported delay is a command on every area's booking stream (``op: train_delay``), applied once by the
area's writer to that day's :class:`dispatch.trips.TripPlanner`: the delay is recorded on the planner's
timetable (and saved with its snapshot) and the onward taxi legs of the riders on that train are
re-planned; their bookings are kept. Times at this edge are Asia/Tokyo ISO 8601.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.auth import require
from api.errors import ApiError
from api.intake import run_command
from api.routers.params import DayQuery
from api.schemas import ERROR_RESPONSES, Count, Day, Strict
from api.timefmt import to_iso, today
from dispatch.rail import GtfsError, StationIndex, Timetable

router = APIRouter(prefix="/rail", tags=["rail"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)

#: Longest delay a dispatcher may report, minutes (a train later than this is cancelled, not late).
MAX_DELAY_MIN = 12 * 60
#: How far ahead a delay may be reported (the booking horizon of the API), days.
MAX_DAYS_AHEAD = 366


class TrainDelayIn(Strict):
    train_id: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_.\-]+$",
                          description="train (GTFS trip id) as listed by GET /rail/trains, e.g. U10")
    delay_min: Annotated[int, Count] = Field(ge=0, le=MAX_DELAY_MIN, strict=True,
                           description="minutes late from now on, replacing an earlier report; 0: on time again")
    day: Day | None = Field(None, description="service day YYYY-MM-DD (default today, Tokyo)")


class TrainDelayOut(BaseModel):
    train_id: str
    day: str
    delay_min: int
    replanned: list[str] = Field(description="taxi leg bookings moved to follow the train (<booking>/<leg>)")
    trips: list[str] = Field(description="bookings riding the train (their offers show the new times)")
    at_risk: list[str] = Field(description="taxi legs that could not be moved: call the rider")
    entries: dict[str, str] = Field(description="command entry id per service area")


class CallOut(BaseModel):
    station: str = Field(description="road-network station key (st:Shimonita)")
    stop_id: str
    name: str
    arrival: str
    departure: str
    scheduled_departure: str


class TrainOut(BaseModel):
    train_id: str
    direction: int
    headsign: str
    delay_min: float
    calls: list[CallOut]


class TrainsOut(BaseModel):
    day: str
    station: str | None
    trains: list[TrainOut]


def _timetable(request: Request, day: str, field: str) -> Timetable:
    """The day's trains as the feed has them (no delays); 404 when the feed runs none that day."""
    try:
        return request.app.state.world.timetable(day)
    except GtfsError as exc:
        raise ApiError(404, field, str(exc)) from None


def _delays(request: Request, day: str) -> dict[str, int]:
    """Delays (s) recorded by the areas' planners of ``day`` (the latest report is the same in each)."""
    delays: dict[str, int] = {}
    for area in request.app.state.settings.areas:
        view = request.app.state.writer.view(area, day)
        planner = getattr(view, "planner", None)
        if planner is not None:
            for train_id, delay_s in planner.timetable.delays.items():
                delays[train_id] = max(delays.get(train_id, 0), delay_s)
    return delays


@router.get("/trains", dependencies=[Depends(require("rail.read"))], response_model=TrainsOut)
async def trains(request: Request, day: DayQuery = None,
                 station: str | None = Query(None, max_length=40, description="only trains calling here "
                                             "(station key, e.g. st:Shimonita), by departure there")) -> TrainsOut:
    """The day's Joshin trains with their calls, expected (delayed) and scheduled times."""
    day = day or today()

    def build() -> TrainsOut:  # snapshot restore: CPU work, off the event loop
        timetable = _timetable(request, day, "query.day")
        index = StationIndex(request.app.state.world.network.stations, timetable)
        stop = None
        if station is not None:
            stop = index.stop_of(station)
            if stop is None:
                raise ApiError(422, "query.station", f"no station {station!r} on the line; stations: "
                                                     f"{', '.join(sorted(index.station_keys))}")
        delays = _delays(request, day)
        out = []
        for train in timetable.trains.values():
            at = train.index_of(stop) if stop is not None else 0
            if at is None:
                continue
            late = delays.get(train.train_id, 0)
            calls = [CallOut(station=index.key_of(c.stop_id), stop_id=c.stop_id, name=timetable.stops[c.stop_id].name,
                             arrival=to_iso(day, c.arrival + late), departure=to_iso(day, c.departure + late),
                             scheduled_departure=to_iso(day, c.departure)) for c in train.calls]
            out.append((train.calls[at].departure, TrainOut(train_id=train.train_id, direction=train.direction,
                                                             headsign=train.headsign, delay_min=late / 60,
                                                             calls=calls)))
        out.sort(key=lambda pair: (pair[0], pair[1].train_id))
        return TrainsOut(day=day, station=station, trains=[t for _, t in out])

    return await anyio.to_thread.run_sync(build)


@router.post("/delays", dependencies=[Depends(require("rail.delay"))], response_model=TrainDelayOut,
             responses={202: {"description": "a writer was busy: the result follows on the event stream"}})
async def report_delay(request: Request, body: TrainDelayIn) -> JSONResponse:
    """Report that a train runs late: the onward taxi legs of its riders are re-planned, bookings kept."""
    app = request.app
    model = app.state.world.operating_model
    if model is None or not model.rail_feeding:
        raise ApiError(409, "body.train_id", "the operating model has no rail feeding (KANRA_OPERATING_MODEL): "
                                             "no booking rides a train")
    day = body.day or today()
    if day < today():
        raise ApiError(422, "body.day", f"{day} is a past service day: a delay there changes nothing")
    if date.fromisoformat(day) > date.fromisoformat(today()) + timedelta(days=MAX_DAYS_AHEAD):
        raise ApiError(422, "body.day", f"{day} is more than {MAX_DAYS_AHEAD} days ahead")
    timetable = await anyio.to_thread.run_sync(_timetable, request, day, "body.day")
    if body.train_id not in timetable.trains:
        raise ApiError(404, "body.train_id", f"no train {body.train_id!r} runs on {day} (GET /rail/trains lists them)")
    entries: dict[str, str] = {}
    results: dict[str, dict[str, Any] | None] = {}
    for area in app.state.settings.areas:  # any area's trips may ride the train
        command = {"op": "train_delay", "train_id": body.train_id, "delay_s": body.delay_min * 60, "day": day}
        entries[area], results[area] = await run_command(app, area, app.state.keys.booking_stream(area), command)
    if any(result is None for result in results.values()):
        return JSONResponse({"status": "pending", "entries": entries}, status_code=202)
    refused = [result["error"] for result in results.values() if result and not result["ok"]]
    if refused:
        raise ApiError(409, "body.train_id", "; ".join(e or "delay refused" for e in refused))
    data = [result["data"] for result in results.values() if result]
    log.info("train %s on %s reported %d min late", body.train_id, day, body.delay_min)
    out = TrainDelayOut(train_id=body.train_id, day=day, delay_min=body.delay_min,
                        replanned=[bid for d in data for bid in d["replanned"]],
                        trips=sorted(t for d in data for t in d["trips"]),
                        at_risk=[bid for d in data for bid in d["at_risk"]], entries=entries)
    return JSONResponse(out.model_dump(mode="json"))
