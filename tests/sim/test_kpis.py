from collections import Counter

import pytest

from sim.kpis import compute_kpis, format_table, pooled_ids, trip_outcomes
from sim.records import LegRecord, RunRecords, VehicleRecord
from tests.sim.conftest import one_hour


def leg(id, status="completed", pickup=None, dropoff=None, vehicle="V1", requested=36000, promised=(36000, 36900),
        origin="oz:a", destination="oz:b", ojis="10210", djis="10210", seats=1, wheelchairs=0, trip=None, index=0,
        mode="drt", fare=100, reason=""):
    return LegRecord(
        id=id, day=0, mode=mode, booked_at=0, requested_time=requested, time_kind="depart_after", origin=origin,
        destination=destination, origin_jis=ojis, destination_jis=djis, seats=seats, wheelchairs=wheelchairs,
        trip_id=trip, leg_index=index, status=status, vehicle_id=vehicle, fleet_jis="10210",
        promised_start=promised[0], promised_end=promised[1], pickup_at=pickup, dropoff_at=dropoff, direct_s=600.0,
        fare_yen=fare, rejection_reason=reason,
    )


def records():
    legs = [
        leg("a", pickup=36300, dropoff=37200),                     # wait 5 min, ride 15 min, pooled with b
        leg("b", pickup=36900, dropoff=37800, requested=36000),    # wait 15 min, pooled with a
        leg("c", pickup=40000, dropoff=40600, requested=39000, promised=(39000, 39900), destination="st:Shimonita",
            djis="10382", seats=1, wheelchairs=1),                 # late: wait 16.7 min, not on time, crosses
        leg("d", status="rejected", reason="outside_service_area"),
        leg("e", status="cancelled"),
        leg("f", status="no_show"),
    ]
    vehicle = VehicleRecord("V1", 0, "10210", 7, 1, shift_s=9 * 3600, drive_s=3 * 3600, dwell_s=600,
                            distance_m=60_000, empty_m=15_000, passenger_m=54_000, boarded=4, runs=2,
                            metres_by_jis=Counter({"10210": 50_000, "10382": 10_000}))
    return RunRecords(legs=legs, vehicles=[vehicle], days=1)


def test_pooled_and_trip_outcomes():
    recs = records()
    assert pooled_ids(recs.legs) == {"a", "b"}
    chain = [leg("t/0", trip="t", index=0), leg("t/1", mode="rail", trip="t", index=1, status="no_show"),
             leg("u/0", trip="u", index=0)]
    outcomes = trip_outcomes(chain)
    assert outcomes["t"][0] == "no_show" and outcomes["u"][0] == "completed"


def test_system_kpis_from_hand_made_records():
    k = compute_kpis(records(), one_hour(), {"10210": "Tomioka", "10382": "Shimonita"})
    assert (k["requests"], k["served"], k["rejected"], k["cancelled"], k["no_shows"]) == (6, 3, 1, 1, 1)
    assert k["rejection_rate"] == pytest.approx(1 / 6, abs=1e-4)
    assert k["rejections_by_reason"] == {"outside_service_area": 1}
    assert k["riders_served"] == 4
    assert k["rides_per_vehicle_hour"] == pytest.approx(4 / 9, abs=0.01)
    assert k["passengers_per_run"] == 2.0
    assert k["pooled_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert k["occupancy_pkm_per_vkm"] == pytest.approx(0.9)
    assert k["empty_km_share"] == pytest.approx(0.25)
    assert k["wait_min"]["mean"] == pytest.approx((5 + 15 + 1000 / 60) / 3, abs=0.01)
    assert k["wait_under_10_min_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert k["wait_under_15_min_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert k["on_time_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert k["cross_municipal_trips"] == 1
    assert k["station_feeding"]["riders_by_station"] == {"Shimonita": 2}
    assert k["station_feeding"]["annualised_boardings_alightings"] == 730
    cost = 9 * one_hour().costs.vehicle_hour_yen + 60 * one_hour().costs.vehicle_km_yen
    assert k["cost_per_rider_yen"] == pytest.approx(cost / 4, abs=1)
    assert k["fare_recovery"] == pytest.approx(300 / cost, abs=1e-4)
    assert k["per_municipality_served"]["Shimonita"]["vehicle_km"] == 10.0
    assert k["per_fleet"]["Tomioka"]["vehicle_km"] == 60.0


def test_table_formats_every_row():
    k = compute_kpis(records(), one_hour())
    text = format_table({"A": k, "B": k})
    assert "rejection rate" in text and "16.7%" in text
    assert len(text.splitlines()) > 20
