"""Error responses: every bad input is a 4xx naming the field and the reason; Redis down is a 503.

Body shape, for every error: ``{"detail": [{"field": "body.pickup.lat", "reason": "..."}]}``.
"""

from __future__ import annotations

import logging

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


async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
    detail = [{"field": _field_of(tuple(e.get("loc", ()))), "reason": _reason_of(e)} for e in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse(body(exc.field, exc.reason, exc.reason_ja), status_code=exc.status, headers=exc.headers)


async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    reason = exc.detail if isinstance(exc.detail, str) else "error"
    field = "request"
    if exc.status_code == 400 and "parsing the body" in reason:  # bytes that are not UTF-8 JSON
        field, reason = "body", "the body cannot be read: send UTF-8 encoded JSON"
    return JSONResponse(body(field, reason), status_code=exc.status_code, headers=exc.headers)


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
