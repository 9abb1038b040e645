"""Standing bookings (定期予約) over HTTP on the real Redis and Dispatcher: a two-week weekly pattern booked
as its dates enter the horizon, never twice; skip, pause, end; conflicts on the call-back list; the series
outlives the API process."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.timefmt import now_jst

from .conftest import key_header

OP = key_header("operator")
HORIZON_DAYS = 5


def _rider(client, phone="0274-62-7777"):
    return client.post("/riders", json={"name": "甘楽 透析", "phone": phone}, headers=OP).json()


def _series(rider, **extra):
    start = now_jst().date() + timedelta(days=1)
    body = {"rider_id": rider["id"], "weekdays": [0, 1, 2, 3, 4, 5, 6], "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=13)).isoformat(), "pickup": {"place": "oz:富岡市/七日市"},
            "dropoff": {"place": "tomioka_general_hospital"}, "time": "08:30", "return_time": "12:30"}
    return {**body, **extra}


def _inside_horizon(iso: str, hhmm: str = "08:30") -> bool:
    day = date.fromisoformat(iso)
    moment = now_jst().replace(year=day.year, month=day.month, day=day.day, hour=int(hhmm[:2]),
                               minute=int(hhmm[3:]), second=0, microsecond=0)
    return timedelta(minutes=15) <= moment - now_jst() <= timedelta(days=HORIZON_DAYS)


def test_two_weeks_are_booked_as_they_enter_the_horizon(settings, world, client):
    rider = _rider(client)
    created = client.post("/standing-bookings", json=_series(rider), headers=OP)
    assert created.status_code == 201, created.text
    series = created.json()
    assert series["pattern_ja"] == "月・火・水・木・金・土・日" and series["status"] == "active"
    dates = {d["date"]: d for d in series["dates"]}
    booked = sorted(d for d, o in dates.items() if o["state"] == "booked")
    # a date is booked once both legs (08:30 and back at 12:30) are inside the horizon
    assert booked == sorted(d for d in dates if _inside_horizon(d) and _inside_horizon(d, "12:30"))
    assert 4 <= len(booked) <= HORIZON_DAYS
    assert all(o["state"] == "pending" for d, o in dates.items() if d not in booked)
    assert len(dates) == 13  # tomorrow .. the 13th day (the window shows 14 days from today)
    for day in booked:
        for leg in ("outbound", "return"):
            b = client.get(f"/bookings/{dates[day][leg]}", headers=OP).json()
            assert b["status"] in ("confirmed", "assigned") and b["standing_id"] == series["id"], b
            assert b["time"].startswith(day)
    # materialising again (another process, e.g. tomorrow's run) books nothing twice
    with TestClient(create_app(settings, world)) as other:
        again = other.post("/standing-bookings/materialise", headers=OP).json()
        assert again == {"series": 1, "placed": 0}
    total = sum(len(client.get("/bookings", params={"day": d}, headers=OP).json()) for d in booked)
    assert total == 2 * len(booked)

    skipped_day = booked[0]
    skipped = client.post(f"/standing-bookings/{series['id']}/skip", json={"date": skipped_day}, headers=OP).json()
    assert next(d for d in skipped["dates"] if d["date"] == skipped_day)["state"] == "skipped"
    gone = client.get("/bookings", params={"day": skipped_day}, headers=OP).json()
    assert {b["status"] for b in gone} == {"cancelled"} and gone[0]["cancellation"]["reason"] == "rider"

    paused = client.post(f"/standing-bookings/{series['id']}/pause", headers=OP).json()
    assert paused["status"] == "paused"
    ended = client.post(f"/standing-bookings/{series['id']}/end", json={"date": booked[1]}, headers=OP).json()
    assert ended["status"] == "ended" and ended["end_date"] == booked[1]
    later = [d for d in booked if d > booked[1]]
    assert all(b["status"] == "cancelled" for d in later
               for b in client.get("/bookings", params={"day": d}, headers=OP).json())
    assert client.post(f"/standing-bookings/{series['id']}/resume", headers=OP).status_code == 409
    listed = client.get("/standing-bookings", params={"rider_id": rider["id"]}, headers=OP).json()
    assert [s["id"] for s in listed] == [series["id"]]


def test_occurrences_that_cannot_be_placed_go_on_the_call_back_list(client):
    rider = _rider(client, "0274-62-7778")
    series = client.post("/standing-bookings", json=_series(rider, seats=8, return_time=None), headers=OP).json()
    assert series["conflicts"]
    assert all(d["state"] == "conflict" for d in series["dates"] if d["date"] in series["conflicts"])
    callbacks = client.get("/callbacks", headers=OP).json()
    assert len(callbacks) == len(series["conflicts"])
    for entry in callbacks:
        assert entry["rider_id"] == rider["id"] and "定期予約" in entry["summary"] and "人数" in entry["reason_ja"]


def test_an_occurrence_clashing_with_a_phone_booking_is_a_conflict(client):
    rider = _rider(client, "0274-62-7779")
    day = (now_jst().date() + timedelta(days=2)).isoformat()
    phoned = client.post("/bookings", headers={**OP, "Idempotency-Key": "standing-clash-1"}, json={
        "rider_id": rider["id"], "pickup": {"place": "oz:富岡市/七日市"}, "dropoff": {"place": "st:Joshu-Tomioka"},
        "time": f"{day}T09:00:00+09:00"}).json()
    series = client.post("/standing-bookings", json=_series(rider), headers=OP).json()
    clash = next(d for d in series["dates"] if d["date"] == day)
    assert clash["state"] == "conflict" and phoned["id"] in clash["problem"]
    assert day in series["conflicts"]
    assert any("別の予約" in c["reason_ja"] for c in client.get("/callbacks", headers=OP).json())


@pytest.mark.parametrize(("extra", "field"), [
    ({"weekdays": []}, "body.weekdays"),
    ({"weekdays": [7]}, "body.weekdays.0"),
    ({"weekdays": [1, 1]}, "body"),
    ({"time": "25:00"}, "body.time"),
    ({"return_time": "08:00"}, "body"),
    ({"end_date": "2020-01-01"}, "body"),
    ({"start_date": "2026-02-30"}, "body.start_date"),
    ({"rider_id": "rd-none"}, "body.rider_id"),
    ({"pickup": {"place": "nowhere"}}, "body.pickup.place"),
])
def test_bad_series_name_the_field(client, extra, field):
    response = client.post("/standing-bookings", json=_series(_rider(client), **extra), headers=OP)
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == field, response.text


def test_standing_roles(client):
    assert client.get("/standing-bookings", headers=key_header("driver")).status_code == 403
    assert client.get("/standing-bookings", headers=key_header("planner")).status_code == 200
    assert client.post("/standing-bookings/materialise", headers=key_header("planner")).status_code == 403
    assert client.post("/standing-bookings/sb-none/pause", headers=OP).status_code == 404


def test_changes_to_a_series_wait_for_its_lock(settings, client, redis_client, monkeypatch):
    """A skip while another process materialises the series waits for it instead of being overwritten;
    a lock held for longer than the wait is a 409 with Retry-After, and the series is left unchanged."""
    import threading

    from api.keys import Keys
    from api.routers import standing

    rider = _rider(client, "0274-62-7780")
    series = client.post("/standing-bookings", json=_series(rider), headers=OP).json()
    day = next(d["date"] for d in series["dates"] if d["state"] == "booked")
    lock = Keys(settings.key_prefix).standing_lock(series["id"])

    monkeypatch.setattr(standing, "LOCK_WAIT_S", 0.4)
    redis_client.set(lock, "held-elsewhere", px=60_000)
    busy = client.post(f"/standing-bookings/{series['id']}/skip", json={"date": day}, headers=OP)
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "2", busy.text
    assert client.get(f"/standing-bookings/{series['id']}", headers=OP).json()["skipped"] == []

    monkeypatch.setattr(standing, "LOCK_WAIT_S", 5.0)
    redis_client.set(lock, "held-elsewhere", px=60_000)
    threading.Timer(0.5, redis_client.delete, args=(lock,)).start()  # the other process finishes
    skipped = client.post(f"/standing-bookings/{series['id']}/skip", json={"date": day}, headers=OP)
    assert skipped.status_code == 200, skipped.text
    assert client.get(f"/standing-bookings/{series['id']}", headers=OP).json()["skipped"] == [day]
    assert client.post("/standing-bookings/materialise", headers=OP).json()["placed"] == 0
    assert redis_client.get(lock) is None  # released after the change
