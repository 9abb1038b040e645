"""Smoke run of benchmarks/wide_area.py on a small slice of the day (the full run is the benchmark's job)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "wide_area.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("wide_area_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_small_day_writes_consistent_figures(bench, tmp_path: Path, capsys):
    out = tmp_path / "wide.json"
    assert bench.main(["--scale", "0.3", "--models", "direct_only,rail_feeder", "--json", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    base, rail = data["results"]
    assert (base["model"], rail["model"]) == ("direct_only", "rail_feeder")
    assert base["cross_chain"] == 0 and base["rail_riders"] == 0 and base["vehicle_km_saved"] == 0
    for row in (base, rail):
        assert row["cross_chain"] + row["cross_direct"] == row["cross_served"] <= row["cross_requests"]
        assert 0 < row["served"] <= row["requests"]
        assert row["vehicle_km"] > row["cross_km"] >= 0
        assert row["vehicle_km_saved"] == pytest.approx(base["vehicle_km"] - row["vehicle_km"], abs=0.2)
    acc = data["accounts"]["rail_feeder"]
    assert acc["total_km"] == pytest.approx(rail["vehicle_km"], abs=0.1)
    assert sum(r["vehicle_km"] for r in acc["by_fleet"].values()) == pytest.approx(acc["total_km"], abs=0.05)
    printed = capsys.readouterr().out
    assert "direct_only" in printed and "per-municipality accounts" in printed


def test_bad_arguments_and_missing_inputs(bench, tmp_path: Path, capsys):
    assert bench.main(["--models", "rail_feeder"]) == 2
    assert "direct_only" in capsys.readouterr().err
    assert bench.main(["--gtfs", str(tmp_path / "none")]) == 0
    assert "skipped" in capsys.readouterr().out
