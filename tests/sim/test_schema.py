from dataclasses import dataclass, field

import pytest

from sim.schema import Clock, Duration, ScenarioError, build, parse_clock, parse_duration


@dataclass(frozen=True)
class Inner:
    seats: int
    share: float = 0.5


@dataclass(frozen=True)
class Outer:
    name: str
    start: Clock = Clock(0)
    wait: Duration = Duration(0)
    inner: tuple[Inner, ...] = ()
    weights: dict[int, float] = field(default_factory=dict)
    note: str | None = None


def test_clock_and_duration_forms():
    assert parse_clock("08:30", "x") == 8 * 3600 + 30 * 60
    assert parse_clock("25:00:05", "x") == 25 * 3600 + 5
    assert parse_clock(3600, "x") == 3600
    assert parse_duration("15min", "x") == 900
    assert parse_duration("2h", "x") == 7200
    assert parse_duration(90, "x") == 90
    for bad in ("8:70", "noon", True):
        with pytest.raises(ScenarioError, match="x: expected a time"):
            parse_clock(bad, "x")
    for bad in ("15 minutes", -5, "abc"):
        with pytest.raises(ScenarioError, match="x: expected a non-negative duration"):
            parse_duration(bad, "x")


def test_build_converts_nested_values():
    out = build(Outer, {"name": "a", "start": "09:00", "wait": "3min", "inner": [{"seats": 4}],
                        "weights": {9: 2}}, "")
    assert out == Outer("a", Clock(32400), Duration(180), (Inner(4, 0.5),), {9: 2.0})
    assert isinstance(out.inner, tuple)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "a", "colour": 1}, r"unknown key\(s\) colour; allowed: name, start"),
        ({}, "name: required key is missing"),
        ({"name": "a", "inner": [{"seats": "four"}]}, r"inner\[0\]\.seats: expected an integer, got 'four'"),
        ({"name": "a", "inner": [{"seats": 1, "extra": 2}]}, r"inner\[0\]: unknown key\(s\) extra"),
        ({"name": "a", "inner": {"seats": 1}}, "inner: expected a list"),
        ({"name": "a", "weights": {9: "high"}}, "weights.9: expected a number"),
        ({"name": "a", "note": 3.5, "start": True}, "start: expected a time"),
        ("just text", "expected a mapping"),
    ],
)
def test_build_names_the_bad_key(data, message):
    with pytest.raises(ScenarioError, match=message):
        build(Outer, data, "")
