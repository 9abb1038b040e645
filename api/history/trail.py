"""A booking's trail: each command applied to it and each status change, kept in its Redis record by the
area's writer (in the same commit as the change) and archived as ``booking_status_changes``.

Nothing but the standard library and the service clock: the writer imports this on its hot path.
"""

from __future__ import annotations

from typing import Any

from api.timefmt import clock

#: Most trail entries kept per booking (a booking is changed a handful of times; this bounds a runaway).
MAX_ENTRIES = 200


def _append(record: dict[str, Any], entry: dict[str, Any]) -> None:
    trail = record.setdefault("trail", [])
    if len(trail) < MAX_ENTRIES:
        trail.append(entry)


def note_command(record: dict[str, Any], command: dict[str, Any], outcome: Any) -> None:
    """A command was applied to the booking: its op, when it was taken, whether it succeeded and why not."""
    rejection = getattr(outcome, "rejection", None) or {}
    cancellation = command.get("cancellation") or {}
    reason = (command.get("reason") or cancellation.get("reason") or getattr(outcome, "error", None)
              or rejection.get("reason"))
    _append(record, {"at": command.get("at"), "op": command["op"], "ok": bool(outcome.ok), "reason": reason})
    status = outcome.record_changes.get("status")
    if status:  # a refusal: the booking never enters the dispatcher's books, so no status change follows
        _append(record, {"at": command.get("at"), "status": status, "reason": rejection.get("reason")})


def note_status(record: dict[str, Any], status: str, vehicle_id: str | None, at: float | None = None) -> None:
    """The writer committed a new status (after a command, a re-optimisation or a lapsed hold).

    ``at``: when the command that caused it was taken (Unix seconds); None for the engine's own changes
    (a re-optimisation, a lapsed hold), which happen now.
    """
    trail = record.get("trail") or []
    if trail and trail[-1].get("status") == status and "op" not in trail[-1]:
        return  # already noted with the command that caused it (a refusal)
    _append(record, {"at": clock() if at is None else at, "status": status, "vehicle_id": vehicle_id})
