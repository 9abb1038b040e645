"""Smoke run of benchmarks/soak.py: a few seconds of load end to end, figures written (no timing asserts)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


@pytest.mark.slow
def test_soak_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("soak", SOAK)
    assert spec is not None and spec.loader is not None
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    out = tmp_path / "soak.json"
    assert soak.main(["--minutes", "0.1", "--rate", "2", "--days", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "p50 / p99" in printed and "worker RSS" in printed
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["accepted"] == figures["sent"] > 5 and figures["errors"] == 0 and figures["audit_problems"] == []
    for moment in ("memory_start", "memory_end"):
        assert figures[moment]["api_rss_mb"] > 10 and figures[moment]["worker_rss_mb"] > 10
    assert soak.main(["--minutes", "0"]) == 2
    assert soak.main(["--rate", "1000"]) == 2
