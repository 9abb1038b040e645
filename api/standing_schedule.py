"""The worker's standing-booking schedule (定期予約): occurrences become bookings without any page open.

Every ``KANRA_STANDING_INTERVAL_S`` seconds (default 600; 0 turns it off), and once when the worker
starts, the worker books every occurrence of every active series that has entered the booking horizon,
exactly as ``POST /standing-bookings/materialise`` does (the desk page still calls that on opening).

Several workers may run the schedule: a pass takes the slot key
``<prefix>:standing:run:<date>:<slot>`` (SET NX, ``slot`` = Unix time // interval), so one worker scans
per interval and date; and each series is materialised under its own lock (see
:func:`api.routers.standing.materialise`), so a desk page materialising at the same moment never books
an occurrence twice. A series that fails (its rider was deactivated, a place is no longer served) is
logged and skipped; the others are still booked.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping

import redis
from starlette.requests import Request

from api.auth import ApiKey, Role, actor
from api.errors import ApiError
from api.keys import Keys
from api.settings import Settings, SettingsError
from api.timefmt import today
from api.world import World

log = logging.getLogger("api.standing_schedule")

DEFAULT_INTERVAL_S = 600.0
#: Who the bookings of the schedule are taken by (records' ``taken_by``, call-back entries, audit).
SCHEDULE_PRINCIPAL = ApiKey(role=Role.OPERATOR, name="定期予約 (worker)")


async def materialise_due(settings: Settings, world: World) -> dict[str, int]:
    """Book what has entered the horizon for every series; ``{"series", "placed", "failed"}``.

    Runs the API's own materialisation in an app of this process (its Redis clients and writer), so
    the bookings go through the same intake, idempotency keys and write lease as a desk's.
    """
    from api.app import create_app  # the app imports the routers; the worker needs them only here
    from api.routers.standing import _index, _load, materialise

    app = create_app(settings, world)
    request = Request({"type": "http", "app": app, "method": "POST", "path": "/standing-bookings/materialise",
                       "headers": [], "query_string": b""})
    marker = actor.set(SCHEDULE_PRINCIPAL.name)
    try:
        async with app.router.lifespan_context(app):
            ids = sorted(await app.state.redis.smembers(_index(request)))
            placed = failed = 0
            for series_id in ids:
                try:
                    placed += await materialise(request, await _load(request, series_id), SCHEDULE_PRINCIPAL)
                except ApiError as exc:
                    failed += 1
                    log.warning("standing booking %s not materialised: %s %s", series_id, exc.field, exc.reason)
    finally:
        actor.reset(marker)
    return {"series": len(ids), "placed": placed, "failed": failed}


class StandingSchedule:
    """Runs :func:`materialise_due` at start and then every ``interval_s`` seconds, one worker per slot.

    Parameters
    ----------
    client
        The worker's Redis client (takes the slot key).
    interval_s
        Seconds between passes (> 0).
    clock
        Unix time in seconds (tests move it).
    """

    def __init__(self, client: redis.Redis, settings: Settings, world: World, interval_s: float,
                 name: str = "worker", clock: Callable[[], float] = time.time) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.redis, self.settings, self.world = client, settings, world
        self.keys = Keys(settings.key_prefix)
        self.interval_s, self.name, self.clock = interval_s, name, clock
        self.next_at = 0.0  # the first tick runs at once

    def tick(self) -> dict[str, int] | None:
        """Run a pass if one is due and no other worker ran this slot; its counts, else None."""
        now = self.clock()
        if now < self.next_at:
            return None
        self.next_at = now + self.interval_s
        slot = self.keys.standing_run(today(), int(now // self.interval_s))
        if not self.redis.set(slot, self.name, nx=True, ex=max(60, int(2 * self.interval_s))):
            return None  # another worker took this slot
        began = time.monotonic()
        try:
            result = asyncio.run(materialise_due(self.settings, self.world))
        except redis.exceptions.RedisError:
            raise  # the worker's loop waits for Redis and retries
        except Exception:  # a fault here must not stop the worker applying bookings; the next slot retries
            log.exception("定期予約の予約処理に失敗しました (standing-booking pass failed)")
            return None
        log.info("定期予約: %d series, %d occurrence(s) booked, %d failed in %.1f s (standing bookings)",
                 result["series"], result["placed"], result["failed"], time.monotonic() - began)
        return result


def schedule_from_env(client: redis.Redis, settings: Settings, world: World, name: str = "worker",
                      env: Mapping[str, str] | None = None) -> StandingSchedule | None:
    """The schedule of ``KANRA_STANDING_INTERVAL_S`` (seconds, default 600; 0: none)."""
    raw = (os.environ if env is None else env).get("KANRA_STANDING_INTERVAL_S", "").strip()
    try:
        interval = float(raw) if raw else DEFAULT_INTERVAL_S
    except ValueError:
        raise SettingsError(f"KANRA_STANDING_INTERVAL_S={raw!r}: 秒数で指定してください（0 で停止）"
                            " / give seconds (0 turns the schedule off)") from None
    if interval < 0 or interval != interval:
        raise SettingsError(f"KANRA_STANDING_INTERVAL_S={raw!r}: 0 以上の秒数にしてください"
                            " / must be 0 or more seconds")
    return None if interval == 0 else StandingSchedule(client, settings, world, interval, name=name)
