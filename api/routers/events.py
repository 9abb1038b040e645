"""Server-sent events: offers, assignments, status changes and vehicle moves, from the outbound stream."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from api.auth import require
from api.errors import ApiError
from api.schemas import ERROR_RESPONSES

router = APIRouter(tags=["events"])

STREAM_ID = r"^(\d{1,19}-\d{1,19}|0)$"  # both parts below 2**64 (Redis refuses larger ones); 0: from the start
HEARTBEAT_S = 3.0  # below the client's socket timeout (5 s)


async def _stream(request: Request, start: str, limit: int | None, wait_s: float | None) -> AsyncIterator[str]:
    redis = request.app.state.redis
    key = request.app.state.keys.events
    last = start
    sent = 0
    closes = None if wait_s is None else time.monotonic() + wait_s
    yield "retry: 2000\n\n"
    while not await request.is_disconnected():
        block_s = HEARTBEAT_S if closes is None else min(HEARTBEAT_S, closes - time.monotonic())
        if block_s <= 0:
            return
        try:
            batches = await redis.xread({key: last}, count=100, block=max(1, int(block_s * 1000)))
        except (RedisConnectionError, RedisTimeoutError, TimeoutError):
            yield ": store unavailable, retrying\n\n"
            await asyncio.sleep(2)
            continue
        if not batches:
            yield ": keep-alive\n\n"
            continue
        for _, entries in batches:
            for entry_id, fields in entries:
                last = entry_id
                yield f"id: {entry_id}\nevent: {fields.get('type', 'message')}\ndata: {fields.get('data', '{}')}\n\n"
                sent += 1
                if limit is not None and sent >= limit:
                    return


_EVENT_SCHEMA = {  # one server-sent event (OpenAPI 3.2 ``itemSchema`` of a text/event-stream)
    "type": "object",
    "description": "one event: `event` its type (offer, rejection, confirmed, status, assignment, reassigned, "
                   "unpinned, vehicle, plans, reoptimise_requested, reoptimised, ...), `id` its stream id (send it "
                   "back as Last-Event-ID to resume), `data` a JSON object; the first item only sets `retry` (ms)",
    "properties": {"event": {"type": "string"}, "id": {"type": "string", "pattern": r"^\d+-\d+$"},
                   "data": {"type": "string", "contentMediaType": "application/json"},
                   "retry": {"type": "integer", "minimum": 0}},
}


class EventStreamResponse(StreamingResponse):
    media_type = "text/event-stream"


def _stream_id(value: str | None, field: str) -> str | None:
    """A Redis stream id both of whose parts fit 64 bits (Redis refuses larger ones)."""
    if value is None or value == "0":
        return value
    ms, _, seq = value.partition("-")
    if int(ms) >= 2**64 or int(seq or 0) >= 2**64:
        raise ApiError(422, field, f"{value} is not an event id")
    return value


@router.get(
    "/events",
    response_class=EventStreamResponse,
    dependencies=[Depends(require("events.read"))],
    responses={
        200: {"description": "server-sent events (text/event-stream: `field: value` lines, a blank line after each "
                             "event; `:` lines are keep-alives)",
              "content": {"text/event-stream": {"itemSchema": _EVENT_SCHEMA}}},
        # errors are JSON even here (the stream's media type would otherwise be assumed for them)
        **{code: {"description": r["description"], "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/ErrorOut"}}}} for code, r in ERROR_RESPONSES.items()},
    },
)
async def events(
    request: Request,
    # str, not str | None: a header or query value cannot be null, so the document must not offer null
    last_event_id: Annotated[str, Header(alias="Last-Event-ID", pattern=STREAM_ID)] = None,  # type: ignore[assignment]
    since: Annotated[str, Query(pattern=STREAM_ID, description="stream id to replay from")] = None,  # type: ignore[assignment]
    limit: Annotated[int | None, Query(ge=1, le=100_000, description="close after this many events")] = None,
    wait_s: Annotated[float | None, Query(gt=0, le=3600, description="close after this many seconds")] = None,
) -> StreamingResponse:
    """``text/event-stream`` of dispatch events; resumes after ``Last-Event-ID`` (or ``since``)."""
    start = _stream_id(last_event_id, "header.Last-Event-ID") or _stream_id(since, "query.since") or "$"
    if start == "$":  # resolve now, so events between this call and the first XREAD are not missed
        info = await request.app.state.redis.xinfo_stream(request.app.state.keys.events) if await \
            request.app.state.redis.exists(request.app.state.keys.events) else None
        start = info["last-generated-id"] if info else "0-0"
    return EventStreamResponse(
        _stream(request, start, limit, wait_s),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
