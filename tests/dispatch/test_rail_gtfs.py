"""The committed GTFS feed is what the generator writes, and any feed of the line reads into a Timetable."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dispatch.rail.generate import DEFAULT_FACTS_DIR, generate, main
from dispatch.rail.gtfs import DEFAULT_GTFS_DIR, GtfsError, gtfs_time, parse_gtfs_time, read_gtfs

HH = 3600
FILES = ("agency.txt", "routes.txt", "stops.txt", "trips.txt", "stop_times.txt", "calendar.txt")


def test_committed_feed_is_reproducible(tmp_path: Path):
    written = generate(DEFAULT_FACTS_DIR, tmp_path)
    assert sorted(p.name for p in written) == sorted(FILES)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEFAULT_GTFS_DIR / name).read_bytes(), f"{name} differs"


def test_cli_writes_feed_and_fails_cleanly(tmp_path: Path, capsys):
    assert main(["generate", "--facts", str(DEFAULT_FACTS_DIR), "--out", str(tmp_path / "feed")]) == 0
    assert (tmp_path / "feed" / "stop_times.txt").is_file()
    assert main(["generate", "--facts", str(tmp_path / "nothing"), "--out", str(tmp_path / "x")]) == 2
    assert "missing" in capsys.readouterr().err


def test_times_round_trip():
    assert parse_gtfs_time("05:52:00") == 5 * HH + 52 * 60
    assert parse_gtfs_time(" 5:52:00") == 5 * HH + 52 * 60
    assert parse_gtfs_time("24:10:00") == 24 * HH + 600
    assert gtfs_time(24 * HH + 600) == "24:10:00"
    for bad in ("5:52", "ab:00:00", "10:61:00"):
        with pytest.raises(ValueError):
            parse_gtfs_time(bad)


@pytest.fixture()
def timetable():
    return read_gtfs(DEFAULT_GTFS_DIR, "2026-12-01")


def test_reads_every_train_of_the_day(timetable):
    assert len(timetable) == 66
    assert len(timetable.stops) == 21
    down = timetable.connections("joshin_01", "joshin_21")
    assert len(down) == 30
    assert down[0].departure == 5 * HH + 52 * 60
    assert all(c.arrival - c.departure == 61 * 60 for c in down)  # 2026 median running time
    assert down[0].km == pytest.approx(33.7)


def test_departures_and_arrivals_queries(timetable):
    after = timetable.departures("joshin_21", "joshin_14", earliest=9 * HH, limit=2)
    assert len(after) == 2 and all(c.departure >= 9 * HH for c in after)
    assert after[0].departure < after[1].departure
    assert all(c.arrival - c.departure == 24 * 60 for c in after)  # Shimonita -> Joshu-Tomioka
    before = timetable.arrivals("joshin_21", "joshin_14", latest=10 * HH, limit=2)
    assert before[0].arrival <= 10 * HH and before[0].arrival > before[1].arrival
    # nothing runs Joshu-Tomioka -> Shimonita against the direction of travel on an up train
    assert timetable.connection(after[0].train_id, "joshin_14", "joshin_21") is None


def test_delay_shifts_the_train_and_keeps_the_schedule(timetable):
    conn = timetable.departures("joshin_21", "joshin_14", earliest=9 * HH, limit=1)[0]
    timetable.set_delay(conn.train_id, 600)
    late = timetable.connection(conn.train_id, "joshin_21", "joshin_14")
    assert late.departure == conn.departure + 600 and late.arrival == conn.arrival + 600
    assert late.scheduled_arrival == conn.arrival and late.delay_s == 600
    nxt = timetable.next_after(late)
    assert nxt is not None and nxt.departure > late.departure
    with pytest.raises(ValueError):
        timetable.set_delay(conn.train_id, -60)
    with pytest.raises(KeyError, match="no train"):
        timetable.set_delay("nope", 60)


def _rewrite(src: Path, dst: Path, name: str, fn) -> None:
    with (src / name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows = fn(rows)
    with (dst / name).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_calendar_dates_and_service_filter(tmp_path: Path):
    for name in FILES:
        (tmp_path / name).write_bytes((DEFAULT_GTFS_DIR / name).read_bytes())
    # a weekday-only service for the first ten down trains, and a holiday exception removing it
    _rewrite(tmp_path, tmp_path, "trips.txt",
             lambda rows: [{**r, "service_id": "weekday" if r["trip_id"] in {f"D{i:02d}" for i in range(1, 11)}
                            else r["service_id"]} for r in rows])
    with (tmp_path / "calendar.txt").open("a", encoding="utf-8") as fh:
        fh.write("weekday,1,1,1,1,1,0,0,20260401,20270331\n")
    (tmp_path / "calendar_dates.txt").write_text(
        "service_id,date,exception_type\nweekday,20261203,2\n", encoding="utf-8")
    assert len(read_gtfs(tmp_path, "2026-12-01")) == 66  # Tuesday
    assert len(read_gtfs(tmp_path, "2026-12-05")) == 56  # Saturday
    assert len(read_gtfs(tmp_path, "2026-12-03")) == 56  # weekday holiday
    with pytest.raises(GtfsError, match="no train runs"):
        read_gtfs(tmp_path, "2030-01-01")


def test_malformed_feed_names_file_and_line(tmp_path: Path):
    for name in FILES:
        (tmp_path / name).write_bytes((DEFAULT_GTFS_DIR / name).read_bytes())
    _rewrite(tmp_path, tmp_path, "stop_times.txt",
             lambda rows: [{**r, "arrival_time": "7 o'clock"} if i == 5 else r for i, r in enumerate(rows)])
    with pytest.raises(GtfsError, match=r"stop_times.txt line 7"):
        read_gtfs(tmp_path)
    (tmp_path / "stops.txt").unlink()
    with pytest.raises(GtfsError, match="stops.txt is missing"):
        read_gtfs(tmp_path)
