"""``sim sweep`` on real Dask: a LocalCluster, and a scheduler and worker this test starts itself."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.replications import replicate
from sim.sweep.grid import build_grid, parse_variation
from tests.sim.conftest import one_hour_data

ROOT = Path(__file__).resolve().parents[2]
DASK = Path(sys.executable).parent / "dask"


def _scenario(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    data = one_hour_data(name="tiny", reoptimisation={"every": "15min", "enabled": False})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "sweep.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_sweep_on_a_local_cluster_with_a_failing_point_and_a_target(tmp_path, capsys):
    path = _scenario(tmp_path)
    out = tmp_path / "sweep"
    args = ["sweep", str(path), "--vary", "fleets.Tomioka.vehicles=1,3", "--vary", "start_date=2026-12-01,someday",
            "--replications", "2", "--workers", "2", "--target", "rejection_rate<=0.99 and wait_p95_min<=30",
            "--out", str(out), "--no-progress"]
    assert main(args) == 0
    rows = _rows(out)
    assert [(r["fleets.Tomioka.vehicles"], r["start_date"], r["status"]) for r in rows] == [
        ("1", "2026-12-01", "ok"), ("1", "someday", "failed"), ("3", "2026-12-01", "ok"), ("3", "someday", "failed")]
    assert "start_date" in rows[1]["reason"]
    doc = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    ok = [p for p in doc["points"] if p["status"] == "ok"]
    assert all(p["workers"] and all(w.startswith("tcp://") for w in p["workers"]) for p in ok)
    # Each point's replications are the plain runs of that variant on the derived seeds.
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    grid = build_grid(data, path, [parse_variation("fleets.Tomioka.vehicles=1,3")])
    for point, variant in zip(ok, grid, strict=True):
        for seed, served in zip(point["seeds"], point["kpis"]["served"]["values"], strict=True):
            assert replicate(variant.scenario, seed).kpis["served"] == served
        assert float(rows[point["point"]]["served.mean"]) == point["kpis"]["served"]["mean"]
    # The target's answer: the fewest vehicles whose upper bounds meet it.
    answers = {a["scope"]: a for a in doc["target"]["answers"]}
    meeting = [p for p in ok if p["kpis"]["rejection_rate"]["ci95"][1] <= 0.99
               and p["kpis"]["wait_min"]["p95"]["ci95"][1] <= 30]
    expected = min(meeting, key=lambda p: p["values"]["fleets.Tomioka.vehicles"])["point"] if meeting else None
    assert answers["area / 全域"]["point"] == expected and "Tomioka" in answers
    html = (out / "sweep.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 5 and "failed" in html
    printed = capsys.readouterr()
    assert "2 failed" in printed.out and "someday" in printed.err


@pytest.mark.parametrize("vary, message", [
    ("fleets.Nowhere.vehicles=1,2", "no entry for 'Nowhere'"),
    ("demand.scael=1,2", "demand.scael"),
    ("fleets.Tomioka.vehicles=1,lots", "expected an integer"),
    ("operating_model=municipal,teleport", "operating_model"),
])
def test_bad_keys_and_values_exit_2_before_anything_runs(tmp_path, capsys, vary, message):
    assert main(["sweep", str(_scenario(tmp_path)), "--vary", vary, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_bad_target_exits_2(tmp_path, capsys):
    args = ["sweep", str(_scenario(tmp_path)), "--vary", "demand.scale=1,2", "--target", "import os"]
    assert main(args) == 2
    assert "--target" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "dask process exited early"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"nothing listens on port {port}")


@pytest.fixture
def dask_cluster(tmp_path):
    """A ``dask scheduler`` and one ``dask worker`` process on loopback, stopped afterwards."""
    if not DASK.exists():
        pytest.skip("the dask command is not installed")
    port, worker_port = _free_port(), _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    scheduler = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    procs = [scheduler]
    try:
        _wait_for_port(port, scheduler)
        worker = subprocess.Popen([str(DASK), "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--nworkers",
                                   "1", "--no-dashboard", "--host", "127.0.0.1", "--worker-port", str(worker_port),
                                   "--no-nanny"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        procs.append(worker)
        _wait_for_port(worker_port, worker)
        yield f"tcp://127.0.0.1:{port}", f"tcp://127.0.0.1:{worker_port}"
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.mark.slow  # the local-cluster sweep covers the same path in the default run
def test_sweep_on_a_scheduler_and_worker_started_here(tmp_path, dask_cluster):
    address, worker = dask_cluster
    out = tmp_path / "remote"
    args = ["sweep", str(_scenario(tmp_path)), "--vary", "demand.scale=2,5", "--replications", "2",
            "--scheduler", address, "--out", str(out), "--no-progress"]
    assert main(args) == 0
    doc = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert doc["scheduler"] == address
    assert [p["status"] for p in doc["points"]] == ["ok", "ok"]
    assert all(p["workers"] == [worker] for p in doc["points"])
    assert all(run["worker"] == worker for p in doc["points"] for run in p["replication_runs"])
    requests = [p["kpis"]["requests"]["mean"] for p in doc["points"]]
    assert requests[1] > requests[0]  # scale 5 makes more requests than scale 2


def test_unreachable_scheduler_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KANRA_DASK_CONNECT_TIMEOUT_S", "2")  # the answer is the same after 20 s
    args = ["sweep", str(_scenario(tmp_path)), "--vary", "demand.scale=1,2", "--scheduler",
            f"tcp://127.0.0.1:{_free_port()}", "--out", str(tmp_path / "o")]
    assert main(args) == 2
    assert "--scheduler" in capsys.readouterr().err
