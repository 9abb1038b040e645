import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from tests.sim.conftest import one_hour_data

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("name: x\nfleets: [\n", "invalid YAML at line"),
        ("name: x\nfleets: []\nfleetz: 1\n", "unknown key(s) fleetz"),
        ("name: x\nfleets:\n - {municipality: Atlantis, vehicles: 1, depot: tomioka_city_hall}\n",
         "unknown municipality 'Atlantis'"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "s.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_malformed_replay_row_exits_2(tmp_path, capsys):
    csv = tmp_path / "b.csv"
    csv.write_text("booking_time,requested_time,origin,destination,party\n"
                   "2026-12-01T08:00,2026-12-01T09:30,st:Joshu-Tomioka,tomioka_city_hall,1\n"
                   "2026-12-01T08:00,half past nine,st:Joshu-Tomioka,tomioka_city_hall,1\n", encoding="utf-8")
    data = one_hour_data(demand={"source": "replay", "replay_csv": "b.csv"})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["run", str(path), "--no-progress"]) == 2
    assert "b.csv:3: requested_time 'half past nine'" in capsys.readouterr().err


def test_run_writes_the_run_folder(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(one_hour_data(), allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--seed", "3", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "rejection rate" in printed and "report:" in printed
    kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["seed"] == 3 and kpis["requests"] > 0
    legs = (out / "legs.csv").read_text(encoding="utf-8").splitlines()
    assert len(legs) == kpis["requests"] + 1 and legs[0].startswith("id,trip_id")
    assert (out / "vehicles.csv").read_text(encoding="utf-8").count("\n") == 6
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 4 and "<table>" in html


def test_compare_runs_both_on_the_same_demand(tmp_path, capsys):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(yaml.safe_dump(one_hour_data(name="a", reoptimisation={"enabled": False}), allow_unicode=True),
                 encoding="utf-8")
    wide = one_hour_data(name="b", operating_model="wide_area_direct", reoptimisation={"enabled": False},
                         wide_area={"pairs": [["Kanra", "Tomioka"]], "destinations": ["tomioka_general_hospital"]})
    b.write_text(yaml.safe_dump(wide, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "--out", str(out), "--no-progress"]) == 0
    columns = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert columns["scenarios"]["a"]["requests"] == columns["scenarios"]["b"]["requests"]
    assert columns["paired"]["requests"]["difference"] == 0
    assert "data:image/png;base64," in (out / "compare.html").read_text(encoding="utf-8")
    assert (out / "a" / "kpis.json").is_file() and (out / "b" / "report.html").is_file()


def test_python_dash_m_sim_reports_errors_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sim", "run", str(tmp_path / "missing.yaml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("sim: error:") and "Traceback" not in proc.stderr
