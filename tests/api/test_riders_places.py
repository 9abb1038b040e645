"""Riders (register, search by phone or name) and places (Japanese and romaji autocomplete)."""

from .conftest import key_header

OP = key_header("operator")


def _rider(client, name="上州 花子", phone="0274-62-1234", **extra):
    return client.post("/riders", json={"name": name, "phone": phone, **extra}, headers=OP)


def test_register_and_find_by_phone_and_name(client):
    created = _rider(client, home={"place": "oz:富岡市/七日市"}, fare_class="senior", wheelchair=True)
    assert created.status_code == 201, created.text
    rider = created.json()
    assert rider["home"]["jis_code"] == "10210" and rider["fare_class"] == "senior" and rider["wheelchair"]
    assert created.headers["Location"] == f"/riders/{rider['id']}"
    # phone formats differ, digits match
    for phone in ("0274621234", "0274 62 1234", "+81 274-62-1234"):
        found = client.get("/riders", params={"phone": phone}, headers=OP).json()
        assert [r["id"] for r in found] == [rider["id"]], phone
    partial = client.get("/riders", params={"phone": "621234"}, headers=OP).json()
    assert [r["id"] for r in partial] == [rider["id"]]
    by_name = client.get("/riders", params={"name": "花子"}, headers=OP).json()
    assert [r["id"] for r in by_name] == [rider["id"]]
    assert client.get("/riders", params={"name": "太郎"}, headers=OP).json() == []
    assert client.get(f"/riders/{rider['id']}", headers=OP).json()["name"] == "上州 花子"


def test_duplicate_phone_is_409_naming_the_rider(client):
    first = _rider(client).json()
    again = _rider(client, name="別人", phone="0274621234")
    assert again.status_code == 409
    assert again.json()["detail"][0]["field"] == "body.phone"
    assert first["id"] in again.json()["detail"][0]["reason"]


def test_bad_rider_input_names_field_and_reason(client):
    cases = [
        ({"name": "", "phone": "0274621234"}, "body.name"),
        ({"name": "A", "phone": "12345"}, "body.phone"),
        ({"name": "A", "phone": "02-7462-12x4"}, "body.phone"),
        ({"name": "A", "phone": "0274621234", "fare_class": "vip"}, "body.fare_class"),
        ({"name": "A", "phone": "0274621234", "home": {"place": "nowhere-land"}}, "body.home.place"),
        ({"name": "A", "phone": "0274621234", "home": {"lat": 35.68, "lon": 139.76}}, "body.home"),
        ({"name": "A", "phone": "0274621234", "home": {"lat": 36.2}}, "body.home"),
        ({"name": "A", "phone": "0274621234", "nickname": "x"}, "body.nickname"),
    ]
    for payload, field in cases:
        response = client.post("/riders", json=payload, headers=OP)
        assert response.status_code == 422, (payload, response.text)
        detail = response.json()["detail"]
        assert any(d["field"].startswith(field) for d in detail), (payload, detail)
        assert all(d["reason"] for d in detail)
    assert client.get("/riders", params={"phone": "abc"}, headers=OP).json()["detail"][0]["field"] == "query.phone"
    assert client.get("/riders/rd-missing", headers=OP).status_code == 404


def test_places_autocomplete_in_japanese_and_romaji(client):
    by_romaji = client.get("/places", params={"q": "shimonita"}, headers=OP).json()
    assert by_romaji[0]["key"] == "st:Shimonita"
    by_kanji = client.get("/places", params={"q": "下仁田"}, headers=OP).json()
    assert "st:Shimonita" in [p["key"] for p in by_kanji]
    oaza = client.get("/places", params={"q": "Nanokaichi"}, headers=OP).json()
    assert oaza and oaza[0]["name_ja"] == "七日市" and oaza[0]["kind"] == "oaza"
    hospitals = client.get("/places", params={"kind": "hospital", "limit": 50}, headers=OP).json()
    assert hospitals and all(p["kind"] == "hospital" for p in hospitals)
    assert client.get("/places", params={"kind": "castle"}, headers=OP).status_code == 422
    assert client.get("/places/st:Joshu-Tomioka", headers=OP).json()["name_ja"] == "上州富岡"
    assert client.get("/places/atlantis", headers=OP).status_code == 404


def test_network_geojson_for_the_map(client):
    geo = client.get("/network.geojson", headers=OP).json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) > 10
    lon, lat = geo["features"][0]["geometry"]["coordinates"][0]
    assert 138.5 <= lon <= 139.1 and 36.08 <= lat <= 36.38
    network = geo["network"]  # the map's caption: what the drive times rest on
    assert network["kind"] == "facts-skeleton" and "OpenStreetMap ではない" in network["caption_ja"]
    assert network["calibration"]["pairs"] > 0 and "バス時刻表との比" in network["caption_ja"]


def test_stop_poles_are_places_searchable_by_kana(client):
    stops = client.get("/places", params={"kind": "stop", "limit": 500}, headers=OP).json()
    assert len(stops) == 290 and all(p["kind"] == "stop" and p["access_m"] >= 0 for p in stops)
    by_kana = client.get("/places", params={"q": "そうごうびょういん"}, headers=OP).json()
    assert by_kana[0]["key"] == "stop:tomioka/総合病院" and by_kana[0]["feed"] == "tomioka"
    assert "愛タク" in by_kana[0]["service"] and by_kana[0]["jis_code"] == "10210"
