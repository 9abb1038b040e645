"""Cordeau-format variants with parties of several riders and longer ride limits: written, read, solved."""

from __future__ import annotations

import pytest

from benchmarks.instances import default_data_dir, read_cordeau
from benchmarks.instances.cordeau_variants import main
from benchmarks.solver_quality import params_for
from dispatch.solver import solve
from dispatch.validator import validate

DATA = default_data_dir() / "cordeau_darp" / "instances"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"benchmark data not found at {DATA}")


def test_variants_carry_parties_capacity_and_ride_limit_and_solve_valid(tmp_path):
    source = tmp_path / "a"
    source.mkdir()
    for name in ("a2-16", "a3-24"):
        (source / f"{name}.txt").write_text((DATA / f"{name}.txt").read_text())
    target = tmp_path / "b"
    args = ["--from", str(source), "--to", str(target), "--max-party", "6", "--capacity", "6", "--ride", "45"]
    assert main(args) == 0
    original, variant = read_cordeau(source / "a3-24.txt"), read_cordeau(target / "a3-24.txt")
    loads = [r.load[0] for r in variant.problem.requests]
    assert variant.capacity == 6 and set(loads) <= set(range(1, 7)) and len(set(loads)) > 2
    assert all(r.max_ride == 45.0 for r in variant.problem.requests)
    assert [r.pickup_window for r in variant.problem.requests] == [r.pickup_window for r in original.problem.requests]
    again = tmp_path / "b2"
    assert main(["--from", str(source), "--to", str(again)]) == 0
    assert (again / "a3-24.txt").read_text() == (target / "a3-24.txt").read_text()  # seeded
    solution = solve(variant.problem, params_for("cordeau", 3.0))
    assert validate(variant.problem, solution) == [] and not solution.unserved


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert main(["--from", str(tmp_path / "missing"), "--to", str(tmp_path / "x")]) == 2
    assert main(["--from", str(DATA), "--to", str(tmp_path / "x"), "--max-party", "7", "--capacity", "6"]) == 2
    assert "--max-party" in capsys.readouterr().err
