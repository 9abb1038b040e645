import pytest

from api.auth import Role, parse_api_keys
from api.settings import Settings, SettingsError


def test_keys_and_areas_from_environment(tmp_path):
    keys_file = tmp_path / "keys"
    keys_file.write_text("# staff\nfile-key:planner\n", encoding="utf-8")
    env = {
        "REDIS_URL": "redis://127.0.0.1:6379/5",
        "KANRA_API_KEYS": "a1:operator, d1:driver:kanra-1",
        "KANRA_API_KEYS_FILE": str(keys_file),
        "KANRA_AREAS": "west=10382,10383;east=10210,10384",
        "KANRA_LOCK_WAIT_S": "0.5",
    }
    s = Settings.from_env(env)
    assert s.redis_url.endswith("/5")
    assert s.api_keys["a1"].role is Role.OPERATOR
    assert s.api_keys["d1"].vehicle_id == "kanra-1"
    assert s.api_keys["file-key"].role is Role.PLANNER
    assert s.area_of("10383") == "west" and s.area_of("10210") == "east"
    assert s.lock_wait_s == 0.5
    with pytest.raises(SettingsError, match="no service area"):
        s.area_of("13101")


def test_default_area_serves_everyone():
    assert Settings.from_env({}).area_of("10383") == "all"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KANRA_API_KEYS": "k:boss"}, "unknown role"),
        ({"KANRA_API_KEYS": "k:driver"}, "vehicle id"),
        ({"KANRA_PORT": "eighty"}, "KANRA_PORT"),
        ({"KANRA_LOCK_TTL_MS": "-1"}, "negative"),
        ({"KANRA_AREAS": "nocodes"}, "KANRA_AREAS"),
        ({"KANRA_API_KEYS_FILE": "/nonexistent/keys"}, "no such file"),
        ({"KANRA_REOPT_METHOD": "genetic"}, "KANRA_REOPT_METHOD='genetic': use one of ortools, rr"),
    ],
)
def test_bad_settings_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_parse_api_keys_skips_comments_and_blanks():
    keys = parse_api_keys(["", "  # nothing", "x:admin # the boss"])
    assert list(keys) == ["x"] and keys["x"].role is Role.ADMIN


def test_reoptimiser_is_ruin_and_recreate_unless_ortools_is_asked_for(monkeypatch):
    from api.world import World

    monkeypatch.setattr("api.world.RoadNetwork.load", lambda *a: None)
    default = World.from_settings(Settings.from_env({}))
    assert default.solve_params.ruin_recreate is not None
    assert default.solve_params.time_limit_s == Settings().reopt_time_limit_s
    ortools = World.from_settings(Settings.from_env({"KANRA_REOPT_METHOD": "ORTools"}))
    assert ortools.solve_params.ruin_recreate is None
