"""The append-only audit log: who changed what, when, with the state before and after.

One Redis stream, ``kt:audit``; the archiver moves entries older than its retention window into the
history's ``audit_entries`` (:mod:`api.history.audit_archive`) and only then trims them. Entries are
written by the area writer in the same transaction as the change they describe (bookings: created,
confirmed, declined, cancelled, modified, reassigned, pinned, unpinned), and by the API for staff
accounts and riders. Fields: ``at`` (Unix seconds of the service clock), ``who`` (account name or API
key label), ``action``, ``target`` (booking, rider or account id), ``ok``, ``before`` and ``after`` (JSON
summaries without passwords and without riders' names and phone numbers or any other personal field of a
rider, which are named as changed only).
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from api.timefmt import clock

#: Rider fields whose values the audit log keeps; every other field (name, kana, phones, home, stops,
#: notes, care notes, contacts...) is only named as changed.
RIDER_PLAIN = frozenset({"fare_class", "wheelchair", "municipality", "active", "registered_on", "no_show_count",
                         "late_cancel_count", "created_at", "updated_at"})


def stream_key(prefix: str) -> str:
    return f"{prefix}:audit"


def entry(who: str, action: str, target: str, before: Any = None, after: Any = None, ok: bool = True,
          at: float | None = None, **extra: Any) -> dict[str, str]:
    """The stream fields of one audit entry."""
    fields = {"at": repr(clock() if at is None else float(at)), "who": who or "unknown", "action": action,
              "target": target, "ok": "1" if ok else "0", "before": json.dumps(before, ensure_ascii=False),
              "after": json.dumps(after, ensure_ascii=False)}
    if extra:
        fields["detail"] = json.dumps(extra, ensure_ascii=False)
    return fields


def booking_summary(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """What an audit entry keeps of a booking record: state, vehicle, pin, time and the promise."""
    if record is None:
        return None
    offer = record.get("offer") or {}
    return {"status": record.get("status"), "vehicle_id": record.get("vehicle_id"),
            "pinned_to": record.get("pinned_to"), "requested_time": record.get("requested_time"),
            "seats": record.get("seats"), "wheelchairs": record.get("wheelchairs"),
            "pickup_window": offer.get("pickup_window"), "error": record.get("error")}


def rider_change(before: dict[str, Any] | None, after: dict[str, Any]) -> tuple[dict | None, dict]:
    """Before/after of a rider without personal data: other fields than :data:`RIDER_PLAIN` say ``changed``."""
    def plain(record: dict[str, Any] | None) -> dict[str, Any] | None:
        if record is None:
            return None
        return {k: v for k, v in record.items() if k in RIDER_PLAIN}

    out = plain(after) or {}
    for name in sorted(set(after) | set(before or {})):
        if name not in RIDER_PLAIN and name != "id" and (before is None or before.get(name) != after.get(name)):
            out[f"{name}_changed"] = True
    return plain(before), out


async def append(redis: Redis, prefix: str, fields: dict[str, str]) -> str:
    return await redis.xadd(stream_key(prefix), fields)


def decode(entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": entry_id, "at": float(fields["at"]), "who": fields["who"],
                           "action": fields["action"], "target": fields["target"], "ok": fields.get("ok") == "1",
                           "before": json.loads(fields.get("before", "null")),
                           "after": json.loads(fields.get("after", "null"))}
    if "detail" in fields:
        out["detail"] = json.loads(fields["detail"])
    return out


async def search(redis: Redis, prefix: str, *, who: str | None = None, action: str | None = None,
                 target: str | None = None, since: float | None = None, until: float | None = None,
                 limit: int = 100, scan: int = 50_000) -> list[dict[str, Any]]:
    """Newest first; filters are exact (``action`` may end in ``*`` for a prefix); scans at most ``scan``."""
    hi = "+" if until is None else str(int(until * 1000))
    lo = "-" if since is None else str(int(since * 1000))
    out: list[dict[str, Any]] = []
    seen = 0
    while seen < scan and len(out) < limit:
        batch = await redis.xrevrange(stream_key(prefix), max=hi, min=lo, count=500)
        if not batch:
            break
        for entry_id, fields in batch:
            seen += 1
            if who and fields.get("who") != who:
                continue
            if target and fields.get("target") != target:
                continue
            if action and not (fields.get("action") == action or
                               (action.endswith("*") and fields.get("action", "").startswith(action[:-1]))):
                continue
            out.append(decode(entry_id, fields))
            if len(out) >= limit:
                break
        last = batch[-1][0]
        ms, _, seq = last.partition("-")
        hi = f"{ms}-{int(seq) - 1}" if int(seq) > 0 else f"{int(ms) - 1}"
        if int(ms) <= 0 and int(seq) == 0:
            break
    return out
