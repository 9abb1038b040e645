from collections import Counter
from dataclasses import replace

import pytest

from dispatch.model import TimeKind
from dispatch.rules import ServiceRules
from routing.facts import load_facts
from sim.demand import DemandGenerator, riders
from sim.demand_spec import DemandSpec, MunicipalityDemand

TOMIOKA = "10210"
RULES = ServiceRules()


@pytest.fixture(scope="module")
def facts():
    return load_facts()


def test_default_calibration_gives_tomioka_about_4000_rides_a_month(facts):
    """Tomioka's 愛タク carries more than 4,000 rides a month; the defaults reproduce that inside the city."""
    spec = DemandSpec()
    month = []
    for seed in (1, 2):
        month.append(DemandGenerator(spec, facts, RULES, seed).days(30))
    for requests in month:
        inside = [r for r in requests if r.home_jis == TOMIOKA and r.origin.jis_code == TOMIOKA
                  and r.destination.jis_code == TOMIOKA]
        assert 3_600 <= riders(inside) <= 4_400


def test_same_seed_same_requests_and_days_are_independent(facts):
    a = DemandGenerator(DemandSpec(), facts, RULES, 5)
    b = DemandGenerator(DemandSpec(), facts, RULES, 5)
    assert a.days(2) == b.days(2)
    assert a.day(1) == b.days(2)[len(b.day(0)):]  # day 1 does not depend on whether day 0 was drawn
    assert DemandGenerator(DemandSpec(), facts, RULES, 6).day(0) != a.day(0)


def test_requests_respect_service_hours_notice_and_horizon(facts):
    requests = DemandGenerator(DemandSpec(), facts, RULES, 3).days(3)
    assert len(requests) > 300
    for r in requests:
        assert RULES.service_start <= r.requested_time < RULES.service_end
        lead = r.requested_time - r.booked_at
        assert RULES.min_notice_s <= lead <= RULES.horizon_s
        assert r.origin.key != r.destination.key
        assert r.party_size >= 1 and r.wheelchairs in (0, 1) and r.seats >= 0
        if r.cancel_at is not None:
            assert r.booked_at <= r.cancel_at < r.requested_time
            assert not r.no_show
    prebooked = [r for r in requests if r.booked_at < 0]
    assert 0.3 < len(prebooked) / len(requests) < 0.8  # about the configured 55 %


def test_return_trips_follow_their_outbound(facts):
    requests = {r.id: r for r in DemandGenerator(DemandSpec(), facts, RULES, 4).day(0)}
    returns = [r for r in requests.values() if r.outbound_id]
    assert len(returns) > 0.6 * (len(requests) - len(returns))
    for back in returns:
        out = requests[back.outbound_id]
        assert (back.origin.key, back.destination.key) == (out.destination.key, out.origin.key)
        assert back.requested_time > out.requested_time
        assert back.party_size == out.party_size


def test_purposes_pick_matching_destinations(facts):
    kinds = {p.key: p.kind for p in facts.places}
    requests = DemandGenerator(DemandSpec(), facts, RULES, 2).days(5)
    for r in requests:
        kind = kinds[r.destination.key]
        if r.purpose == "hospital":
            assert kind in ("hospital", "clinic")
        elif r.purpose == "station":
            assert kind == "station"
        elif r.purpose == "municipal_office":
            assert kind == "municipal_office" and r.destination.jis_code == r.home_jis
    arrive_by = [r for r in requests if r.time_kind == TimeKind.ARRIVE_BY]
    assert arrive_by and all(r.purpose in ("hospital", "school") for r in arrive_by)


def test_zone_weights_and_scales_steer_demand(facts):
    zone = "oz:富岡市/七日市"
    heavy = DemandSpec(zone_weights={zone: 50.0})
    homes = Counter(r.origin.key for r in DemandGenerator(heavy, facts, RULES, 1).days(3) if r.outbound_id is None)
    assert homes.most_common(1)[0][0] == zone
    only_nanmoku = DemandSpec(municipalities={"Nanmoku": MunicipalityDemand(0.675, 1.0), "Tomioka":
                                              MunicipalityDemand(0.33, 0.0), "Kanra": MunicipalityDemand(0.3, 0.0),
                                              "Shimonita": MunicipalityDemand(0.4, 0.0)})
    requests = DemandGenerator(only_nanmoku, facts, RULES, 1).days(10)
    assert requests and {r.home_jis for r in requests} == {"10383"}
    double = DemandGenerator(replace(DemandSpec(), scale=2.0), facts, RULES, 1)
    assert double.expected_tours(TOMIOKA) == pytest.approx(2 * DemandGenerator(DemandSpec(), facts, RULES, 1)
                                                           .expected_tours(TOMIOKA))


def test_nanmoku_hospital_trips_cross_the_border(facts):
    """Nanmoku has no hospital: its hospital trips go to Shimonita or Tomioka (rejected in the baseline)."""
    requests = DemandGenerator(DemandSpec(scale=5.0), facts, RULES, 1).days(5)
    hospital = [r for r in requests if r.home_jis == "10383" and r.purpose == "hospital"]
    assert hospital and all(r.destination.jis_code != "10383" for r in hospital)
