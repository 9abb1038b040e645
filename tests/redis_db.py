"""Real Redis databases for tests: one index per suite, reachable or skipped, flushed around each use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

#: The test Redis server (no db index); ``KANRA_TEST_REDIS`` points the suite at another one, e.g. a private
#: server per checkout so that two suites on one machine never flush each other's databases.
TEST_REDIS = os.environ.get("KANRA_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")


def redis_url(db: int) -> str:
    """The URL of database ``db`` on the test Redis server."""
    return f"{TEST_REDIS}/{db}"


def connect(url: str) -> redis.Redis:
    """A client for ``url``; skips the test with a hint when no Redis answers."""
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        client.close()
        pytest.skip(f"no Redis at {TEST_REDIS}: start one with `make redis`")
    return client


@contextmanager
def flushed(client: redis.Redis) -> Iterator[redis.Redis]:
    """The client's database emptied before and after the block."""
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()


@contextmanager
def fresh_db(url: str) -> Iterator[redis.Redis]:
    """A connection to ``url`` whose database is empty during the block, closed afterwards."""
    client = connect(url)
    try:
        with flushed(client):
            yield client
    finally:
        client.close()
