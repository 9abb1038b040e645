"""Fixtures of the API tests: the real Redis on 127.0.0.1:6379 (db 12, emptied before and after), the
regional network (loaded once), and an in-process app with one key per role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import parse_api_keys
from api.settings import Settings
from api.world import World
from tests.redis_db import connect, flushed, redis_url

REDIS_DB = 12
REDIS_URL = redis_url(REDIS_DB)
KEYS = {
    "operator": "op-key-123",
    "dispatcher": "disp-key-123",
    "driver": "drv-key-123",
    "planner": "plan-key-123",
    "admin": "admin-key-123",
}
DRIVER_VEHICLE = "tomioka-1"


def key_header(role: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[role]}


def tomorrow() -> str:
    from api.timefmt import now_jst

    return (now_jst().date() + timedelta(days=1)).isoformat()


def at(day: str, hhmm: str) -> str:
    date.fromisoformat(day)
    return f"{day}T{hhmm}:00+09:00"


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    client = connect(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def clean_redis(redis_client: redis.Redis) -> Iterator[redis.Redis]:
    with flushed(redis_client):
        yield redis_client


@pytest.fixture(scope="session")
def settings() -> Settings:
    entries = [f"{KEYS[r]}:{r}" + (f":{DRIVER_VEHICLE}" if r == "driver" else "") for r in KEYS]
    return Settings(redis_url=REDIS_URL, api_keys=parse_api_keys(entries), key_prefix="kt-test",
                    lock_wait_s=3.0, reopt_time_limit_s=1.0)


@pytest.fixture(scope="session")
def world(settings: Settings) -> World:
    return World.from_settings(settings)


@pytest.fixture
def client(settings: Settings, world: World, clean_redis: redis.Redis) -> Iterator[TestClient]:
    with TestClient(create_app(settings, world)) as test_client:
        yield test_client
