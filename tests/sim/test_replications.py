"""``sim run --replications`` and ``sim compare --replications``: seeds, summaries, paired differences."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import yaml

from sim.cli import main
from sim.replications import aggregate, replicate, replication_seeds
from sim.stats import t_interval
from tests.sim.conftest import one_hour, one_hour_data

FAST = {"every": "15min", "enabled": False}


def test_seeds_are_derived_deterministically_from_the_scenario_seed():
    seeds = replication_seeds(7, 5)
    assert seeds[0] == 7 and len(set(seeds)) == 5
    assert seeds == replication_seeds(7, 5) and replication_seeds(7, 3) == seeds[:3]
    assert replication_seeds(8, 5)[1:] != seeds[1:]
    with pytest.raises(ValueError):
        replication_seeds(7, 0)


def test_aggregate_summarises_every_number_and_keeps_identity():
    runs = [{"scenario": "x", "days": 1, "seed": s, "served": v, "wait_min": {"p95": w},
             "rejections_by_reason": r} for s, v, w, r in
            ((1, 10, 5.0, {"a": 2}), (2, 14, None, {}), (3, 12, 7.0, {"a": 1, "b": 3}))]
    out = aggregate(runs, [1, 2, 3])
    assert out["scenario"] == "x" and out["days"] == 1 and out["seed"] == 1 and out["seeds"] == [1, 2, 3]
    assert out["replications"] == 3
    assert out["served"]["values"] == [10, 14, 12] and out["served"]["mean"] == 12.0 and out["served"]["n"] == 3
    assert out["served"]["ci95"] == t_interval([10, 14, 12])[1]
    assert out["wait_min"]["p95"]["n"] == 2
    assert out["rejections_by_reason"]["a"]["values"] == [2, 0, 1]  # a missing count is zero
    assert out["rejections_by_reason"]["b"]["values"] == [0, 0, 3]


def _write(tmp_path, name: str, **changes) -> str:
    path = tmp_path / f"{name}.yaml"
    data = one_hour_data(name=name, reoptimisation=FAST, **changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_run_with_replications_writes_summaries_and_replication_zero_is_the_plain_run(tmp_path, capsys, network):
    path = _write(tmp_path, "r")
    out = tmp_path / "out"
    assert main(["run", path, "--replications", "3", "--workers", "2", "--out", str(out), "--no-progress"]) == 0
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["replications"] == 3 and kpis["seeds"] == replication_seeds(7, 3)
    rate = kpis["rejection_rate"]
    assert set(rate) == {"mean", "ci95", "n", "values"} and rate["n"] == 3
    assert rate["ci95"][0] <= rate["mean"] <= rate["ci95"][1]
    scenario = replace(one_hour(name="r"), reoptimisation=replace(one_hour().reoptimisation, enabled=False))
    for i, seed in enumerate(kpis["seeds"]):
        single = replicate(scenario, seed).kpis
        assert kpis["served"]["values"][i] == single["served"]
        assert kpis["wait_min"]["p95"]["values"][i] == single["wait_min"]["p95"]
    printed = capsys.readouterr().out
    assert "n=3" in printed and "[" in printed.split("rejection rate")[1].splitlines()[0]


@pytest.mark.slow  # run with replications covers the per-replication code in the default run
def test_compare_with_replications_pairs_each_replication(tmp_path, capsys):
    a = _write(tmp_path, "a")
    b = _write(tmp_path, "b", operating_model="wide_area_direct",
               wide_area={"pairs": [["Kanra", "Tomioka"]], "destinations": ["tomioka_general_hospital"]})
    out = tmp_path / "cmp"
    assert main(["compare", a, b, "--replications", "3", "--out", str(out), "--no-progress"]) == 0
    doc = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert doc["replications"] == 3 and doc["a"] == "a" and doc["b"] == "b"
    ka, kb = doc["scenarios"]["a"], doc["scenarios"]["b"]
    assert ka["requests"]["values"] == kb["requests"]["values"]  # the same demand in every replication
    row = doc["paired"]["rejection_rate"]
    diffs = [y - x for x, y in zip(ka["rejection_rate"]["values"], kb["rejection_rate"]["values"], strict=True)]
    mean, ci = t_interval(diffs)
    assert row["difference"] == mean and row["ci95"] == ci and row["n"] == 3
    assert row["significant"] == (not ci[0] <= 0 <= ci[1])
    assert doc["paired"]["requests"]["significant"] is False and doc["paired"]["requests"]["difference"] == 0
    printed = capsys.readouterr().out
    assert "difference" in printed and "n.s." in printed


def test_bad_replications_exit_2(tmp_path, capsys):
    path = _write(tmp_path, "r")
    assert main(["run", path, "--replications", "0"]) == 2
    assert "--replications" in capsys.readouterr().err
