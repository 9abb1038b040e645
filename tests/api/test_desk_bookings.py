"""What the phone desk reads out and records, over HTTP on the real Redis and the real Dispatcher:
vehicle labels and fares, statuses that match the booking, refusals in Japanese with alternatives and a
split for a large party, cancellation with a reason and its deadline, and the shared call-back list."""

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from dispatch.fares import FareTable

from .conftest import at, key_header, tomorrow

OP = key_header("operator")
_keys = iter(range(1, 10_000))


def _rider(client, **extra):
    body = {"name": "富岡 はな", "phone": f"0274-62-{next(_keys):04d}", "home": {"place": "oz:富岡市/七日市"}, **extra}
    response = client.post("/riders", json=body, headers=OP)
    assert response.status_code == 201, response.text
    return response.json()


def _book(client, rider, hhmm="10:00", **extra):
    body = {"rider_id": rider["id"], "pickup": {"place": "tomioka_general_hospital"},
            "dropoff": {"place": "st:Joshu-Tomioka"}, "time": at(tomorrow(), hhmm), **extra}
    response = client.post("/bookings", json=body, headers={**OP, "Idempotency-Key": f"desk-{next(_keys):06d}"})
    assert response.status_code in (200, 201), response.text
    return response.json()


def _fleets(client):
    return {v["id"]: (v["municipality"], v["label"]) for v in client.get("/vehicles", headers=OP).json()}


def test_offer_names_the_vehicle_by_label_and_prices_the_riders_fare(client):
    senior = _rider(client, fare_class="senior")
    booking = _book(client, senior, seats=2)
    assert booking["state"] == "offered" and booking["rider_name"] == "富岡 はな"
    offer = booking["offer"]
    fleet, label = _fleets(client)[offer["vehicle_id"]]
    assert offer["vehicle_label"] == label and "号" in label
    # a senior living in Tomioka pays the resident fare (not the other fare), for both riders of the party
    assert offer["fare_yen"] == 2 * FareTable().drt_fare(fleet, "10210", "resident") > 0
    visitor = _rider(client, fare_class="visitor", home=None)
    priced = _book(client, visitor, "11:00")["offer"]
    assert priced["fare_yen"] == FareTable().drt_fare(_fleets(client)[priced["vehicle_id"]][0], "10210", "other")


def test_declined_and_cancelled_read_as_such(client):
    rider = _rider(client)
    declined = client.post(f"/bookings/{_book(client, rider)['id']}/decline", headers=OP).json()
    assert declined["status"] == "cancelled" and declined["state"] == "declined" and declined["vehicle_id"] is None
    booking = _book(client, rider, "11:00")
    client.post(f"/bookings/{booking['id']}/confirm", headers=OP)
    cancelled = client.post(f"/bookings/{booking['id']}/cancel", json={"reason": "illness", "note": "熱"}, headers=OP)
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["state"] == "cancelled" and body["cancellation"]["reason"] == "illness"
    assert body["cancellation"]["label_ja"] == "体調不良" and body["cancellation"]["note"] == "熱"
    assert body["cancellation"]["late"] is False and body["cancellation"]["by"].startswith("operator:")
    listed = {b["id"]: b for b in client.get("/bookings", params={"day": tomorrow()}, headers=OP).json()}
    assert listed[booking["id"]]["cancellation"]["reason"] == "illness"  # kept on the booking for the KPIs
    assert listed[declined["id"]]["state"] == "declined"


def test_a_late_cancellation_and_a_no_show_count_on_the_rider(settings, world, clean_redis):
    late_settings = settings.with_(cancel_deadline_s=3 * 86_400)  # every pickup is inside the deadline
    with TestClient(create_app(late_settings, world)) as client:
        rider = _rider(client)
        booking = _book(client, rider)
        assert booking["cancel_deadline"] < booking["offer"]["pickup_window"]["start"]
        client.post(f"/bookings/{booking['id']}/confirm", headers=OP)
        late = client.post(f"/bookings/{booking['id']}/cancel", json={"reason": "rider"}, headers=OP).json()
        assert late["cancellation"]["late"] is True
        operator_side = _book(client, rider, "11:00")
        client.post(f"/bookings/{operator_side['id']}/cancel", json={"reason": "operator"}, headers=OP)
        no_show = _book(client, rider, "12:00")
        client.post(f"/bookings/{no_show['id']}/cancel", json={"reason": "no_show"}, headers=OP)
        counted = client.get(f"/riders/{rider['id']}", headers=OP).json()
        assert (counted["late_cancel_count"], counted["no_show_count"]) == (1, 1)
        history = client.get(f"/riders/{rider['id']}/history", headers=OP).json()
        assert {next(iter(h["changes"])) for h in history} == {"late_cancel_count", "no_show_count"}


@pytest.mark.parametrize(("body", "field"), [
    ({"reason": "bored"}, "body.reason"),
    ({"note": "x"}, "body.reason"),
    ({"reason": "rider", "note": "x" * 301}, "body.note"),
    ({"reason": "rider", "extra": 1}, "body.extra"),
])
def test_bad_cancellations_name_the_field(client, body, field):
    booking = _book(client, _rider(client))
    response = client.post(f"/bookings/{booking['id']}/cancel", json=body, headers=OP)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == field, response.text
    assert client.get(f"/bookings/{booking['id']}", headers=OP).json()["status"] == "offered"


def test_out_of_hours_refusal_is_japanese_with_first_and_last_times(client):
    refused = _book(client, _rider(client), "05:00")
    assert refused["state"] == "rejected"
    rejection = refused["rejection"]
    assert rejection["reason"] == "outside_service_hours" and "運行時間外" in rejection["message_ja"]
    assert "08:00" in rejection["message_ja"] and rejection["message"]  # English second
    first, last = rejection["alternatives"]
    assert first.endswith("T08:00:00+09:00") and "T08:00" < last[10:16] <= "T17:00"
    retried = _book(client, _rider(client), last[11:16])  # the last time offered can really be booked
    assert retried["state"] == "offered", retried["rejection"]
    arrive = _book(client, _rider(client), "08:05", time_kind="arrive_by")["rejection"]
    assert arrive["reason"] == "outside_service_hours" and arrive["alternatives"][0][11:16] > "08:05"


def test_a_party_larger_than_any_vehicle_gets_a_split(client):
    refused = _book(client, _rider(client), seats=8)
    rejection = refused["rejection"]
    assert rejection["reason"] == "party_too_large" and "人数" in rejection["message_ja"]
    assert rejection["split"] == [{"seats": 4, "wheelchairs": 0}, {"seats": 4, "wheelchairs": 0}]


def test_call_back_list_is_shared_and_survives_a_restart(settings, world, client):
    rider = _rider(client)
    refused = _book(client, rider, "05:00")
    added = client.post("/callbacks", json={"booking_id": refused["id"], "note": "午後に再度"}, headers=OP)
    assert added.status_code == 201, added.text
    entry = added.json()
    assert entry["rider_id"] == rider["id"] and entry["rider_name"] == "富岡 はな"
    assert "運行時間外" in entry["reason_ja"]
    with TestClient(create_app(settings, world)) as other_desk:  # another process, same Redis
        listed = other_desk.get("/callbacks", headers=key_header("dispatcher")).json()
        assert [e["id"] for e in listed] == [entry["id"]]
        done = other_desk.post(f"/callbacks/{entry['id']}/done", headers=OP)
        assert done.status_code == 200 and done.json()["status"] == "done"
    assert client.get("/callbacks", headers=OP).json() == []
    assert [e["id"] for e in client.get("/callbacks?status=done", headers=OP).json()] == [entry["id"]]
    for body, field in (({}, "body"), ({"booking_id": "bk-none"}, "body.booking_id"),
                        ({"rider_id": "rd-none"}, "body.rider_id")):
        bad = client.post("/callbacks", json=body, headers=OP)
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == field, bad.text
    assert client.get("/callbacks?status=maybe", headers=OP).status_code == 422


def test_the_catalogue_is_flat_sorted_prefixed_and_bilingual():
    from api import messages

    raw = messages.CATALOGUE.read_text(encoding="utf-8")
    catalogue = json.loads(raw)
    assert list(catalogue) == sorted(catalogue)
    for key, entry in catalogue.items():
        assert key.split(".")[0] in messages.PREFIXES, key
        assert set(entry) == {"ja", "en"} and entry["ja"] and entry["en"], key
    assert messages.text("refusal.outside_service_hours", start="08:00", end="17:00").startswith("運行時間外")


def test_every_message_key_the_console_uses_is_in_the_catalogue():
    import re

    from api import messages

    static = messages.CATALOGUE.parent
    used = set()
    for path in [*static.glob("*.html"), *static.glob("js/*.js")]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n(?:-placeholder|-title)?="([\w.]+)"', text))
        used |= set(re.findall(r'\b(?:t|en|both|pair)\("([\w.]+)"', text))
    assert len(used) > 60
    assert sorted(k for k in used if not messages.has(k)) == []


def test_a_lapsed_offer_reads_as_lapsed_and_names_no_vehicle(settings, world, clean_redis):
    import time
    from dataclasses import replace

    quick = settings.with_(offer_hold_s=1)
    with TestClient(create_app(quick, replace(world, offer_hold_s=1))) as client:
        rider = _rider(client)
        first = _book(client, rider)
        time.sleep(2.1)
        _book(client, rider, "11:00")  # any later command moves the engine's clock
        lapsed = client.get(f"/bookings/{first['id']}", headers=OP).json()
        assert lapsed["status"] == "requested" and lapsed["state"] == "lapsed"
        assert lapsed["vehicle_id"] is None and lapsed["offer"]["hold_until"] is None


def test_refused_changes_say_why_in_japanese_too(client):
    booking = _book(client, _rider(client))
    refused = client.patch(f"/bookings/{booking['id']}", json={"time": at(tomorrow(), "05:00")}, headers=OP)
    assert refused.status_code == 409, refused.text
    item = refused.json()["detail"][0]
    assert item["reason"] and item["reason_ja"].startswith("変更できませんでした") and "運行時間外" in item["reason_ja"]
    assert client.get(f"/bookings/{booking['id']}", headers=OP).json()["state"] == "offered"  # the old one stands
    client.post(f"/bookings/{booking['id']}/cancel", json={"reason": "rider"}, headers=OP)
    again = client.post(f"/bookings/{booking['id']}/confirm", headers=OP).json()["detail"][0]
    assert again["reason_ja"] == "確定できませんでした（取消）" and "cancelled" in again["reason"]
