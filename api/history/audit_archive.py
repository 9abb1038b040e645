"""The staff audit log (``kt:audit``) behind the retention window: moved into ``audit_entries``, then trimmed.

The log is append-only in Redis (:mod:`api.audit`): the area writers add an entry for every booking command
and the API one for every change of a rider or a staff account. Left alone it grows with every booking for
as long as the service runs, so the archiver moves the entries older than its retention window into the
history, in stream order and in chunks: each chunk is inserted (an entry already there is left as it is, so
a second run changes nothing), checked to be all there, and only then cut from Redis (``XTRIM MINID`` up to
just past the chunk's last entry). A kill between the insert and the cut leaves entries in both; the next
run finds them stored and cuts them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from sqlalchemy import Engine, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api import audit
from api.history.models import AuditEntry
from api.history.redis_day import _after


class AuditNotStored(RuntimeError):
    """PostgreSQL does not hold audit entries just written: nothing of them is trimmed."""


def _json(raw: str | None) -> Any:
    return None if raw is None else json.loads(raw)


def _row(entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    return {"entry_id": entry_id, "at": datetime.fromtimestamp(float(fields.get("at", 0)), UTC),
            "who": fields.get("who", "")[:120], "action": fields.get("action", "")[:60],
            "target": fields.get("target", "")[:120], "ok": fields.get("ok", "1") == "1",
            "before": _json(fields.get("before")), "after": _json(fields.get("after")),
            "detail": _json(fields.get("detail"))}


def archive_audit(redis: Redis, prefix: str, engine: Engine, before_epoch: float, chunk: int = 1000,
                  step: Callable[[str], None] | None = None) -> int:
    """Move the audit entries written before ``before_epoch`` (Unix seconds, their ``at``) into the history
    and trim them from Redis; returns how many were moved. Stops at the first newer entry (the log is in
    time order; an entry out of order waits for the next run)."""
    stream = audit.stream_key(prefix)
    moved = 0
    while True:
        batch = redis.xrange(stream, min="-", count=chunk)
        take = []
        for entry_id, fields in batch:
            if float(fields.get("at", 0)) >= before_epoch:
                break
            take.append((entry_id, fields))
        if not take:
            return moved
        ids = [entry_id for entry_id, _ in take]
        with Session(engine) as session, session.begin():
            session.execute(insert(AuditEntry).values([_row(i, f) for i, f in take])
                            .on_conflict_do_nothing(index_elements=["entry_id"]))
        if step is not None:
            step("audit_written")
        with Session(engine) as session:
            found = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entry_id.in_(ids)))
        if found != len(ids):
            raise AuditNotStored(f"audit log: {found} of {len(ids)} entries found in PostgreSQL after writing them")
        redis.xtrim(stream, minid=_after(ids[-1]), approximate=False)
        moved += len(take)
        if len(take) < len(batch) or len(batch) < chunk:
            return moved
