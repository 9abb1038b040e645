"""Smoke run of benchmarks/routing_bench.py at a tiny size (no timing asserts)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "routing_bench.py"


def test_bench_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("routing_bench", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "routing.json"
    argv = ["--regional-size", "10", "--grid-nodes", "100", "--grid-size", "5", "--json", str(out)]
    assert bench.main(argv) == 0
    assert "regional" in capsys.readouterr().out
    doc = json.loads(out.read_text(encoding="utf-8"))
    cases = [r["case"] for r in doc["results"]]
    assert cases in (["regional", "real OSM extract", "synthetic grid"], ["regional", "synthetic grid"])
    if "real OSM extract" in cases:  # present wherever the package index answers
        real = doc["results"][1]
        assert real["source"].startswith("osm-extract") and real["nodes"] > 100 and real["build_s"] > 0
    assert all(r["cold_s"] >= 0 and r["peak_mb"] >= 0 for r in doc["results"])
    assert bench.main(["--grid-size", "0"]) == 2
    assert bench.main(argv[:-2] + ["--no-extract"]) == 0
    assert "real OSM extract" not in capsys.readouterr().out
