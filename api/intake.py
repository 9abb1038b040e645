"""The API side of the writer protocol: append a command, help drain the area, wait for the answer."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import FastAPI

from api.auth import actor
from api.timefmt import clock
from api.writer import LostLease

log = logging.getLogger(__name__)


async def drain(app: FastAPI, area: str) -> dict[str, dict[str, Any]]:
    """Apply the area's pending commands in a worker thread if we can get the lease; return the results.

    Returns an empty mapping when another writer (the worker, another API process) holds the lease:
    it will apply our command, and the caller polls for the result.
    """
    writer = app.state.writer
    try:
        report = await anyio.to_thread.run_sync(writer.drain, area)
    except LostLease as exc:
        log.warning("drain of area %s gave way: %s", area, exc)
        return {}
    return report.results if report is not None else {}


async def run_command(app: FastAPI, area: str, stream: str, command: dict[str, Any]) -> tuple[str, dict | None]:
    """Append ``command`` to ``stream`` and return ``(entry_id, result)``; result None if still pending."""
    store = app.state.store
    command = {"at": clock(), "by": actor.get(), **command}  # a driver's event may say when it happened
    entry_id = await store.enqueue(stream, command)
    return entry_id, await await_result(app, area, entry_id)


async def await_result(app: FastAPI, area: str, entry_id: str) -> dict | None:
    results = await drain(app, area)
    if entry_id in results:
        return results[entry_id]
    settings = app.state.settings
    return await app.state.store.wait_result(app.state.keys.result(area, entry_id), settings.lock_wait_s)
