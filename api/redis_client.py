"""Redis connections of the API and the worker: a plain URL, or the primary found through Sentinel.

Two forms of ``REDIS_URL`` are understood:

``redis://[[user]:password@]host:port/db`` (or ``rediss://``, ``unix://``)
    One server, handed to redis-py's ``from_url`` unchanged.
``redis+sentinel://[[user]:password@]host:port[,host:port...]/service[/db][?options]``
    The sentinels to ask (comma-separated, port 26379 when left out), the monitored service's name and the
    database index (default 0). The user and password are those of the primary and replicas; the
    sentinels' own, if they need one, go in the ``sentinel_username`` / ``sentinel_password`` options.
    Example: ``redis+sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/kanra/0``.

With Sentinel every new connection asks the sentinels where the primary is now; a connection to a
primary that was demoted (it answers READONLY) is dropped and reported as a connection error, so the
API answers 503 with ``Retry-After`` during a failover and the worker waits, both until the sentinels
name the new primary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

import redis
import redis.asyncio as aioredis
import redis.asyncio.sentinel as aiosentinel
import redis.sentinel

SENTINEL_SCHEME = "redis+sentinel"
PLAIN_SCHEMES = ("redis", "rediss", "unix")
DEFAULT_SENTINEL_PORT = 26379
SENTINEL_OPTIONS = ("sentinel_username", "sentinel_password")


class RedisUrlError(ValueError):
    """``REDIS_URL`` cannot be read; the message says which part is wrong and what form is expected."""


@dataclass(frozen=True)
class RedisAddress:
    """Where the system of record lives.

    ``sentinels`` is empty for a plain URL (``url`` is then passed to redis-py as is); otherwise the
    (host, port) pairs of the sentinels, the ``service`` they monitor and the database index ``db``.
    """

    url: str
    sentinels: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_username: str | None = None
    sentinel_password: str | None = None

    @property
    def through_sentinel(self) -> bool:
        return bool(self.sentinels)

    def describe(self) -> str:
        """The address without secrets, for logs."""
        if not self.through_sentinel:
            return _masked(self.url)
        nodes = ",".join(f"{h}:{p}" for h, p in self.sentinels)
        return f"{SENTINEL_SCHEME}://{nodes}/{self.service}/{self.db}"


def parse_redis_url(url: str) -> RedisAddress:
    """Read ``REDIS_URL``; raise :class:`RedisUrlError` naming the wrong part."""
    if not url or not url.strip():
        raise RedisUrlError("REDIS_URL is empty: give redis://host:port/db or "
                            "redis+sentinel://host:port,host:port,host:port/service/db")
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise RedisUrlError(f"REDIS_URL={_masked(url)!r} has no scheme: expected redis://, rediss://, unix:// "
                            f"or {SENTINEL_SCHEME}://")
    scheme = scheme.lower()
    if scheme in PLAIN_SCHEMES:
        try:
            redis.ConnectionPool.from_url(url)  # redis-py's own checks (port, db, options)
        except ValueError as exc:
            raise RedisUrlError(f"REDIS_URL={_masked(url)!r}: {exc}") from None
        return RedisAddress(url=url)
    if scheme != SENTINEL_SCHEME:
        raise RedisUrlError(f"REDIS_URL scheme {scheme!r} is not one of redis, rediss, unix, {SENTINEL_SCHEME}")
    return _parse_sentinel(url, rest)


def _parse_sentinel(url: str, rest: str) -> RedisAddress:
    location, _, query = rest.partition("?")
    netloc, _, path = location.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    if not at:
        hosts, userinfo = netloc, ""
    username = password = None
    if userinfo:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon else None
        if not colon:  # redis://secret@host is read by redis-py as a user name: be explicit instead
            raise RedisUrlError("REDIS_URL: write the password as :password@ (or user:password@) before the sentinels")
    sentinels = tuple(_sentinel_node(node) for node in hosts.split(","))
    segments = path.strip("/").split("/")
    if not segments[0]:
        raise RedisUrlError("REDIS_URL: the service name is missing: "
                            f"{SENTINEL_SCHEME}://host:port,host:port/<service>/<db>")
    if len(segments) > 2:
        raise RedisUrlError(f"REDIS_URL: the path /{path} is not /<service>/<db>")
    service = unquote(segments[0])
    db = 0
    if len(segments) == 2:
        if not segments[1].isdigit():
            raise RedisUrlError(f"REDIS_URL: the database index {segments[1]!r} is not a whole number")
        db = int(segments[1])
    options = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    unknown = sorted(set(options) - set(SENTINEL_OPTIONS))
    if unknown:
        raise RedisUrlError(f"REDIS_URL: unknown option(s) {', '.join(unknown)}; known: {', '.join(SENTINEL_OPTIONS)}")
    return RedisAddress(url=url, sentinels=sentinels, service=service, db=db, username=username, password=password,
                        sentinel_username=options.get("sentinel_username") or None,
                        sentinel_password=options.get("sentinel_password") or None)


def _sentinel_node(node: str) -> tuple[str, int]:
    node = node.strip()
    if not node:
        raise RedisUrlError("REDIS_URL: an empty sentinel address (two commas, or none at all)")
    if node.startswith("["):  # [::1]:26379
        host, _, port_part = node[1:].partition("]")
        port_text = port_part.removeprefix(":")
    else:
        host, colon, port_text = node.rpartition(":")
        if not colon:
            host, port_text = node, ""
    if not host:
        raise RedisUrlError(f"REDIS_URL: sentinel {node!r} has no host")
    if port_text == "":
        return host, DEFAULT_SENTINEL_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise RedisUrlError(f"REDIS_URL: sentinel {node!r} has no valid port (1-65535)")
    return host, int(port_text)


def _masked(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, tail = rest.partition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{tail}"


def _sentinel_kwargs(address: RedisAddress, options: dict[str, Any]) -> dict[str, Any]:
    kwargs = {k: v for k, v in options.items() if k.startswith("socket_")}
    if address.sentinel_password:
        kwargs["password"] = address.sentinel_password
    if address.sentinel_username:
        kwargs["username"] = address.sentinel_username
    kwargs["decode_responses"] = True
    return kwargs


def _node_kwargs(address: RedisAddress, options: dict[str, Any]) -> dict[str, Any]:
    kwargs = {**options, "db": address.db}
    if address.password is not None:
        kwargs["password"] = address.password
    if address.username is not None:
        kwargs["username"] = address.username
    return kwargs


def sync_client(url: str, **options: Any) -> redis.Redis:
    """A synchronous client of the primary at ``url`` (either form); ``options`` as for ``redis.Redis``."""
    address = parse_redis_url(url)
    if not address.through_sentinel:
        return redis.Redis.from_url(address.url, **options)
    manager = redis.sentinel.Sentinel(list(address.sentinels), sentinel_kwargs=_sentinel_kwargs(address, options))
    return manager.master_for(address.service, **_node_kwargs(address, options))


def async_client(url: str, **options: Any) -> aioredis.Redis:
    """An asyncio client of the primary at ``url`` (either form); ``options`` as for ``redis.asyncio.Redis``."""
    address = parse_redis_url(url)
    if not address.through_sentinel:
        return aioredis.Redis.from_url(address.url, **options)
    manager = aiosentinel.Sentinel(list(address.sentinels), sentinel_kwargs=_sentinel_kwargs(address, options))
    return manager.master_for(address.service, **_node_kwargs(address, options))
