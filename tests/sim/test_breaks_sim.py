"""A scenario's fleet with driver breaks: the simulated drivers take every break, with nobody on board."""

from __future__ import annotations

import pytest

from sim.run import simulate
from sim.schema import ScenarioError
from tests.sim.conftest import ONE_HOUR, one_hour


def _fleets(breaks: list[dict]) -> list[dict]:
    return [{**f, "breaks": breaks} for f in ONE_HOUR["fleets"]]


def test_simulated_drivers_take_their_breaks(network):
    breaks = [{"earliest": "09:30", "latest": "09:45", "duration": "10min", "place": "anywhere"}]
    result = simulate(one_hour(fleets=_fleets(breaks)), network)
    taken = [e for e in result.stop_log if e.kind == "break"]
    vehicles = {v.vehicle_id for v in result.records.vehicles}
    assert {e.vehicle_id for e in taken} == vehicles and len(taken) == len(vehicles)
    for entry in taken:
        assert 9 * 3600 + 30 * 60 <= entry.start <= 9 * 3600 + 45 * 60
        assert entry.departure - entry.start >= 600
    assert any(leg.status == "completed" for leg in result.records.legs)


def test_a_break_outside_every_shift_is_refused():
    with pytest.raises(ScenarioError, match="fits in none of the shifts"):
        one_hour(fleets=_fleets([{"earliest": "11:00", "duration": "10min"}]))
