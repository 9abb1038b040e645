"""The pattern timetable meets the service facts it is built from."""

from __future__ import annotations

import shutil
from itertools import pairwise
from pathlib import Path

import pytest

from dispatch.rail.generate import DEFAULT_FACTS_DIR
from dispatch.rail.pattern import (
    FactsError,
    ServicePattern,
    build_trips,
    pick_short_turns,
    read_pattern,
    read_running_minutes,
    read_stations,
    spread_departures,
)

HH = 3600


@pytest.fixture(scope="module")
def stations():
    return read_stations(DEFAULT_FACTS_DIR)


@pytest.fixture(scope="module")
def trips(stations):
    return build_trips(read_pattern(DEFAULT_FACTS_DIR), stations)


def test_facts_are_read_from_the_markdown():
    p = read_pattern(DEFAULT_FACTS_DIR)
    assert (p.round_trips, p.short_turns) == (33, 3)
    assert (p.first_down, p.last_down) == (5 * HH + 52 * 60, 23 * HH + 10 * 60)
    assert (p.max_gap_near_min, p.max_gap_beyond_min) == (40, 60)


def test_thirty_three_trains_each_way_three_turning_at_joshu_tomioka(trips):
    for direction in (0, 1):
        mine = [t for t in trips if t.direction == direction]
        assert len(mine) == 33
        ends = {(t.calls[0][0].name_en, t.calls[-1][0].name_en) for t in mine}
        short = [t for t in mine if "Joshu-Tomioka" in (t.calls[0][0].name_en, t.calls[-1][0].name_en)]
        assert len(short) == 3
        full = ("Takasaki", "Shimonita") if direction == 0 else ("Shimonita", "Takasaki")
        assert full in ends


def test_first_and_last_train_from_takasaki(trips):
    starts = sorted(t.calls[0][1] for t in trips if t.direction == 0)
    assert starts[0] == 5 * HH + 52 * 60
    assert starts[-1] == 23 * HH + 10 * 60


def _passing_times(trips, direction, name):
    return sorted(at for t in trips if t.direction == direction for s, at in t.calls if s.name_en == name)


@pytest.mark.parametrize("direction", [0, 1])
def test_gaps_match_the_facts(trips, direction):
    near = _passing_times(trips, direction, "Yoshii")
    beyond = _passing_times(trips, direction, "Shimonita")
    near_gaps = [b - a for a, b in pairwise(near)]
    beyond_gaps = [b - a for a, b in pairwise(beyond)]
    assert len(near) == 33 and len(beyond) == 30
    assert max(near_gaps) <= 40 * 60
    assert max(near_gaps) >= 35 * 60, "the daytime gap should be close to the stated 40 min"
    assert max(beyond_gaps) <= 60 * 60
    assert max(beyond_gaps) >= 50 * 60, "short-turns should leave gaps of about an hour beyond Joshu-Tomioka"
    assert min(near_gaps) >= 15 * 60


def test_run_times_follow_station_minutes(trips, stations):
    by_name = {s.name_en: s for s in stations}
    down = next(t for t in trips if t.direction == 0 and t.calls[-1][0].name_en == "Shimonita")
    times = {s.name_en: at for s, at in down.calls}
    # the 2026 timetable's median running times (joshin_running_minutes_2026.csv)
    assert times["Joshu-Tomioka"] - times["Takasaki"] == 37 * 60
    assert times["Shimonita"] - times["Takasaki"] == 61 * 60
    assert times["Shimonita"] - times["Sendaira"] == 7 * 60  # the longest run, up the valley
    up = next(t for t in trips if t.direction == 1 and t.calls[0][0].name_en == "Shimonita")
    up_times = {s.name_en: at for s, at in up.calls}
    assert up_times["Joshu-Tomioka"] - up_times["Shimonita"] == 24 * 60
    assert [s.name_en for s, _ in up.calls] == [s.name_en for s in reversed(stations)]
    for t in trips:
        assert all(a < b for (_, a), (_, b) in pairwise(t.calls))
        assert all(s.name_en in by_name for s, _ in t.calls)


def test_spread_puts_more_trains_in_the_peak():
    deps = spread_departures(6 * HH, 20 * HH, 20, {h: (3.0 if h in (7, 8) else 1.0) for h in range(24)})
    gaps = {deps[i]: deps[i + 1] - deps[i] for i in range(len(deps) - 1)}
    peak = [g for t, g in gaps.items() if 7 * HH <= t < 9 * HH - 1800]
    midday = [g for t, g in gaps.items() if 11 * HH <= t < 15 * HH]
    assert max(peak) < min(midday)
    assert deps[0] == 6 * HH and deps[-1] == 20 * HH


def test_short_turns_never_neighbours_and_respect_the_limit():
    deps = [i * 20 * 60 for i in range(12)]
    chosen = pick_short_turns(deps, 3, 40 * 60)
    assert len(chosen) == 3
    assert all(abs(a - b) > 1 for a in chosen for b in chosen if a != b)
    assert 0 not in chosen and 11 not in chosen
    with pytest.raises(FactsError, match="cannot turn"):
        pick_short_turns(deps, 3, 30 * 60)


def test_impossible_gap_is_refused(stations):
    with pytest.raises(FactsError, match="gap"):
        build_trips(ServicePattern(round_trips=10), stations)


def test_missing_fact_is_named(tmp_path: Path):
    shutil.copy(DEFAULT_FACTS_DIR / "stations.csv", tmp_path / "stations.csv")
    (tmp_path / "service_facts.md").write_text("# Joshin line\nno timetable here\n", encoding="utf-8")
    with pytest.raises(FactsError, match="trip count"):
        read_pattern(tmp_path)
    with pytest.raises(FactsError, match="missing"):
        read_stations(tmp_path / "nowhere")


def test_running_minutes_chain_from_takasaki():
    minutes = read_running_minutes(DEFAULT_FACTS_DIR)
    assert minutes is not None and len(minutes) == 21
    assert (minutes["高崎"], minutes["上州富岡"], minutes["下仁田"]) == (0.0, 37.0, 61.0)
    assert minutes["吉井"] == 23.0  # 吉井(群馬) in the timetable


def test_without_running_times_the_estimated_minutes_apply(tmp_path: Path):
    shutil.copy(DEFAULT_FACTS_DIR / "stations.csv", tmp_path / "stations.csv")
    assert read_running_minutes(tmp_path) is None
    assert read_stations(tmp_path)[-1].minutes_from_takasaki == 60.0  # est_min_from_takasaki


def test_running_times_that_do_not_chain_are_refused(tmp_path: Path):
    shutil.copy(DEFAULT_FACTS_DIR / "stations.csv", tmp_path / "stations.csv")
    (tmp_path / "joshin_running_minutes_2026.csv").write_text(
        "from_station,to_station,median_run_min,cum_min_from_takasaki\n高崎(上信),南高崎,3,3\n山名,西山名,2,5\n",
        encoding="utf-8",
    )
    with pytest.raises(FactsError, match="does not continue the line"):
        read_stations(tmp_path)
    (tmp_path / "joshin_running_minutes_2026.csv").write_text(
        "from_station,to_station,median_run_min,cum_min_from_takasaki\n高崎(上信),南高崎,3,3\n", encoding="utf-8"
    )
    with pytest.raises(FactsError, match="no running time to 佐野のわたし"):
        read_stations(tmp_path)
