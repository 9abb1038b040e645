"""The online dispatcher of one service day: offers, insertion, the day's state, stop events, re-optimisation.

Built on the domain's plain objects (:mod:`dispatch.model`, :mod:`dispatch.problem`, :mod:`dispatch.rules`)
and on the solver (:mod:`dispatch.solver`). Names are imported lazily, like :mod:`dispatch`'s, so importing
one module of the core (``dispatch.online.windows``) does not pull in OR-Tools.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Dispatcher": "dispatch.online.dispatcher",
    "Fleet": "dispatch.online.fleet",
    "Placement": "dispatch.online.placement",
    "ExecutionEvents": "dispatch.online.execution",
    "InsertionParams": "dispatch.online.insertion",
    "BookingWindows": "dispatch.online.windows",
    "ReoptimisationResult": "dispatch.online.reoptimise",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dispatch.online' has no attribute {name!r}")
    return getattr(import_module(module), name)
