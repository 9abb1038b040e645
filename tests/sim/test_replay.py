import pytest

from dispatch.model import TimeKind
from routing.facts import load_facts
from sim.replay import read_bookings_csv
from sim.schema import ScenarioError

HEADER = "id,booking_time,requested_time,origin,destination,party,wheelchair,time_kind,cancel_time,no_show\n"
GOOD = (
    HEADER
    + "a,2026-11-28T10:00,2026-12-01T09:30,st:Joshu-Tomioka,tomioka_general_hospital,2,1,,,\n"
    + 'b,2026-12-01T08:40,2026-12-01T10:00,"36.2599,138.8899",oz:富岡市/七日市,1,0,arrive_by,,1\n'
    + "c,2026-12-01T09:00,2026-12-02T11:00+09:00,tomioka_city_hall,st:Shimonita,1,,,2026-12-02T08:00,\n"
)


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def test_reads_places_points_times_and_days(tmp_path, facts):
    path = tmp_path / "b.csv"
    path.write_text(GOOD, encoding="utf-8")
    demand = read_bookings_csv(path, facts)
    assert demand.start_date.isoformat() == "2026-12-01" and demand.days == 2
    a, b, c = sorted(demand.requests, key=lambda r: r.id)
    assert (a.day, a.requested_time, a.booked_at) == (0, 9 * 3600 + 1800, -3 * 86_400 + 10 * 3600)
    assert (a.seats, a.wheelchairs, a.origin.key, a.origin.jis_code) == (1, 1, "st:Joshu-Tomioka", "10210")
    assert b.origin.key is None and b.origin.lat == pytest.approx(36.2599)
    assert (b.time_kind, b.no_show) == (TimeKind.ARRIVE_BY, True)
    assert (c.day, c.requested_time, c.cancel_at, c.booked_at) == (1, 11 * 3600, 8 * 3600, 9 * 3600 - 86_400)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("x,2026-12-01T08:00,2026-12-01 9h,st:Shimonita,tomioka_city_hall,1,0,,,", "requested_time '2026-12-01 9h'"),
        ("x,2026-12-01T08:00,2026-12-01T09:00,moon,tomioka_city_hall,1,0,,,", "origin 'moon' is neither"),
        ("x,2026-12-01T08:00,2026-12-01T09:00,st:Shimonita,tomioka_city_hall,0,0,,,", "party must be at least 1"),
        ("x,2026-12-01T08:00,2026-12-01T09:00,st:Shimonita,tomioka_city_hall,1,2,,,", "wheelchair (2) exceeds"),
        ("x,2026-12-01T08:00,2026-12-01T09:00,st:Shimonita,tomioka_city_hall,one,0,,,", "party 'one' is not"),
        ("x,2026-12-01T10:00,2026-12-01T09:00,st:Shimonita,tomioka_city_hall,1,0,,,", "booking_time is after"),
        ("x,2026-12-01T08:00,2026-12-01T09:00,st:Shimonita,tomioka_city_hall,1,0,soon,,", "time_kind 'soon'"),
        ("x,2026-12-01T08:00,2026-12-01T09:00,st:Shimonita,tomioka_city_hall,1,0,,,maybe", "no_show 'maybe'"),
        ('x,2026-12-01T08:00,2026-12-01T09:00,"35.0,135.0",tomioka_city_hall,1,0,,,', "lies outside"),
        ("x,2026-12-01T08:00,2026-12-01T09:00,st:Shimonita,tomioka_city_hall,1,0,,,,extra", "more fields"),
    ],
)
def test_malformed_row_is_reported_with_its_line(tmp_path, facts, row, message):
    path = tmp_path / "b.csv"
    path.write_text(GOOD + row + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        read_bookings_csv(path, facts)
    text = str(err.value)
    assert "b.csv:5: " in text and message in text


def test_header_problems_and_duplicates(tmp_path, facts):
    path = tmp_path / "b.csv"
    path.write_text("booking_time,origin\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"b.csv:1: missing column\(s\) requested_time"):
        read_bookings_csv(path, facts)
    path.write_text(HEADER.strip() + ",colour\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"unknown column\(s\) colour"):
        read_bookings_csv(path, facts)
    path.write_text(GOOD + GOOD.splitlines()[1] + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="b.csv:5: duplicate id 'a'"):
        read_bookings_csv(path, facts)
    with pytest.raises(ScenarioError, match="does not exist"):
        read_bookings_csv(tmp_path / "none.csv", facts)


def test_a_replayed_booking_may_name_a_stop_pole(tmp_path, facts):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "s,2026-12-01T08:00,2026-12-01T10:00,stop:tomioka/富岡駅,stop:tomioka/総合病院,1,0,,,\n",
                    encoding="utf-8")
    (request,) = read_bookings_csv(path, facts).requests
    assert (request.origin.key, request.destination.key) == ("stop:tomioka/富岡駅", "stop:tomioka/総合病院")
    assert request.origin.jis_code == "10210"
