"""Real Redis databases for tests: one index per suite, reachable or skipped, flushed around each use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis


def connect(url: str) -> redis.Redis:
    """A client for ``url``; skips the test with a hint when no Redis answers."""
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        client.close()
        pytest.skip("no Redis on 127.0.0.1:6379: start one with `make redis`")
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
