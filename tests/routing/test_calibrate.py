"""``routing calibrate``: drive times against scheduled bus times, on the skeleton and on an extract."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from routing import RoadNetwork, network_provenance
from routing.build import build_extract
from routing.calibrate import TARGET_MEDIAN, calibrate, drive_pair, read_pairs, record_path
from routing.cli import main
from routing.errors import RoutingError
from routing.facts import DEFAULT_DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
PAIRS = DEFAULT_DATA_DIR / "bus_2019" / "calibration_pairs.csv"


def test_shipped_pairs_meet_the_calibration_targets(net: RoadNetwork) -> None:
    pairs = read_pairs(PAIRS)
    assert len(pairs) == 136
    s = calibrate(net, pairs)["summary"]
    assert s["pairs"] == sum(p.crow_m >= 2000 for p in pairs) > 90
    assert TARGET_MEDIAN[0] <= s["median_ratio"] <= TARGET_MEDIAN[1]
    assert s["share_in_band"] >= 0.90
    assert s["share_above_band"] < 0.10  # the car is rarely slower than the bus
    for feed in ("shimonita", "tomioka"):
        assert s["by_feed"][feed]["share_in_band"] >= 0.85


def test_ratio_follows_the_bus_path_only_where_the_bus_detours(net: RoadNetwork) -> None:
    base = next(p for p in read_pairs(PAIRS) if p.from_stop == "下仁田駅" and p.to_stop == "本宿")
    straight = drive_pair(net, replace(base, chain_m=None))
    assert straight.ratio == straight.direct_ratio == pytest.approx(straight.drive_s / base.scheduled_s)
    loop = drive_pair(net, replace(base, chain_m=3 * straight.drive_m))
    assert loop.drive_s == straight.drive_s
    assert loop.ratio == pytest.approx(3 * straight.direct_ratio)
    short = drive_pair(net, replace(base, chain_m=0.5 * straight.drive_m))
    assert short.ratio == pytest.approx(straight.direct_ratio)


def test_cli_table_json_record_and_provenance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns("*.graphml", "calibration_*.json"))
    out = tmp_path / "cal.json"
    assert main(["--data-dir", str(data), "calibrate", str(PAIRS), "--json", str(out), "--record"]) == 0
    text = capsys.readouterr().out
    assert "median ratio" in text and "in band 0.45-1.05" in text and "main road of the drive" in text
    report = json.loads(out.read_text(encoding="utf-8"))
    assert len(report["results"]) == 136 and report["network"]["source"] == "facts-skeleton"
    net = RoadNetwork.load(data)
    prov = network_provenance(net)
    assert prov["kind"] == "facts-skeleton" and "not OpenStreetMap" in prov["kind_en"]
    assert prov["built_utc"] and prov["source"] == "kanra_tomioka_skeleton.osm"
    assert prov["calibration"]["median_ratio"] == report["summary"]["median_ratio"]
    assert prov["calibration"]["share_in_band"] == report["summary"]["share_in_band"]
    assert "OpenStreetMap ではない" in prov["caption_ja"]
    assert main(["--data-dir", str(data), "info"]) == 0
    assert f"calibration: median ratio {report['summary']['median_ratio']:.2f}" in capsys.readouterr().out
    # a record measured on another build of the network is not passed off as this one's
    rec = record_path(data, "facts-skeleton")
    stale = json.loads(rec.read_text(encoding="utf-8"))
    rec.write_text(json.dumps({**stale, "source_sha256": "0" * 64}), encoding="utf-8")
    assert network_provenance(net)["calibration"] is None
    assert network_provenance(net)["calibration_status"].startswith("stale")


def test_shipped_record_matches_the_shipped_skeleton(net: RoadNetwork) -> None:
    record = json.loads(record_path(DEFAULT_DATA_DIR, "facts-skeleton").read_text(encoding="utf-8"))
    assert record["source_sha256"] == net.graph.graph["source_sha256"]
    fresh = calibrate(net, read_pairs(PAIRS))["summary"]
    assert (record["median_ratio"], record["share_in_band"]) == (fresh["median_ratio"], fresh["share_in_band"])


def test_calibrate_works_on_a_real_extract(mini_osm: Path, facts_dir: Path) -> None:
    build_extract(mini_osm, facts_dir, simplify=False)
    net = RoadNetwork.load(facts_dir)
    pairs_csv = facts_dir / "pairs.csv"
    with pairs_csv.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["feed", "from_stop", "to_stop", "from_lat", "from_lon", "to_lat", "to_lon", "sched_min_median"])
        w.writerow(["x", "a", "b", 36.2500, 138.8800, 36.2550, 138.8900, 5])
    report = calibrate(net, read_pairs(pairs_csv), min_km=0)
    (r,) = report["results"]
    assert report["network"]["source"] == "osm-extract"
    assert 0 < r["drive_s"] < 600 and r["ratio"] == pytest.approx(r["drive_s"] / 300, rel=1e-3)
    assert network_provenance(net)["kind_en"] == "OpenStreetMap extract"
    assert network_provenance(net)["calibration"] is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no pairs"),
        ("from_lat,from_lon,to_lat\n36.2,138.8,36.3\n", "missing column(s) to_lon, sched_min_median"),
        ("from_lat,from_lon,to_lat,to_lon,sched_min_median\n36.2,138.8,36.3,138.9,soon\n", "line 2"),
        ("from_lat,from_lon,to_lat,to_lon,sched_min_median\n36.2,138.8,36.3,138.9,0\n", "must be positive"),
    ],
)
def test_bad_pairs_files_are_routing_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "pairs.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RoutingError) as exc:
        read_pairs(path)
    assert message in str(exc.value)


def test_bad_file_exits_2_with_a_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    for args in (["calibrate", str(tmp_path / "missing.csv")], ["calibrate", str(bad)],
                 ["calibrate", str(PAIRS), "--min-km", "-1"]):
        done = subprocess.run([sys.executable, "-m", "routing", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 2, args
        assert done.stderr.startswith("error:") and "Traceback" not in done.stderr
