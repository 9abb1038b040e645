"""REDIS_URL forms: a plain server, or the primary found through Sentinel; bad URLs are clear SettingsErrors."""

from __future__ import annotations

import pytest
import redis.asyncio.sentinel as aiosentinel
import redis.sentinel

from api.redis_client import RedisUrlError, async_client, parse_redis_url, sync_client
from api.settings import Settings, SettingsError

THREE = "redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,sentinel-c/kanra/3"


def test_sentinel_url_names_the_sentinels_the_service_and_the_db() -> None:
    address = parse_redis_url(THREE)
    assert address.through_sentinel
    assert address.sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26380), ("sentinel-c", 26379))
    assert (address.service, address.db) == ("kanra", 3)
    assert address.password is None and address.sentinel_password is None


def test_sentinel_url_passwords_of_the_nodes_and_of_the_sentinels() -> None:
    address = parse_redis_url("redis+sentinel://app:s%40cret@[::1]:5000,127.0.0.1:5001/kt-main"
                              "?sentinel_password=watch")
    assert address.sentinels == (("::1", 5000), ("127.0.0.1", 5001))
    assert (address.username, address.password) == ("app", "s@cret")
    assert (address.service, address.db) == ("kt-main", 0)
    assert address.sentinel_password == "watch"
    assert "s@cret" not in address.describe() and "watch" not in address.describe()


def test_plain_url_is_left_to_redis_py() -> None:
    address = parse_redis_url("redis://:pw@127.0.0.1:6390/4")
    assert not address.through_sentinel
    assert address.url == "redis://:pw@127.0.0.1:6390/4"
    assert "pw" not in address.describe()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("127.0.0.1:6379", "no scheme"),
        ("http://127.0.0.1:6379/0", "not one of"),
        ("redis+sentinel://127.0.0.1:26379", "service name is missing"),
        ("redis+sentinel://127.0.0.1:26379/", "service name is missing"),
        ("redis+sentinel://127.0.0.1:26379/kanra/zero", "not a whole number"),
        ("redis+sentinel://127.0.0.1:26379/kanra/0/extra", "not /<service>/<db>"),
        ("redis+sentinel://127.0.0.1:26379,,127.0.0.1:26380/kanra", "empty sentinel"),
        ("redis+sentinel://127.0.0.1:port/kanra", "valid port"),
        ("redis+sentinel://127.0.0.1:70000/kanra", "valid port"),
        ("redis+sentinel://:26379/kanra", "no host"),
        ("redis+sentinel://secret@127.0.0.1:26379/kanra", ":password@"),
        ("redis+sentinel://127.0.0.1:26379/kanra?socket_timeout=1", "unknown option"),
        ("redis://127.0.0.1:sixty/0", "REDIS_URL"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(RedisUrlError, match=message):
        parse_redis_url(url)
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"REDIS_URL": url})


def test_bad_url_message_hides_the_password() -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"REDIS_URL": "redis://:hunter2@127.0.0.1:sixty/0"})
    assert "hunter2" not in str(info.value)


def test_wait_for_replicas_is_on_through_sentinel_and_off_for_one_server() -> None:
    assert Settings.from_env({"REDIS_URL": THREE}).redis_wait_replicas == 1
    assert Settings.from_env({"REDIS_URL": "redis://127.0.0.1:6379/0"}).redis_wait_replicas == 0
    tuned = Settings.from_env({"REDIS_URL": THREE, "KANRA_REDIS_WAIT_REPLICAS": "2", "KANRA_REDIS_WAIT_MS": "250"})
    assert (tuned.redis_wait_replicas, tuned.redis_wait_ms) == (2, 250)
    assert Settings.from_env({"REDIS_URL": THREE, "KANRA_REDIS_WAIT_REPLICAS": "0"}).redis_wait_replicas == 0
    with pytest.raises(SettingsError, match="KANRA_REDIS_WAIT_MS=0 would wait for ever"):
        Settings.from_env({"KANRA_REDIS_WAIT_REPLICAS": "1", "KANRA_REDIS_WAIT_MS": "0"})
    with pytest.raises(SettingsError, match="KANRA_REDIS_WAIT_REPLICAS"):
        Settings.from_env({"KANRA_REDIS_WAIT_REPLICAS": "one"})


def test_clients_through_sentinel_are_sentinel_managed() -> None:
    """No connection is opened here: redis-py connects lazily, asking the sentinels first."""
    client = sync_client(THREE, decode_responses=True, socket_timeout=1)
    pool = client.connection_pool
    assert isinstance(pool, redis.sentinel.SentinelConnectionPool)
    assert pool.service_name == "kanra" and pool.connection_kwargs["db"] == 3
    assert [s.connection_pool.connection_kwargs["port"] for s in pool.sentinel_manager.sentinels] == [
        26379, 26380, 26379]
    aclient = async_client(THREE, decode_responses=True)
    assert isinstance(aclient.connection_pool, aiosentinel.SentinelConnectionPool)
    plain = sync_client("redis://127.0.0.1:6390/2")
    assert plain.connection_pool.connection_kwargs["port"] == 6390
