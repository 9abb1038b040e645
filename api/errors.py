"""Error responses: every bad input is a 4xx naming the field and the reason; Redis down is a 503.

Body shape, for every error: ``{"detail": [{"field": "body.pickup.lat", "reason": "..."}]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import (
    BusyLoadingError,
    ExecAbortError,
    MasterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

log = logging.getLogger("api.errors")

RETRY_AFTER_S = 2
_REFUSED_TYPES = (ReadOnlyError, OutOfMemoryError, ExecAbortError, BusyLoadingError, MasterDownError, TryAgainError)
_REFUSED_CODES = ("OOM", "READONLY", "NOREPLICAS", "MISCONF", "MASTERDOWN", "EXECABORT", "LOADING", "TRYAGAIN")


def store_refused(exc: BaseException) -> bool:
    """True when Redis is up but refuses writes for now (full under noeviction, demoted to a replica, too
    few replicas, loading): the request may be retried, it is not a bug."""
    if isinstance(exc, _REFUSED_TYPES):
        return True
    return isinstance(exc, ResponseError) and any(code in str(exc) for code in _REFUSED_CODES)


class ApiError(Exception):
    """An error with an HTTP status, the offending field and a reason a caller can act on."""

    def __init__(self, status: int, field: str, reason: str, headers: dict[str, str] | None = None,
                 reason_ja: str | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.status = status
        self.field = field
        self.reason = reason
        self.reason_ja = reason_ja  # the reason in Japanese, for the console (when there is one)
        self.headers = headers or {}


class Busy(ApiError):
    """The service area's writer could not be reached in time: retry shortly."""

    def __init__(self, reason: str) -> None:
        super().__init__(503, "service", reason, {"Retry-After": str(RETRY_AFTER_S)})


def body(field: str, reason: str, reason_ja: str | None = None) -> dict[str, list[dict[str, str]]]:
    item = {"field": field, "reason": reason}
    if reason_ja:
        item["reason_ja"] = reason_ja
    return {"detail": [item]}


def _field_of(loc: tuple[object, ...]) -> str:
    return ".".join(str(p) for p in loc) or "request"


def _reason_of(err: dict) -> str:
    msg = str(err.get("msg", "invalid"))
    # pydantic prefixes messages of our own validators with "Value error, "; keep only ours.
    return msg.removeprefix("Value error, ")


def _guard_of(dependant: Any) -> Callable[[Request], Awaitable[Any]] | None:
    """The route's ``api.auth.require`` dependency (marked with its ``required_action``), or None for a public route."""
    for sub in getattr(dependant, "dependencies", ()):
        if hasattr(sub.call, "required_action"):
            return sub.call
        found = _guard_of(sub)
        if found is not None:
            return found
    return None


async def refused_caller(request: Request) -> JSONResponse | None:
    """The 401/403/429 the request's route gives this caller, or None (a public route, or the caller may).

    FastAPI reads a JSON body before it runs any dependency, so a body that cannot be parsed would otherwise
    be answered before the caller is known: credentials are checked first on every route.
    """
    guard = _guard_of(getattr(request.scope.get("route"), "dependant", None))
    if guard is None:
        return None
    try:
        await guard(request)
    except ApiError as exc:
        return await _api_error(request, exc)
    return None


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    syntax = [e for e in errors if e.get("type") == "json_invalid"]
    if syntax:  # not JSON at all: 400, after the caller is known
        refused = await refused_caller(request)
        if refused is not None:
            return refused
        where = syntax[0].get("loc", ("body", 0))
        position = where[1] if len(where) > 1 else 0
        error = (syntax[0].get("ctx") or {}).get("error", "JSON decode error")
        return JSONResponse(body("body", f"the body is not valid JSON: {error} at character {position}"),
                            status_code=400)
    detail = [{"field": _field_of(tuple(e.get("loc", ()))), "reason": _reason_of(e)} for e in errors]
    return JSONResponse({"detail": detail}, status_code=422)


async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(body(exc.field, exc.reason, exc.reason_ja), status_code=exc.status, headers=exc.headers)


_HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"})


def _allowed_methods(request: Request, named: str) -> str:
    """Every method the request's path answers. Starlette names only those of the first route matching the
    path (``GET`` for ``/bookings/{id}``, forgetting ``PATCH``), so the OpenAPI document's paths fill in the rest."""
    table = getattr(request.app.state, "allowed_methods", None)
    if table is None:
        table = [(path, compile_path(path)[0], {m.upper() for m in ops if m.upper() in _HTTP_METHODS})
                 for path, ops in request.app.openapi().get("paths", {}).items()]
        request.app.state.allowed_methods = table
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    matching = [(template, ops) for template, regex, ops in table if regex.match(path)]
    literal = [ops for template, ops in matching if "{" not in template]
    if literal:  # /standing-bookings/materialise is its own resource, not a series called "materialise"
        return ", ".join(sorted(set().union(*literal)))
    methods = {m.strip() for m in named.split(",") if m.strip()}  # the route Starlette found (also undocumented)
    for _, ops in matching:
        methods |= ops
    return ", ".join(sorted(methods))


def _single_valued(operation: dict[str, Any]) -> frozenset[str]:
    """The operation's query parameters that take one value (not an array)."""
    return frozenset(p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query"
                     and "array" not in str(p.get("schema", {}).get("type", ""))
                     and not any(s.get("type") == "array" for s in p.get("schema", {}).get("anyOf", ())))


def _operations(request: Request) -> list[tuple[Any, str, bool, frozenset[str]]]:
    """(path regex, method, needs credentials, single-valued query parameters) of every documented operation
    (cached on the app)."""
    table = getattr(request.app.state, "operations", None)
    if table is None:
        table = [(compile_path(path)[0], method.upper(), bool(op.get("security")), _single_valued(op))
                 for path, ops in request.app.openapi().get("paths", {}).items()
                 for method, op in ops.items() if method.upper() in _HTTP_METHODS]
        request.app.state.operations = table
    return table


def _operation(request: Request) -> tuple[Any, str, bool, frozenset[str]] | None:
    path = request.scope.get("path", "")
    return next((o for o in _operations(request) if o[1] == request.method and o[0].match(path)), None)


def needs_credentials(request: Request) -> bool:
    """True when the documented operation of this method and path declares a security scheme."""
    operation = _operation(request)
    return operation is not None and operation[2]


def repeated_parameter(request: Request) -> ApiError | None:
    """A 422 for a one-value query parameter given more than once (which one counts would be a guess)."""
    operation = _operation(request)
    if operation is None:
        return None
    names = [name for name, _ in request.query_params.multi_items()]
    for name in operation[3]:
        if names.count(name) > 1:
            return ApiError(422, f"query.{name}", f"given {names.count(name)} times; give it once")
    return None


def respond(exc: ApiError) -> JSONResponse:
    return JSONResponse(body(exc.field, exc.reason, exc.reason_ja), status_code=exc.status, headers=exc.headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    reason = exc.detail if isinstance(exc.detail, str) else "error"
    field = "request"
    headers = dict(exc.headers or {})
    if exc.status_code == 400 and "parsing the body" in reason:  # bytes that are not UTF-8 JSON
        refused = await refused_caller(request)
        if refused is not None:
            return refused
        field, reason = "body", "the body cannot be read: send UTF-8 encoded JSON"
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
        field, reason = "method", f"{request.method} is not allowed here; allowed: {headers['Allow']}"
    return JSONResponse(body(field, reason), status_code=exc.status_code, headers=headers)


async def _redis_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning("redis unavailable during %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse(
        body("service", "the booking store is unavailable; retry shortly"),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _redis_refused(request: Request, exc: Exception) -> JSONResponse:
    if store_refused(exc):
        log.warning("redis refused a write during %s %s: %s", request.method, request.url.path, str(exc)[:60])
        return JSONResponse(
            body("service", "the booking store refuses writes for now; retry shortly"),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    log.error("redis error during %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(body("service", "internal error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RedisConnectionError, _redis_down)
    app.add_exception_handler(RedisTimeoutError, _redis_down)
    app.add_exception_handler(ResponseError, _redis_refused)
