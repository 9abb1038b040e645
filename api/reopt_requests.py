"""Re-optimisation a dispatcher asks for: recorded by the API, run by the worker, polled by the caller.

An OR-Tools search holds the interpreter lock for its whole time limit, so it must never run in an API
process (the phone desk would stall). ``POST /dispatch/reoptimise`` therefore only records a request
(:func:`submit`, answered 202 at once); the worker leading each area takes it from the area's queue
(:func:`take_next`), has the search run in a child process (:mod:`api.reopt_search`; :func:`serve_next`
runs it in place) and publishes its plan only if it still fits the plans as they are by then, writes the
result into the request (:func:`finish`) and announces it on the event stream; the booking records follow
the new plan in the same commit. A worker that dies mid-run leaves the request at the head of the queue,
and the next leader runs it again.

Redis: ``kt:reopt:{id}`` (hash: ``meta`` JSON, ``area:{name}`` JSON result per area, ``running:{name}``
while a search runs; TTL ``result_ttl_s``), ``kt:area:{area}:reopt-queue`` (list of request ids).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from api.keys import Keys
from api.store import new_id
from api.writer import LostLease

log = logging.getLogger(__name__)


async def submit(redis: AsyncRedis, keys: Keys, day: str, areas: list[str], time_limit_s: float,
                 requested_by: str, ttl_s: int) -> dict[str, Any]:
    """Record a request for every area, queue it for each area's worker; returns its status (queued)."""
    request_id = new_id("ro")
    meta = {"id": request_id, "day": day, "areas": areas, "time_limit_s": time_limit_s,
            "requested_by": requested_by, "requested_at": time.time()}
    key = keys.reopt_request(request_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, "meta", json.dumps(meta))
        pipe.expire(key, ttl_s)
        for area in areas:
            pipe.rpush(keys.reopt_queue(area), request_id)
        pipe.xadd(keys.events, {"type": "reoptimise_requested",
                                "data": json.dumps({"type": "reoptimise_requested", "request_id": request_id,
                                                    "day": day, "areas": areas, "at": meta["requested_at"]})})
        await pipe.execute()
    return _status(meta, {})


async def status(redis: AsyncRedis, keys: Keys, request_id: str) -> dict[str, Any] | None:
    """The request with each area's result so far; None if there is no such request (or it expired)."""
    fields = await redis.hgetall(keys.reopt_request(request_id))
    if not fields or "meta" not in fields:
        return None
    return _status(json.loads(fields.pop("meta")), fields)


def _status(meta: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    results = {a: json.loads(fields[f"area:{a}"]) for a in meta["areas"] if f"area:{a}" in fields}
    running = [a for a in meta["areas"] if f"running:{a}" in fields and a not in results]
    state = "done" if len(results) == len(meta["areas"]) else "running" if running or results else "queued"
    return {"request_id": meta["id"], "status": state, "day": meta["day"], "areas": meta["areas"],
            "time_limit_s": meta["time_limit_s"], "requested_at": meta["requested_at"], "running": running,
            "results": results}


def serve_next(redis: Redis, keys: Keys, writer: Any, area: str) -> dict[str, Any] | None:
    """Run the oldest queued request of ``area`` here and now (worker side); its result, None if none waits.

    The request leaves the queue only once its result is written, so a crash means it runs again.
    """
    taken = take_next(redis, keys, area)
    if taken is None:
        return None
    request_id, meta = taken
    began = time.time()
    try:
        run = writer.reoptimise(area, meta["day"], float(meta["time_limit_s"]))
    except LostLease as exc:
        return finish(redis, keys, area, request_id, meta, None, began, writer.name, f"not committed: {exc}")
    except Exception as exc:  # a store or engine failure: report it rather than retry forever
        if _is_store_error(exc):
            raise
        log.exception("re-optimisation request %s of area %s failed", request_id, area)
        return finish(redis, keys, area, request_id, meta, None, began, writer.name,
                      "internal error while re-optimising", status="failed")
    return finish(redis, keys, area, request_id, meta, run, began, writer.name)


def take_next(redis: Redis, keys: Keys, area: str) -> tuple[str, dict[str, Any]] | None:
    """The oldest queued request of ``area`` (id and meta), marked running; None if none waits.

    It stays at the head of the queue until :func:`finish` writes its result.
    """
    queue = keys.reopt_queue(area)
    while True:
        request_id = redis.lindex(queue, 0)
        if request_id is None:
            return None
        key = keys.reopt_request(request_id)
        raw = redis.hget(key, "meta")
        if raw is not None:
            redis.hset(key, f"running:{area}", time.time())
            return request_id, json.loads(raw)
        redis.lrem(queue, 1, request_id)  # expired before anyone ran it


def finish(redis: Redis, keys: Keys, area: str, request_id: str, meta: dict[str, Any], run: Any, began: float,
           writer_name: str, reason: str = "", status: str = "discarded") -> dict[str, Any]:
    """Write a request's result for ``area`` (``run``: an :class:`api.reopt_run.ReoptimisationRun`, or None
    with ``status`` and ``reason``), take it off the queue and announce it; returns the result."""
    base = run.to_dict() if run is not None else {"status": status, "reason": reason}
    result = {**base, "started_at": began, "finished_at": time.time(), "writer": writer_name}
    key = keys.reopt_request(request_id)
    event = {"type": "reoptimised", "request_id": request_id, "area": area, "day": meta["day"],
             "status": result["status"], "saved_m": result.get("saved_m", 0.0), "moved": result.get("moved", 0),
             "reason": result["reason"], "at": time.time()}
    with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, f"area:{area}", json.dumps(result))
        pipe.hdel(key, f"running:{area}")
        pipe.lrem(keys.reopt_queue(area), 1, request_id)
        pipe.xadd(keys.events, {"type": "reoptimised", "data": json.dumps(event)})
        pipe.execute()
    log.info("re-optimisation request %s of %s/%s: %s", request_id, area, meta["day"], result["status"])
    return result


def _is_store_error(exc: Exception) -> bool:
    from redis.exceptions import RedisError

    return isinstance(exc, RedisError)
