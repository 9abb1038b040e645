"""Shared fixtures: the regional network and small scenarios built in code."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sim.scenario import Scenario, parse_scenario

ONE_HOUR: dict[str, Any] = {
    "name": "one_hour",
    "operating_model": "municipal",
    "seed": 7,
    "rules": {"service_start": "09:00", "service_end": "10:30"},
    "fleets": [
        {"municipality": "Tomioka", "vehicles": 3, "seats": 4, "wheelchair_vehicles": 1,
         "depot": "tomioka_city_hall", "shifts": [["09:00", "10:30"]]},
        {"municipality": "Shimonita", "vehicles": 1, "seats": 4, "wheelchair_vehicles": 1,
         "depot": "shimonita_town_office", "shifts": [["09:00", "10:30"]]},
        {"municipality": "Kanra", "vehicles": 1, "depot": "kanra_town_office", "shifts": [["09:00", "10:30"]]},
    ],
    "demand": {
        "scale": 5.0,
        "hourly_profile": {9: 1.0},
        "return_share": 0.0,
        "cancellation_share": 0.1,
        "no_show_share": 0.08,
        "wheelchair_share": 0.1,
        "party_sizes": {1: 0.6, 2: 0.3, 3: 0.1},
    },
    "reoptimisation": {"every": "15min", "time_limit": 0.3},
}


def one_hour_data(**changes: Any) -> dict[str, Any]:
    """A copy of the one-hour scenario mapping with top-level keys replaced."""
    data = copy.deepcopy(ONE_HOUR)
    data.update(changes)
    return data


def one_hour(**changes: Any) -> Scenario:
    return parse_scenario(one_hour_data(**changes))


@pytest.fixture(scope="session")
def network():
    from routing.network import RoadNetwork

    return RoadNetwork.load()
