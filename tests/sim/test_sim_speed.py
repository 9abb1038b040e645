"""Smoke run of benchmarks/sim_speed.py on a tiny day (the speed target lives in the benchmark, not here)."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("method", ["ortools", "rr"])
def test_sim_speed_smoke(tmp_path, capsys, method):
    spec = importlib.util.spec_from_file_location("sim_speed", ROOT / "benchmarks" / "sim_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "speed.json"
    code = module.main(["--requests", "60", "--vehicles", "5", "--reopt-every", "60min", "--reopt-limit", "0.1",
                        "--method", method, "--bench-data", str(tmp_path / "no_bench_data"), "--json", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "s_per_sim_hour" in printed and "replay case skipped" in printed
    row = json.loads(out.read_text())["results"][0]
    assert row["vehicles"] == 5 and 30 <= row["requests"] <= 110
    assert 0 <= row["solver_share"] <= row["dispatcher_share"] <= 1
    assert row["method"] == method and row["vehicle_km"] > 0 and row["served"] <= row["requests"]
