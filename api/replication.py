"""Answer a write only once the replicas have it: the ``WAIT`` barrier in front of every 2xx to a write.

Redis replicates asynchronously: the primary acknowledges a write before any replica has it, so a
failover right after a booking was answered 201 can promote a replica that never saw it. With
``KANRA_REDIS_WAIT_REPLICAS=n`` every 2xx answer to a POST, PUT, PATCH or DELETE is held back until
``n`` replicas have acknowledged everything the primary had written up to then
(:meth:`api.store.Store.replicated`: a write of our own, then ``WAIT n KANRA_REDIS_WAIT_MS`` on the same
connection). The booking record, its idempotency key, its command on the area stream and the writer's
commit of the offer were all written before, and replication is one ordered stream, so all of them are on
the replica when the answer leaves. If the replicas do not confirm in time (or Redis is away) the
answer becomes 503 with ``Retry-After``: the write may or may not survive a failover, and the client's
retry with the same ``Idempotency-Key`` finds it or takes it again, never twice.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import RETRY_AFTER_S, body

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class NotReplicated(RuntimeError):
    """Fewer replicas than required confirmed a write within the timeout."""


class ReplicaWait:
    """ASGI middleware: the barrier before each 2xx answer to a write (off while the setting is 0)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        replicas = state.settings.redis_wait_replicas
        if replicas <= 0:
            await self.app(scope, receive, send)
            return
        swallowed = False

        async def send_after_barrier(message: Message) -> None:
            nonlocal swallowed
            if swallowed:
                return
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                reason = await _barrier(state, replicas)
                if reason is not None:
                    log.warning("%s %s answered 503: %s", scope["method"], scope["path"], reason)
                    swallowed = True
                    await _unavailable(send, reason)
                    return
            await send(message)

        await self.app(scope, receive, send_after_barrier)


async def _barrier(state: Any, replicas: int) -> str | None:
    """None once ``replicas`` have everything written so far; else why not (for the 503)."""
    try:
        acked = await state.store.replicated(replicas, state.settings.redis_wait_ms)
    except RedisError as exc:
        return f"the booking store is unavailable ({type(exc).__name__}); retry shortly"
    if acked < replicas:
        return (f"the change is not yet on {replicas} replica(s) of the booking store "
                f"({acked} confirmed in {state.settings.redis_wait_ms} ms); retry shortly")
    return None


async def _unavailable(send: Send, reason: str) -> None:
    payload = json.dumps(body("service", reason), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"retry-after", str(RETRY_AFTER_S).encode())]})
    await send({"type": "http.response.body", "body": payload, "more_body": False})
