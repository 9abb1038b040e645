"""Shared fixtures of the routing tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from routing import RoadNetwork
from routing.facts import DEFAULT_DATA_DIR

FIXTURES = Path(__file__).parent / "fixtures"
FACT_FILES = (
    "stations.csv", "landmarks.csv", "oaza.csv", "municipalities.csv", "corridors.csv", "oaza_romaji.csv",
    "stops.csv", "stop_readings.csv", "skeleton_roads.csv",
)
"""The regional facts, the 愛タク stand-in stops, and the other inputs of the skeleton generator
(added roads; the stop poles are ``stops.csv``)."""


def copy_data(names: tuple[str, ...], dest: Path) -> None:
    """Copy files of ``data/osm_gunma`` (paths relative to it) into ``dest``."""
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEFAULT_DATA_DIR / name, dest / name)


@pytest.fixture(scope="session")
def net(tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    """The facts-skeleton network, loaded from a private copy so a locally installed real
    extract in ``data/osm_gunma`` does not change what these tests see."""
    data = tmp_path_factory.mktemp("skeleton")
    copy_data((*FACT_FILES, "kanra_tomioka_skeleton.osm"), data)
    return RoadNetwork.load(data)


@pytest.fixture()
def facts_dir(tmp_path: Path) -> Path:
    """A data directory holding only the regional facts CSVs."""
    copy_data(FACT_FILES, tmp_path)
    return tmp_path


@pytest.fixture()
def mini_osm() -> Path:
    """The hand-written OSM XML extract."""
    return FIXTURES / "mini_extract.osm"
