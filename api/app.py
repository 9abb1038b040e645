"""The FastAPI application: ``create_app(settings)`` builds it in-process (tests) or for uvicorn."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import redis
from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.accounts import Accounts
from api.errors import install_error_handlers
from api.keys import Keys
from api.limits import BodyLimits
from api.privacy import install_pii_filter
from api.redis_client import async_client
from api.redis_client import sync_client as connect_sync
from api.replication import ReplicaWait
from api.routers import (
    bookings,
    callbacks,
    dispatch,
    events,
    map_layers,
    places,
    rail,
    reports,
    riders,
    round_trips,
    staff,
    standing,
    vehicles,
)
from api.schemas import CONFIGURED_AREAS
from api.settings import Settings
from api.store import Store
from api.world import World, load_fleet_file
from api.writer import AreaWriter

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"


def _page(name: str):
    """A console page (static HTML; its data come from the API with the caller's key or session)."""
    async def serve() -> FileResponse:
        return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8")

    return serve


def _sequential_media_types(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` without the whole-body ``schema: string`` FastAPI adds to a media type whose items an
    ``itemSchema`` describes (the event stream): a text/event-stream is a sequence of events, not one string."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operation in (op for item in document.get("paths", {}).values() for op in item.values()):
                for response in operation.get("responses", {}).values():
                    for media in response.get("content", {}).values():
                        if "itemSchema" in media:
                            media.pop("schema", None)
        return app.openapi_schema or build()

    return openapi


def _configured_areas(app: FastAPI, areas: list[str]) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` with the deployment's service areas as the ``enum`` of every schema marked
    :data:`api.schemas.CONFIGURED_AREAS` (the ``area`` parameters and fields): they are configured
    (``KANRA_AREAS``), not known when the routes are declared, and the routes refuse any other with 422."""
    build = app.openapi

    def mark(node: Any) -> None:
        if isinstance(node, dict):
            if node.pop(CONFIGURED_AREAS, False):
                strings = [b for b in node.get("anyOf", ()) if b.get("type") == "string"] or [node]
                for branch in strings:
                    branch["enum"] = list(areas)
            for value in node.values():
                mark(value)
        elif isinstance(node, list):
            for value in node:
                mark(value)

    def openapi() -> dict[str, Any]:
        document = build()
        mark(document)
        return document

    return openapi


def create_app(settings: Settings | None = None, world: World | None = None) -> FastAPI:
    """Build the API.

    Parameters
    ----------
    settings
        Configuration (default: :meth:`Settings.from_env`).
    world
        Network, rules and solver parameters (default: built from ``settings`` at startup, ~1 s).
    """
    settings = settings or Settings.from_env()
    install_pii_filter()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.world = world or World.from_settings(settings)
        client = async_client(settings.redis_url, decode_responses=True, socket_timeout=5,
                              socket_connect_timeout=2, health_check_interval=30)
        sync_client = connect_sync(settings.redis_url, decode_responses=True, socket_timeout=5,
                                   socket_connect_timeout=2)
        keys = Keys(settings.key_prefix)
        app.state.redis = client
        app.state.keys = keys
        app.state.store = Store(client, keys, settings.idempotency_ttl_s)
        app.state.accounts = Accounts(client, keys)
        app.state.writer = AreaWriter(sync_client, keys, settings, app.state.world,
                                      name=f"api:{os.getpid()}@{socket.gethostname()}", may_solve=False)
        try:
            added = await app.state.store.seed_vehicles(load_fleet_file(settings.fleet_file))
            if added:
                log.info("registered %d vehicles from %s", added, settings.fleet_file)
        except redis.exceptions.ConnectionError:
            log.warning("redis unavailable at startup; the fleet will be registered on the next start")
        try:
            yield
        finally:
            await client.aclose()
            sync_client.close()

    app = FastAPI(
        title="Kanra-Tomioka shared taxi (乗合タクシー) booking API",
        version="0.1.0",
        description="Bookings, riders, vehicles and dispatch on Redis; see docs/api.md.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.add_middleware(BodyLimits)
    app.add_middleware(ReplicaWait)  # KANRA_REDIS_WAIT_REPLICAS: a 2xx to a write only once replicas have it
    install_error_handlers(app)
    for module in (places, map_layers, riders, bookings, round_trips, standing, callbacks, vehicles, dispatch, rail,
                   events, staff, reports):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = _sequential_media_types(app)  # type: ignore[method-assign]
    app.openapi = _configured_areas(app, list(settings.areas))  # type: ignore[method-assign]

    @app.get("/desk", include_in_schema=False)
    async def desk() -> FileResponse:
        """The phone desk (電話予約デスク)."""
        return FileResponse(STATIC_DIR / "desk.html", media_type="text/html; charset=utf-8")

    for page, name in (("/dispatcher", "dispatch.html"), ("/driver", "driver.html"), ("/runsheet", "runsheet.html"),
                       ("/administration", "admin.html"), ("/administration/reports", "reports.html")):
        app.add_api_route(page, _page(name), methods=["GET"], include_in_schema=False)

    @app.get("/console", include_in_schema=False)
    async def console() -> RedirectResponse:
        """The former one-page console: its phone booking lives on as the desk page."""
        return RedirectResponse("/desk", status_code=307)

    @app.get("/health", tags=["health"])
    async def health() -> JSONResponse:
        """Liveness and Redis reachability (no key needed)."""
        try:
            await app.state.redis.ping()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            return JSONResponse({"status": "degraded", "redis": False}, status_code=503,
                                headers={"Retry-After": "2"})
        return JSONResponse({"status": "ok", "redis": True})

    return app
