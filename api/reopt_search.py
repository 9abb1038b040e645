"""Re-optimisation searches in a child process, so the worker keeps applying commands while OR-Tools runs.

An OR-Tools search holds its process's interpreter lock for the whole time limit. Run in the worker's own
loop, every command sent through the worker (bookings taken with ``mode=async``, commands whose API call
timed out, driver events) would wait for it. :class:`SearchPool` runs each search in one forked child that
shares the worker's loaded world (road network, timetables): the child restores the day's committed
snapshot, searches, and hands back only the visit orders it found; the worker then publishes them with
:meth:`api.writer.AreaWriter.finish_reoptimise` if they still fit the plans as they are by then
(:meth:`dispatch.online.dispatcher.Dispatcher.refit`).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

_world: Any = None  # the worker's World, inherited by the forked child


@dataclass(frozen=True)
class Searched:
    """What a child's search came to: the engine's result, and the visit orders when it found a better plan."""

    result: Any  # dispatch.online.reoptimise.ReoptimisationResult
    orders: dict[str, list[tuple[str, str]]] | None


def _adopt_world(world: Any) -> None:
    global _world
    _world = world


def search_day(data: dict[str, Any], trips: dict[str, Any] | None, day: str, now: int,
               time_limit_s: float) -> Searched:
    """In the child: restore the committed day, re-optimise it within ``time_limit_s`` seconds from ``now``."""
    engine = _world.restore_engine(data, trips, day)
    result = engine.reoptimise(now, time_limit_s=time_limit_s)
    return Searched(result, engine.dispatcher.planned_orders() if result.published else None)


class SearchPool:
    """One child process for re-optimisation searches, forked from the worker once its world is loaded."""

    def __init__(self, world: Any) -> None:
        # fork: the child starts with the world in memory (initargs are not pickled); it is forked at the first
        # submit, before the executor's own thread starts
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_adopt_world, initargs=(world,))

    def submit(self, data: dict[str, Any], trips: dict[str, Any] | None, day: str, now: int,
               time_limit_s: float) -> Future:
        return self._pool.submit(search_day, data, trips, day, now, time_limit_s)

    @property
    def broken(self) -> bool:
        """The child died (its searches fail): the pool must be replaced."""
        return bool(getattr(self._pool, "_broken", False))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
