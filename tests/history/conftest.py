"""Fixtures of the history tests: a migrated PostgreSQL database of their own, the regional network, and a
real service day made through the API (restored into the tests' Redis db before each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine

from api.history.migrate import upgrade
from api.history.settings import HistorySettings
from api.history.store import connect
from api.world import World
from tests.redis_db import connect as redis_connect
from tests.redis_db import redis_url

from .day import REDIS_DB, MadeDay, make_in_redis, restore, settings
from .pg import fresh_database


@pytest.fixture(scope="session")
def world() -> World:
    return World.from_settings(settings())


@pytest.fixture
def history_db() -> Iterator[str]:
    with fresh_database("kanra_test_history") as url:
        upgrade(url)
        yield url


@pytest.fixture
def history_engine(history_db: str) -> Iterator[Engine]:
    engine = connect(history_db)
    yield engine
    engine.dispose()


@pytest.fixture
def history_settings(history_db: str) -> HistorySettings:
    return HistorySettings(url=history_db, retention_days=7, rider_secret="test-secret")


@pytest.fixture(scope="session")
def made_day(world: World) -> Iterator[tuple[MadeDay, dict]]:
    redis_connect(redis_url(REDIS_DB)).close()  # skip early without Redis
    made, dump = make_in_redis(world)
    yield made, dump
    redis.Redis.from_url(redis_url(REDIS_DB)).flushdb()


@pytest.fixture
def day_redis(made_day: tuple[MadeDay, dict]) -> Iterator[tuple[MadeDay, redis.Redis]]:
    made, dump = made_day
    restore(dump)
    client = redis.Redis.from_url(redis_url(REDIS_DB), decode_responses=True)
    yield made, client
    client.close()
