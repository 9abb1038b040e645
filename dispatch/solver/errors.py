"""Errors the solver raises instead of returning a solution it cannot stand behind."""

from __future__ import annotations


class SolverFailed(RuntimeError):
    """No valid solution serving every required request was found, and there was no valid initial one.

    ``reasons`` maps request ids to why they could not be placed, where that is known.
    """

    def __init__(self, message: str, reasons: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.reasons = dict(reasons or {})
