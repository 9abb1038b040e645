"""Driver events sent with an ``Idempotency-Key``: a retried tap is put on the stream once.

The driver's phone sends every stop event with a key of its own and retries with the same key when the
network drops. One Lua script checks the key and appends the command atomically, so two copies of one tap
(the first one's answer lost, the retry sent) become one command; the retry gets the first one's result.
``kt:idem-event:{vehicle}:{key}`` holds ``<stream entry id>|<sha-256 of the event>`` for ``ttl_s``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from redis.asyncio import Redis

_APPEND_ONCE = """
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
local id = redis.call('XADD', KEYS[2], '*', 'cmd', ARGV[1])
redis.call('SET', KEYS[1], id .. '|' .. ARGV[3], 'EX', ARGV[2])
return {1, id}
"""


def fingerprint(event: dict[str, Any]) -> str:
    """A digest of what the driver reported (not when the server received it)."""
    return hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()[:32]


async def append_once(redis: Redis, key: str, stream: str, command: dict[str, Any], digest: str,
                      ttl_s: int) -> tuple[str, bool, bool]:
    """Append ``command`` unless ``key`` was used; returns ``(entry_id, created, same_event)``."""
    created, value = await redis.eval(_APPEND_ONCE, 2, key, stream, json.dumps(command), ttl_s, digest)
    if int(created) == 1:
        return value, True, True
    entry_id, _, seen = value.partition("|")
    return entry_id, False, seen == digest
