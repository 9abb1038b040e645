"""Smoke test of the solver-quality benchmark: readers against the raw files, a short solve, the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import benchmarks.solver_quality as quality
from benchmarks.instances import default_data_dir, read_bks, read_cordeau, read_li_lim
from benchmarks.solver_quality import main, params_for, summarise
from dispatch.problem import Solution, VisitKind
from dispatch.solver import solve
from dispatch.validator import schedule_route, validate

DATA = default_data_dir()
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"benchmark data not found at {DATA}")
LI_LIM = DATA / "li_lim_pdptw"
CORDEAU = DATA / "cordeau_darp"


def raw_lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


def test_li_lim_reader_counts_match_the_file():
    path = LI_LIM / "pdp_100" / "lc101.txt"
    lines = raw_lines(path)
    inst = read_li_lim(path)
    tasks = lines[1:]
    assert inst.nodes == len(tasks)
    assert len(inst.problem.requests) == sum(1 for t in tasks if t[0] != "0" and t[7] == "0")
    assert inst.fleet_size == int(lines[0][0]) == len(inst.problem.vehicles)
    assert inst.capacity == int(lines[0][1])
    assert all(r.required for r in inst.problem.requests)


def test_li_lim_best_known_routes_validate_at_their_published_distance():
    """Reader and validator agree with the published solution: same feasibility, same distance."""
    (route_file,) = (LI_LIM / "bks_solutions_100").glob("lr101.*.txt")
    inst = read_li_lim(LI_LIM / "pdp_100" / "lr101.txt")
    p = inst.problem
    pickup_of = {r.pickup: r.id for r in p.requests}
    dropoff_of = {r.dropoff: r.id for r in p.requests}
    routes = {}
    route_lines = [line for line in route_file.read_text().splitlines() if line.startswith("Route")]
    for vehicle, line in zip(p.vehicles, route_lines, strict=False):
        tasks = [int(x) for x in line.split(":")[1].split()]
        order = [
            (pickup_of[t], VisitKind.PICKUP) if t in pickup_of else (dropoff_of[t], VisitKind.DROPOFF) for t in tasks
        ]
        visits = schedule_route(p, vehicle, order)
        assert visits is not None
        routes[vehicle.id] = visits
    solution = Solution(routes=routes)
    assert validate(p, solution) == []
    best = read_bks(LI_LIM / "BKS.csv")["lr101"]
    assert solution.vehicles_used() == best.vehicles == len(route_lines)
    assert solution.distance(p) == pytest.approx(best.cost, abs=0.01)


def test_cordeau_reader_counts_match_the_header():
    path = CORDEAU / "instances" / "a2-16.txt"
    k, n, duration, capacity, ride = raw_lines(path)[0]
    inst = read_cordeau(path)
    assert len(inst.problem.requests) == int(n) and inst.nodes == 2 * int(n) + 2
    assert len(inst.problem.vehicles) == int(k)
    assert all(v.capacity == (int(capacity),) and v.end_time == float(duration) for v in inst.problem.vehicles)
    assert all(r.max_ride == float(ride) for r in inst.problem.requests)


def test_short_solves_validate():
    darp = read_cordeau(CORDEAU / "instances" / "a2-16.txt").problem
    assert validate(darp, solve(darp, params_for("cordeau_a", 2.0))) == []
    pdptw = read_li_lim(LI_LIM / "pdp_100" / "lc101.txt").problem
    solution = solve(pdptw, params_for("li_lim_100", 3.0))
    assert validate(pdptw, solution) == [] and solution.unserved == {}


def test_benchmark_writes_gap_and_feasibility(tmp_path, capsys):
    out = tmp_path / "cordeau.json"
    assert main(["--set", "cordeau_a", "--only", "a2-16", "--seconds", "2", "--json", str(out), "--no-pyvrp"]) == 0
    rows = json.loads(out.read_text())["instances"]
    assert [r["instance"] for r in rows] == ["a2-16"]
    assert rows[0]["feasible"] is True and rows[0]["gap_pct"] is not None
    assert "a2-16" in capsys.readouterr().out


def test_benchmark_refuses_unknown_instances_with_exit_2(capsys):
    assert main(["--set", "cordeau_a", "--only", "nope"]) == 2
    assert "unknown instance" in capsys.readouterr().err


def test_any_folder_of_cordeau_files_is_read_whatever_the_names(tmp_path, capsys):
    """A renamed copy of a set-a file (no leading "a") in a folder of its own, with its own BKS file."""
    folder = tmp_path / "darp"
    folder.mkdir()
    (folder / "tiny_party.txt").write_text((CORDEAU / "instances" / "a2-16.txt").read_text())
    bks = tmp_path / "bks.csv"
    bks.write_text("instance,vehicles,best_known_cost\ntiny_party,2,294.25\n")
    out = tmp_path / "r.json"
    args = ["--set", "cordeau", "--instances", str(folder), "--bks", str(bks), "--seconds", "3", "--json", str(out)]
    assert main(args) == 0
    (row,) = json.loads(out.read_text())["instances"]
    assert row["instance"] == "tiny_party" and row["feasible"] is True, row.get("error")
    assert row["bks_distance"] == 294.25 and row["gap_pct"] is not None


def test_folder_of_other_files_is_refused_with_exit_2(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("1 2 3\n")
    assert main(["--set", "li_lim", "--instances", str(tmp_path), "--no-pyvrp"]) == 2
    assert "not a li_lim instance" in capsys.readouterr().err
    assert main(["--set", "li_lim", "--instances", str(tmp_path / "missing")]) == 2


def test_missing_pyvrp_is_skipped_with_a_note(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(quality, "pyvrp_available", lambda: False)
    out = tmp_path / "r.json"
    assert main(["--set", "li_lim_100", "--only", "lc101", "--seconds", "1", "--json", str(out)]) == 0
    assert "PyVRP is not installed" in capsys.readouterr().out
    (row,) = json.loads(out.read_text())["instances"]
    assert "pyvrp" not in row and row["feasible"] is True


def test_summary_averages_the_gap_over_same_fleet_instances_only():
    rows = [
        {"vehicles": 10, "bks_vehicles": 10, "gap_pct": 2.0, "seconds": 1.0, "budget_s": 1.0, "feasible": True},
        {"vehicles": 11, "bks_vehicles": 10, "gap_pct": -5.0, "seconds": 1.0, "budget_s": 1.0, "feasible": True,
         "pyvrp": {"vehicles": 10, "gap_pct": 1.0, "feasible": True}},
    ]
    rows[0]["pyvrp"] = {"vehicles": 10, "gap_pct": 0.5, "feasible": True}
    summary = summarise(rows, hierarchical=True)
    assert summary["mean_gap_pct"] == 2.0 and summary["gap_instances"] == 1
    assert summary["extra_vehicles"] == 1 and summary["pyvrp_extra_vehicles"] == 0
    assert summary["pyvrp_mean_gap_pct"] == 0.75
    assert summary["paired_instances"] == 1 and summary["paired_pyvrp_mean_gap_pct"] == 0.5
    assert summarise(rows, hierarchical=False)["mean_gap_pct"] == -1.5


def test_pyvrp_figures_are_taken_from_an_earlier_run_at_the_same_budget_only(tmp_path, capsys):
    """A baseline kept from an earlier run joins this run's rows; one at another budget, or missing an
    instance, is refused with exit 2 (it would be no comparison)."""
    earlier = tmp_path / "earlier.json"
    pyvrp_row = {"vehicles": 10, "distance": 900.0, "feasible": True, "violations": [], "seconds": 1.0}
    earlier.write_text(json.dumps({"seconds": 1.0, "instances": [{"instance": "lc101", "pyvrp": pyvrp_row}]}))
    out = tmp_path / "r.json"
    args = ["--set", "li_lim", "--only", "lc101", "--seconds", "1", "--json", str(out)]
    assert main([*args, "--pyvrp-from", str(earlier)]) == 0
    payload = json.loads(out.read_text())
    (row,) = payload["instances"]
    assert row["pyvrp"]["distance"] == 900.0
    assert row["pyvrp"]["gap_pct"] == pytest.approx(100 * (900 / 828.94 - 1), 0.01)
    assert payload["pyvrp_from"] == [str(earlier)] and row["feasible"] is True
    assert main(["--set", "li_lim", "--only", "lc101", "--seconds", "2", "--pyvrp-from", str(earlier)]) == 2
    assert "ran at 1.0 s per instance" in capsys.readouterr().err
    assert main(["--set", "li_lim", "--only", "lc102", "--seconds", "1", "--pyvrp-from", str(earlier)]) == 2
    assert "no PyVRP figures for lc102" in capsys.readouterr().err
    assert main(["--set", "li_lim", "--only", "lc101", "--no-ours", "--no-pyvrp"]) == 2


def test_instances_of_another_folder_get_no_gaps_from_the_sets_table(tmp_path):
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "a2-16.txt").write_text((CORDEAU / "instances" / "a2-16.txt").read_text())
    out = tmp_path / "r.json"
    assert main(["--set", "cordeau", "--instances", str(folder), "--seconds", "1", "--json", str(out)]) == 0
    (row,) = json.loads(out.read_text())["instances"]
    assert row["feasible"] is True and row["bks_distance"] is None and row["gap_pct"] is None


def test_two_separate_runs_make_one_report_without_solving(tmp_path, capsys, monkeypatch):
    """Ours from one run, PyVRP from another, at the same budget: combined, per class, nothing solved."""
    ours = {"vehicles": 10, "distance": 828.94, "feasible": True, "seconds": 5.0, "budget_s": 5.0}
    theirs = {"vehicles": 11, "distance": 850.0, "feasible": True, "violations": [], "seconds": 5.0}
    (tmp_path / "ours.json").write_text(json.dumps({"seconds": 5.0, "instances": [{"instance": "lc101", **ours}]}))
    (tmp_path / "theirs.json").write_text(
        json.dumps({"seconds": 5.0, "instances": [{"instance": "lc101", "skipped": True, "pyvrp": theirs}]})
    )
    out = tmp_path / "r.json"
    args = ["--set", "li_lim", "--only", "lc101", "--seconds", "5", "--json", str(out)]
    monkeypatch.setattr(quality, "solve", lambda *a, **k: pytest.fail("solved instead of read"))
    assert main([*args, "--ours-from", str(tmp_path / "ours.json"), "--pyvrp-from", str(tmp_path / "theirs.json")]) == 0
    payload = json.loads(out.read_text())
    assert payload["summary"]["extra_vehicles"] == 0 and payload["summary"]["pyvrp_extra_vehicles"] == 1
    (entry,) = payload["by_class"]
    assert entry["class"] == "lc1" and entry["ours"]["at_bks"] == 1 and entry["pyvrp"]["surplus"] == 1
    assert "lc1" in capsys.readouterr().out
    assert main([*args, "--ours-from", str(tmp_path / "theirs.json"), "--no-pyvrp"]) == 2  # it skipped ours


def test_instance_classes_of_every_size():
    assert [quality.instance_class(n) for n in ("lc101", "lrc208", "lr1_2_1", "lrc2_4_10", "a2-16")] == [
        "lc1", "lrc2", "lr1_2", "lrc2_4", "a2-16",
    ]


def test_runs_that_split_the_instances_join_into_one_report(tmp_path, monkeypatch):
    ours = {"vehicles": 10, "distance": 828.94, "feasible": True, "seconds": 5.0, "budget_s": 5.0}
    theirs = {"vehicles": 10, "distance": 828.94, "feasible": True, "violations": [], "seconds": 5.0}
    for name in ("lc101", "lc102"):
        (tmp_path / f"ours_{name}.json").write_text(json.dumps({"seconds": 5.0, "instances": [
            {"instance": name, **ours}]}))
    (tmp_path / "theirs.json").write_text(json.dumps({"seconds": 5.0, "instances": [
        {"instance": n, "skipped": True, "pyvrp": theirs} for n in ("lc101", "lc102")]}))
    monkeypatch.setattr(quality, "solve", lambda *a, **k: pytest.fail("solved instead of read"))
    out = tmp_path / "r.json"
    args = ["--set", "li_lim", "--only", "lc101,lc102", "--seconds", "5", "--json", str(out),
            "--pyvrp-from", str(tmp_path / "theirs.json")]
    assert main([*args, "--ours-from", str(tmp_path / "ours_lc101.json")]) == 2  # lc102 missing
    assert main([*args, "--ours-from", str(tmp_path / "ours_lc101.json"),
                 "--ours-from", str(tmp_path / "ours_lc102.json")]) == 0
    rows = json.loads(out.read_text())["instances"]
    assert [r["instance"] for r in rows] == ["lc101", "lc102"] and all(r["feasible"] for r in rows)
