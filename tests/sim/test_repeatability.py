"""Runs repeat exactly: the same compare twice, and each side equal to its standalone run.

The rail-feeder side used to differ run to run because every re-optimisation stopped on a 5 s wall
clock: how far OR-Tools got depended on the machine's load (and a second run in the same process
found warm caches). Searches now stop on a solution count, the clock only as a safety cap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from sim.run import simulate
from tests.sim.conftest import one_hour

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "sim" / "scenarios"


def test_searches_stop_on_work_not_on_the_clock():
    spec = one_hour().reoptimisation
    assert spec.solution_limit is not None and spec.solution_limit >= 1
    for name in ("baseline_municipal", "wide_area", "wide_area_rail_feeder"):
        from sim.scenario import load_scenario

        shipped = load_scenario(SCENARIOS / f"{name}.yaml").reoptimisation
        assert shipped.solution_limit is not None and shipped.time_limit >= 10, name


def test_a_search_stopped_by_its_cap_is_counted(network):
    tight = one_hour()
    tight = replace(tight, reoptimisation=replace(tight.reoptimisation, time_limit=0.001, solution_limit=None))
    assert simulate(tight, network).records.clock_bound_reoptimisations > 0
    relaxed = replace(tight, reoptimisation=replace(tight.reoptimisation, time_limit=30.0, solution_limit=50))
    assert simulate(relaxed, network).records.clock_bound_reoptimisations == 0


def test_ruin_and_recreate_reoptimisation_repeats_and_stops_on_its_iterations(network):
    """``method: rr`` re-optimises with the ruin-and-recreate search, stopped on a count of
    iterations: two runs give the same day, and no run reaches its time cap."""
    rr = one_hour()
    rr = replace(rr, reoptimisation=replace(rr.reoptimisation, method="rr", rr_iterations=150, time_limit=30.0))
    assert rr.reoptimisation.solve_params(rr.seed).ruin_recreate.max_iterations == 150
    runs = [simulate(rr, network) for _ in range(2)]
    assert runs[0].kpis == runs[1].kpis
    assert runs[0].records.clock_bound_reoptimisations == 0
    assert runs[0].records.dispatcher_stats.get("reoptimisation_runs", 0) > 0


def _sim(args: list[str], hash_seed: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED=hash_seed)
    return subprocess.Popen([sys.executable, "-m", "sim", *args, "--no-progress"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _kpis(path: Path) -> str:
    return json.dumps(json.loads(path.read_text(encoding="utf-8")), sort_keys=True)


@pytest.mark.slow
def test_compare_twice_equals_itself_and_the_standalone_runs(tmp_path):
    """Three processes side by side (so the machine is loaded), each with its own hash seed."""
    a, b = str(SCENARIOS / "baseline_municipal.yaml"), str(SCENARIOS / "wide_area_rail_feeder.yaml")
    procs = [
        _sim(["compare", a, b, "--out", str(tmp_path / "c1")], "1"),
        _sim(["compare", a, b, "--out", str(tmp_path / "c2")], "2"),
        _sim(["run", b, "--out", str(tmp_path / "rail")], "3"),
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert "time cap" not in err, err
    c1, c2 = tmp_path / "c1", tmp_path / "c2"
    assert _kpis(c1 / "compare.json") == _kpis(c2 / "compare.json")
    for side in ("baseline_municipal", "wide_area_rail_feeder"):
        assert _kpis(c1 / side / "kpis.json") == _kpis(c2 / side / "kpis.json")
    # The shipped scenarios share demand settings and seed, so the compare's demand is each one's own.
    assert _kpis(c1 / "wide_area_rail_feeder" / "kpis.json") == _kpis(tmp_path / "rail" / "kpis.json")
