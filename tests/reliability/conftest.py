"""Fixtures of the reliability tests.

In-process tests use the shared Redis on 127.0.0.1:6379, db 13 (emptied before and after). Fault and
scale-out tests start a Redis of their own (``config/redis.conf``, AOF on, data in the test's temporary
folder, a free port) and real ``python -m api`` / ``python -m api.worker`` processes; the harness lives in
``scripts/reliability`` (shared with ``benchmarks/soak.py``).
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from tests.redis_db import connect, flushed, redis_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from reliability.stack import RedisServer  # noqa: E402

from api.app import create_app  # noqa: E402
from api.auth import parse_api_keys  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.timefmt import now_jst  # noqa: E402
from api.world import World  # noqa: E402

REDIS_DB = 13
REDIS_URL = redis_url(REDIS_DB)
DRIVER_VEHICLE = "tomioka-1"


def day_after(days: int = 1) -> str:
    return (now_jst().date() + timedelta(days=days)).isoformat()


def at(day: str, hhmm: str) -> str:
    return f"{day}T{hhmm}:00+09:00"


class Credentials:
    """Fresh random API keys for one test run, one per role (handed to processes via the environment only)."""

    def __init__(self) -> None:
        self.keys = {role: f"{role}-{secrets.token_hex(12)}" for role in
                     ("operator", "dispatcher", "driver", "planner", "admin")}

    def header(self, role: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]}

    @property
    def env_value(self) -> str:
        return ",".join(f"{key}:{role}" + (f":{DRIVER_VEHICLE}" if role == "driver" else "")
                        for role, key in self.keys.items())


@pytest.fixture(scope="session")
def credentials() -> Credentials:
    return Credentials()


@pytest.fixture(scope="session")
def shared_redis() -> Iterator[redis.Redis]:
    client = connect(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def clean_redis(shared_redis: redis.Redis) -> Iterator[redis.Redis]:
    with flushed(shared_redis):
        yield shared_redis


@pytest.fixture(scope="session")
def settings(credentials: Credentials) -> Settings:
    return Settings(redis_url=REDIS_URL, api_keys=parse_api_keys(credentials.env_value.split(",")),
                    key_prefix="kt-rel", lock_wait_s=3.0, reopt_time_limit_s=0.5)


@pytest.fixture(scope="session")
def world(settings: Settings) -> World:
    return World.from_settings(settings)


@pytest.fixture
def client(settings: Settings, world: World, clean_redis: redis.Redis) -> Iterator[TestClient]:
    with TestClient(create_app(settings, world), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own (production config, AOF on) on a free loopback port."""
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


def stack_env(credentials: Credentials, redis_url: str, prefix: str = "kt", **extra: str) -> dict[str, str]:
    """Environment of an API or worker process: the only way secrets reach them."""
    return {"REDIS_URL": redis_url, "KANRA_API_KEYS": credentials.env_value, "KANRA_KEY_PREFIX": prefix,
            "KANRA_LOCK_TTL_MS": "3000", "KANRA_REOPT_INTERVAL_S": "3600", "KANRA_LOG_LEVEL": "info", **extra}
