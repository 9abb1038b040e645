"""One writer per service area: a Redis lease whose value is a fencing token.

The token comes from ``INCR`` on the area's fence counter, so a later holder always has a larger token.
A writer commits only inside ``WATCH lock`` + a check that the lock still holds its token, so a writer
whose lease expired (paused process, network partition) cannot overwrite a newer holder's state.
"""

from __future__ import annotations

import time

from redis import Redis

from api.keys import Keys

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class AreaLock:
    """The write lease of one service area (or the leader lease of the worker: same mechanics).

    Parameters
    ----------
    redis
        Synchronous client (``decode_responses=True``).
    key, fence_key
        Lock key and the counter fencing tokens are drawn from.
    ttl_ms
        Lease length in milliseconds; a holder that dies frees it after this long.
    """

    def __init__(self, redis: Redis, key: str, fence_key: str, ttl_ms: int, holder: str = "") -> None:
        self.redis = redis
        self.key = key
        self.fence_key = fence_key
        self.ttl_ms = ttl_ms
        self.holder = holder  # stored with the token (``holder#token``) so operators see who holds it
        self._release = redis.register_script(_RELEASE)
        self._extend = redis.register_script(_EXTEND)

    @classmethod
    def writer(cls, redis: Redis, keys: Keys, area: str, ttl_ms: int, holder: str = "") -> AreaLock:
        return cls(redis, keys.lock(area), keys.fence(area), ttl_ms, holder)

    @classmethod
    def leader(cls, redis: Redis, keys: Keys, area: str, ttl_ms: int, holder: str = "") -> AreaLock:
        return cls(redis, keys.leader(area), keys.fence(area), ttl_ms, holder)

    def value(self, token: int) -> str:
        """What the lease key holds while ``token`` has it."""
        return f"{self.holder}#{token}" if self.holder else str(token)

    def try_acquire(self) -> int | None:
        """Take the lease now if it is free; return the fencing token, or None."""
        token = int(self.redis.incr(self.fence_key))
        if self.redis.set(self.key, self.value(token), nx=True, px=self.ttl_ms):
            return token
        return None

    def acquire(self, wait_s: float) -> int | None:
        """Take the lease, waiting up to ``wait_s`` seconds; return the fencing token, or None."""
        deadline = time.monotonic() + wait_s
        pause = 0.002
        while True:
            token = self.try_acquire()
            if token is not None:
                return token
            if time.monotonic() >= deadline:
                return None
            time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.05)

    def extend(self, token: int) -> bool:
        """Renew a lease we hold; False if it is no longer ours."""
        return bool(self._extend(keys=[self.key], args=[self.value(token), self.ttl_ms]))

    def release(self, token: int) -> bool:
        """Give the lease back if it is still ours."""
        return bool(self._release(keys=[self.key], args=[self.value(token)]))

    def current(self) -> str | None:
        """The lease key's value now (None when free)."""
        return self.redis.get(self.key)
