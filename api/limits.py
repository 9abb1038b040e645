"""Request hygiene before any handler runs: JSON bodies only (415), at most ``max_bytes`` of them (413), and a
one-value query parameter given once (422).

A pure ASGI middleware: it reads the body itself (also when the client streams it without a length), so an
oversized upload is refused after ``max_bytes`` have arrived, not after it was all buffered.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 64 * 1024
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


async def _unknown_caller(scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer 401 and return True when the operation needs credentials this caller lacks: credentials are
    checked before the body, also when the body is refused here (the role is checked later, by the route)."""
    from starlette.requests import Request

    from api.errors import ApiError, needs_credentials, respond

    request = Request(scope, receive)
    if not needs_credentials(request):
        return False
    from api.auth import authenticate

    try:
        await authenticate(request)
    except ApiError as exc:
        await respond(exc)(scope, receive, send)
        return True
    return False


async def _repeated_parameter(scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer 422 and return True for a one-value query parameter given twice (after the credentials)."""
    from starlette.requests import Request

    from api.errors import repeated_parameter, respond

    refused = repeated_parameter(Request(scope, receive))
    if refused is None or await _unknown_caller(scope, receive, send):
        return refused is not None
    await respond(refused)(scope, receive, send)
    return True


async def _refuse(send: Send, status: int, field: str, reason: str) -> None:
    body = json.dumps({"detail": [{"field": field, "reason": reason}]}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimits:
    """Refuse non-JSON bodies with 415 and bodies over ``max_bytes`` with 413 (``field``/``reason`` body)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_bytes: int = MAX_BODY_BYTES):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"&" in scope.get("query_string", b"") and \
                await _repeated_parameter(scope, receive, send):
            return
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length")
        streamed = b"transfer-encoding" in headers
        if (length is None or length.strip() == b"0") and not streamed:
            await self.app(scope, receive, send)  # no body (confirm, cancel): nothing to check
            return
        media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media != b"application/json":
            if await _unknown_caller(scope, receive, send):
                return
            shown = media.decode("latin-1") or "none"
            await _refuse(send, 415, "header.Content-Type", f"send application/json (got {shown})")
            return
        if length is not None and length.strip().isdigit() and int(length) > self.max_bytes:
            if await _unknown_caller(scope, receive, send):
                return
            await _refuse(send, 413, "body", f"request body over {self.max_bytes} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                if await _unknown_caller(scope, receive, send):
                    return
                await _refuse(send, 413, "body", f"request body over {self.max_bytes} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
