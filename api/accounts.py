"""Staff accounts: passwords hashed with argon2id, sessions with expiry, lock-out after failed logins.

Each member of staff logs in with their own account (``POST /auth/login``), so the audit log can say who
did what; API keys stay for machine clients. Nothing secret is stored in clear: the password only as an
argon2id hash (argon2-cffi), the session token only as its SHA-256 (the token itself is shown once, to the
caller who logged in). A disabled account is refused at once: its sessions are deleted, and every request
re-reads the account.

Redis: ``kt:account:{name}`` (JSON), ``kt:accounts`` (set of names), ``kt:session:{sha256}`` (JSON, TTL =
session length), ``kt:account-sessions:{name}`` (set of session digests), ``kt:login-failures:{name}``
(counter, TTL = lock-out window).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from api.keys import Keys

SESSION_PREFIX = "s_"  # a session token starts so; an API key never does
MIN_PASSWORD = 10
_HASHER = PasswordHasher()  # argon2id with the library's current parameters


@dataclass(frozen=True)
class Policy:
    """Session length and lock-out: ``max_failures`` wrong passwords within ``lockout_s`` lock the account
    for the rest of that window (seconds)."""

    session_ttl_s: int = 12 * 3600
    max_failures: int = 5
    lockout_s: int = 15 * 60


class LoginRefused(Exception):
    """Wrong name or password, a disabled or locked account; ``retry_after_s`` is set when locked."""

    def __init__(self, reason: str, retry_after_s: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public(account: dict[str, Any]) -> dict[str, Any]:
    """An account as the admin screens show it (no hash)."""
    return {k: v for k, v in account.items() if k != "password_hash"}


class Accounts:
    """Account and session records in Redis."""

    def __init__(self, redis: Redis, keys: Keys, policy: Policy | None = None) -> None:
        self.redis = redis
        self.keys = keys
        self.policy = policy or Policy()

    def _key(self, name: str) -> str:
        return f"{self.keys.prefix}:account:{name}"

    def _sessions_of(self, name: str) -> str:
        return f"{self.keys.prefix}:account-sessions:{name}"

    def _session(self, digest: str) -> str:
        return f"{self.keys.prefix}:session:{digest}"

    def _failures(self, name: str) -> str:
        return f"{self.keys.prefix}:login-failures:{name}"

    # ------------------------------------------------------------------ accounts
    async def get(self, name: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._key(name))
        return json.loads(raw) if raw else None

    async def all(self) -> list[dict[str, Any]]:
        names = sorted(await self.redis.smembers(f"{self.keys.prefix}:accounts"))
        raws = await self.redis.mget([self._key(n) for n in names]) if names else []
        return [public(json.loads(r)) for r in raws if r]

    async def create(self, name: str, password: str, role: str, municipality: str | None,
                     vehicle_id: str | None) -> dict[str, Any] | None:
        """A new account; None if the name is taken."""
        now = time.time()
        account = {"name": name, "role": role, "municipality": municipality, "vehicle_id": vehicle_id,
                   "disabled": False, "password_hash": hash_password(password), "created_at": now,
                   "updated_at": now}
        if not await self.redis.set(self._key(name), json.dumps(account, ensure_ascii=False), nx=True):
            return None
        await self.redis.sadd(f"{self.keys.prefix}:accounts", name)
        return public(account)

    async def update(self, name: str, **changes: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Change fields (``password`` is hashed); returns (before, after) without hashes, None if no account."""
        account = await self.get(name)
        if account is None:
            return None
        before = public(account)
        reset = "password" in changes
        if reset:
            account["password_hash"] = hash_password(changes.pop("password"))
        account.update(changes, updated_at=time.time())
        await self.redis.set(self._key(name), json.dumps(account, ensure_ascii=False))
        if account.get("disabled") or reset:  # a disabled or reset account's sessions end now
            await self.end_sessions(name)
        after = public(account)
        if reset:
            after["password"] = "reset"  # the audit says that it changed, never what to
        return before, after

    async def unlock(self, name: str) -> None:
        await self.redis.delete(self._failures(name))

    # ------------------------------------------------------------------ sessions
    async def login(self, name: str, password: str) -> tuple[str, dict[str, Any]]:
        """Check the password; returns (token, session). Raises :class:`LoginRefused`."""
        failures = int(await self.redis.get(self._failures(name)) or 0)
        if failures >= self.policy.max_failures:
            ttl = await self.redis.ttl(self._failures(name))
            raise LoginRefused(f"too many failed logins: the account is locked for {max(1, ttl // 60)} min",
                               retry_after_s=max(1, ttl))
        account = await self.get(name)
        ok = False
        if account is not None:
            try:
                ok = _HASHER.verify(account["password_hash"], password)
            except (VerificationError, InvalidHashError):
                ok = False
        else:
            _HASHER.hash(password)  # the same work for an unknown name: no timing hint that it does not exist
        if not ok:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(self._failures(name))
                pipe.expire(self._failures(name), self.policy.lockout_s, nx=True)
                await pipe.execute()
            raise LoginRefused("wrong name or password")
        if account.get("disabled"):
            raise LoginRefused("this account is disabled")
        await self.redis.delete(self._failures(name))
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        digest = _digest(token)
        now = time.time()
        session = {"name": name, "role": account["role"], "municipality": account.get("municipality"),
                   "vehicle_id": account.get("vehicle_id"), "created_at": now,
                   "expires_at": now + self.policy.session_ttl_s}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self._session(digest), json.dumps(session, ensure_ascii=False), ex=self.policy.session_ttl_s)
            pipe.sadd(self._sessions_of(name), digest)
            pipe.expire(self._sessions_of(name), self.policy.session_ttl_s)
            await pipe.execute()
        return token, session

    async def session(self, token: str) -> dict[str, Any] | None:
        """The live session of ``token`` whose account is still enabled; None otherwise."""
        raw = await self.redis.get(self._session(_digest(token)))
        if raw is None:
            return None
        session = json.loads(raw)
        account = await self.get(session["name"])
        if account is None or account.get("disabled"):
            return None
        return {**session, "role": account["role"], "vehicle_id": account.get("vehicle_id"),
                "municipality": account.get("municipality")}

    async def logout(self, token: str) -> None:
        digest = _digest(token)
        raw = await self.redis.get(self._session(digest))
        await self.redis.delete(self._session(digest))
        if raw:
            await self.redis.srem(self._sessions_of(json.loads(raw)["name"]), digest)

    async def end_sessions(self, name: str) -> int:
        digests = await self.redis.smembers(self._sessions_of(name))
        if digests:
            await self.redis.delete(*[self._session(d) for d in digests])
        await self.redis.delete(self._sessions_of(name))
        return len(digests)
