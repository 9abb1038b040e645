"""The phone desk's rider registry over HTTP on the real Redis: full records, edits with history, search
by phone part, name and kana, deactivation, and who may do what (drivers see no registry)."""

import pytest

from .conftest import at, key_header, tomorrow

OP = key_header("operator")

FULL = {
    "name": "富岡 太郎", "kana": "とみおか たろう", "phone": "0274-62-1111", "phones": ["090-1234-5678"],
    "home": {"place": "oz:富岡市/七日市"}, "nearest_stops": ["st:Joshu-Nanokaichi"], "fare_class": "senior",
    "mobility": {"wheelchair": True, "walker": False, "door_help": True}, "care_notes": "耳が遠い",
    "emergency_contact": {"name": "富岡 一郎", "phone": "0274-62-2222", "relation": "長男"},
    "registered_on": "2025-04-01",
}


def _register(client, body=None, role="operator"):
    return client.post("/riders", json=body or FULL, headers=key_header(role))


def test_a_full_record_is_kept_and_found_by_any_number_name_or_kana(client):
    created = _register(client)
    assert created.status_code == 201, created.text
    rider = created.json()
    assert rider["municipality"] == "10210" and rider["nearest_stops"][0]["place"] == "st:Joshu-Nanokaichi"
    assert rider["mobility"] == FULL["mobility"] and rider["wheelchair"] is True
    assert rider["emergency_contact"]["relation"] == "長男" and rider["registered_on"] == "2025-04-01"
    assert (rider["no_show_count"], rider["late_cancel_count"], rider["active"]) == (0, 0, True)
    for query in ({"phone": "09012345678"}, {"phone": "5678"}, {"phone": "0274621111"}, {"name": "太郎"},
                  {"name": "トミオカ"}, {"name": "とみおかたろう"}, {"name": "富岡太郎"}):
        found = client.get("/riders", params=query, headers=OP).json()
        assert [r["id"] for r in found] == [rider["id"]], query
    assert client.get("/riders", params={"name": "甘楽"}, headers=OP).json() == []
    # the second number is taken too
    again = _register(client, {"name": "別人", "phone": "090-1234-5678"})
    assert again.status_code == 409 and rider["id"] in again.json()["detail"][0]["reason"]


def test_edits_are_kept_with_who_changed_what(client):
    rider = _register(client).json()
    changed = client.patch(f"/riders/{rider['id']}", headers=OP,
                           json={"kana": "とみおか たろ", "phones": ["080-0000-1111"], "fare_class": "resident",
                                 "mobility": {"wheelchair": False, "walker": True}})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["kana"] == "とみおか たろ" and body["phones"] == ["080-0000-1111"] and body["fare_class"] == "resident"
    assert body["wheelchair"] is False and body["mobility"]["walker"] is True and body["name"] == "富岡 太郎"
    assert client.get("/riders", params={"phone": "09012345678"}, headers=OP).json() == []  # old number freed
    assert [r["id"] for r in client.get("/riders", params={"phone": "08000001111"}, headers=OP).json()] == [rider["id"]]
    history = client.get(f"/riders/{rider['id']}/history", headers=OP).json()
    assert len(history) == 1 and history[0]["by"].startswith("operator:")
    assert history[0]["changes"]["fare_class"] == ["senior", "resident"]
    assert history[0]["changes"]["phones"] == [["090-1234-5678"], ["080-0000-1111"]]
    other = _register(client, {"name": "甘楽 花子", "phone": "0274-74-0001"}).json()
    taken = client.patch(f"/riders/{other['id']}", json={"phones": ["080-0000-1111"]}, headers=OP)
    assert taken.status_code == 409 and taken.json()["detail"][0]["field"] == "body.phone"


def test_a_deactivated_rider_is_kept_but_not_bookable(client):
    rider = _register(client).json()
    off = client.patch(f"/riders/{rider['id']}", json={"active": False}, headers=OP)
    assert off.status_code == 200 and off.json()["active"] is False
    assert client.get(f"/riders/{rider['id']}", headers=OP).json()["active"] is False
    day = tomorrow()
    booking = {"rider_id": rider["id"], "pickup": {"place": "tomioka_general_hospital"},
               "dropoff": {"place": "st:Joshu-Tomioka"}, "time": at(day, "10:00")}
    refused = client.post("/bookings", json=booking, headers={**OP, "Idempotency-Key": "deactivated-0001"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "body.rider_id"
    assert "deactivated" in refused.json()["detail"][0]["reason"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body"),
    ({"name": None}, "body.name"),
    ({"phones": ["12345"]}, "body.phones.0"),
    ({"municipality": "99999"}, "body.municipality"),
    ({"municipality": "abc"}, "body.municipality"),
    ({"nearest_stops": ["no-such-stop"]}, "body.nearest_stops.0"),
    ({"no_show_count": -1}, "body.no_show_count"),
    ({"registered_on": "2026-02-30"}, "body.registered_on"),
    ({"emergency_contact": {"name": "x"}}, "body.emergency_contact.phone"),
    ({"care_notes": "a\u202eb"}, "body.care_notes"),
    ({"shoe_size": 27}, "body.shoe_size"),
])
def test_bad_edits_name_the_field(client, body, field):
    rider = _register(client).json()
    response = client.patch(f"/riders/{rider['id']}", json=body, headers=OP)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == field, response.json()


def test_unknown_rider_is_404(client):
    assert client.patch("/riders/rd-none", json={"kana": "x"}, headers=OP).status_code == 404
    assert client.get("/riders/rd-none/history", headers=OP).status_code == 404


# (method, path template, body, roles allowed)
ROLE_TABLE = [
    ("PATCH", "/riders/{id}", {"kana": "かな"}, {"operator", "admin"}),
    ("GET", "/riders/{id}/history", None, {"operator", "dispatcher", "admin"}),
    ("GET", "/riders/{id}", None, {"operator", "dispatcher", "admin"}),
    ("GET", "/callbacks", None, {"operator", "dispatcher", "planner", "admin"}),
    ("POST", "/callbacks", {"rider_id": "{id}"}, {"operator", "dispatcher", "admin"}),
    ("POST", "/callbacks/cb-none/done", None, {"operator", "dispatcher", "admin"}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROLE_TABLE,
                         ids=[f"{m} {p}" for m, p, _, _ in ROLE_TABLE])
def test_role_table_of_the_desk_endpoints(client, method, path, body, allowed):
    rider = _register(client).json()
    url = path.format(id=rider["id"])
    payload = {k: v.format(id=rider["id"]) if isinstance(v, str) else v for k, v in (body or {}).items()} or None
    assert client.request(method, url, json=payload).status_code == 401
    for role in ("operator", "dispatcher", "driver", "planner", "admin"):
        response = client.request(method, url, json=payload, headers=key_header(role))
        if role in allowed:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)


def test_every_desk_route_checks_a_role():
    from api.routers import callbacks, map_layers, riders, round_trips, standing

    for module in (riders, callbacks, round_trips, standing, map_layers):
        for route in module.router.routes:
            names = [d.call.__name__ for d in route.dependant.dependencies]
            assert any(n.startswith("require_") for n in names), route.path


def test_registry_edits_cancel_notes_and_call_backs_keep_personal_data_out_of_logs(client, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    rider = _register(client).json()
    client.patch(f"/riders/{rider['id']}", json={"name": "妙義 梅子", "kana": "みょうぎ うめこ",
                                                 "phones": ["080-9999-8888"], "care_notes": "透析の日"}, headers=OP)
    client.get("/riders", params={"name": "うめこ"}, headers=OP)
    client.post("/callbacks", json={"rider_id": rider["id"], "note": "夕方に電話"}, headers=OP)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert rider["id"] in text
    for secret in ("妙義 梅子", "みょうぎ うめこ", "080-9999-8888", "08099998888", "富岡 太郎", "0274-62-1111",
                   "富岡 一郎", "0274-62-2222", "透析の日", "耳が遠い"):
        assert secret not in text, secret
