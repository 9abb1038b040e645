"""Tiny smoke runs of the dispatcher benchmarks: they run end to end and write their JSON (no timing asserts)."""

import json

import pytest

from benchmarks import offer_latency, reopt_gain


def test_offer_latency_smoke(tmp_path, capsys):
    out = tmp_path / "latency.json"
    assert offer_latency.main(["--sizes", "3x10", "--requests", "4", "--synthetic", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    (row,) = data["results"]
    assert row["size"] == "3x10" and row["requests"] == 4
    assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
    assert row["plans_valid"] is True
    assert "p95_ms" in capsys.readouterr().out


def test_offer_latency_rejects_bad_sizes():
    with pytest.raises(SystemExit, match="bad size"):
        offer_latency.main(["--sizes", "thirty", "--synthetic"])


@pytest.mark.parametrize("method", ["ortools", "rr"])
def test_reopt_gain_smoke(tmp_path, method):
    out = tmp_path / "gain.json"
    args = ["--seconds", "1", "--vehicles", "2", "--bookings", "12", "--every-min", "240", "--synthetic"]
    assert reopt_gain.main([*args, "--method", method, "--json", str(out)]) == 0
    payload = json.loads(out.read_text())
    rows = payload["results"]
    assert payload["method"] == method
    assert [(r["scenario"], r["variant"]) for r in rows] == [
        ("prebooked", "insertion"),
        ("prebooked", "insertion+reopt"),
        ("mixed", "insertion"),
        ("mixed", "insertion+reopt"),
    ]
    assert all(r["valid"] for r in rows)
    # the pre-booked day serves the same bookings either way: re-optimisation never drops one
    assert rows[0]["served"] == rows[1]["served"]
    assert rows[1]["vehicle_km"] <= rows[0]["vehicle_km"] + 1e-9
