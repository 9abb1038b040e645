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
    "stops.csv", "stop_readings.csv",
)


@pytest.fixture(scope="session")
def net(tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    """The facts-skeleton network, loaded from a private copy so a locally installed real
    extract in ``data/osm_gunma`` does not change what these tests see."""
    data = tmp_path_factory.mktemp("skeleton")
    for name in (*FACT_FILES, "kanra_tomioka_skeleton.osm"):
        shutil.copy(DEFAULT_DATA_DIR / name, data / name)
    return RoadNetwork.load(data)


@pytest.fixture()
def facts_dir(tmp_path: Path) -> Path:
    """A data directory holding only the regional facts CSVs."""
    for name in FACT_FILES:
        shutil.copy(DEFAULT_DATA_DIR / name, tmp_path / name)
    return tmp_path


@pytest.fixture()
def mini_osm() -> Path:
    """The hand-written OSM XML extract."""
    return FIXTURES / "mini_extract.osm"
