"""``python -m routing``: info, time, build-skeleton, build --osm; bad input exits 2 without a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from routing import RoadNetwork
from routing.cli import main
from routing.facts import DEFAULT_DATA_DIR
from routing.skeleton import SKELETON_FILE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def skeleton_dir(facts_dir: Path) -> Path:
    shutil.copy(DEFAULT_DATA_DIR / SKELETON_FILE, facts_dir / SKELETON_FILE)
    return facts_dir


def test_time_between_named_places(skeleton_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(skeleton_dir), "time", "st:Shimonita", "南牧村役場"]) == 0
    out = capsys.readouterr().out
    assert "drive time:" in out and "distance:" in out and "facts-skeleton" in out


def test_info_names_the_source(skeleton_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(skeleton_dir), "info"]) == 0
    out = capsys.readouterr().out
    assert "source: facts-skeleton" in out and "not OpenStreetMap" in out
    assert f"nodes: {RoadNetwork.load(skeleton_dir).graph.number_of_nodes():,}" in out
    assert "primary" in out and "motorway" in out
    assert "calibration: not measured" in out  # no record beside this copy


def test_unknown_place_exits_2_with_a_message(skeleton_dir: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "routing", "--data-dir", str(skeleton_dir), "time", "st:Shimonita", "Atlantis"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown place 'Atlantis'" in done.stderr and "Traceback" not in done.stderr


def test_bad_inputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "build", "--osm", str(tmp_path / "none.osm.pbf")]) == 2
    assert main(["--data-dir", str(tmp_path), "info"]) == 2
    assert "no road network" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["time", "only-one"])
    assert exc.value.code == 2


def test_build_skeleton_then_build_extract(facts_dir: Path, mini_osm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(facts_dir), "build-skeleton"]) == 0
    assert (facts_dir / SKELETON_FILE).read_bytes() == (DEFAULT_DATA_DIR / SKELETON_FILE).read_bytes()
    assert main(["--data-dir", str(facts_dir), "build", "--osm", str(mini_osm)]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(facts_dir), "info"]) == 0
    assert "source: osm-extract" in capsys.readouterr().out
