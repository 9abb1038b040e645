"""Feed stops match road-network stations by name or position; buffers and walks per station."""

from __future__ import annotations

import pytest

from dispatch.rail import RailStop, StationAccess, StationIndex, Timetable
from dispatch.rail.gtfs import read_gtfs
from dispatch.rail.timetable import Call, Train
from routing.facts import load_facts


@pytest.fixture(scope="module")
def stations():
    return load_facts().stations


def test_generated_feed_matches_every_station(stations):
    index = StationIndex(stations, read_gtfs())
    assert len(index.station_keys) == 21
    assert index.stop_of("st:Shimonita") == "joshin_21"
    assert index.key_of("joshin_14") == "st:Joshu-Tomioka"
    assert index.stop_of("st:Nowhere") is None
    with pytest.raises(KeyError, match="not a known station"):
        index.key_of("x")


def test_a_foreign_feed_matches_by_name_or_position(stations):
    tomioka = next(s for s in stations if s.name_en == "Joshu-Tomioka")
    shimonita = next(s for s in stations if s.name_en == "Shimonita")
    stops = [
        RailStop("9001", "上州富岡駅", 0.0, 0.0),  # name with 駅, position unknown
        RailStop("9002", "Shimonita Sta.", shimonita.lat + 0.001, shimonita.lon),  # ~110 m off, other name
        RailStop("9999", "far away depot", 35.0, 139.0),  # unserved: ignored
    ]
    train = Train("t1", 1, "高崎", (Call("9002", 100, 100), Call("9001", 1300, 1300)))
    index = StationIndex(stations, Timetable(stops, [train]))
    assert index.stop_of("st:Joshu-Tomioka") == "9001"
    assert index.stop_of("st:Shimonita") == "9002"
    assert tomioka.key in index.station_keys


def test_unmatched_served_stop_is_an_error(stations):
    stops = [RailStop("a", "Atlantis", 35.0, 139.0), RailStop("b", "下仁田", 0.0, 0.0)]
    train = Train("t1", 0, "x", (Call("a", 0, 0), Call("b", 60, 60)))
    with pytest.raises(ValueError, match="Atlantis"):
        StationIndex(stations, Timetable(stops, [train]))


def test_buffers_access_and_walks():
    access = StationAccess.from_dict({"transfer_buffer_s": 300, "buffers": {"st:Takasaki": 600}})
    assert access.buffer_at("st:Shimonita") == 300
    assert access.buffer_at("st:Takasaki") == 600
    assert access.access_at("st:Shimonita") == 120
    near = access.walk(36.2605, 138.8919, 36.2620, 138.8919)  # ~167 m apart
    assert near is not None and near[1] == pytest.approx(167 * 1.3, rel=0.02)
    assert near[0] == pytest.approx(near[1] / access.walk_speed_mps)
    assert access.walk(36.26, 138.89, 36.30, 138.89) is None
    with pytest.raises(ValueError, match="unknown station access"):
        StationAccess.from_dict({"buffer": 5})
    with pytest.raises(ValueError):
        StationAccess(transfer_buffer_s=-1)
