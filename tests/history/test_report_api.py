"""The admin report routes on a real archived day in a PostgreSQL database of their own: the same tables as
``python -m api.report`` (one implementation), the workbook and the page, one municipality's view, the yearly
transport results, downloads in the audit log, and the 4xx (and the 503) that say why there is no report."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from api.history.archive import Archiver
from api.history.costrule import CostRule
from api.history.report_render import tables
from api.history.reports import Period, report_from
from api.report import main as report_command

from .day import KEYS, OP, closed_after, settings

ADMIN = {"X-API-Key": KEYS["admin"]}
TOMIOKA = "10210"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def archived(day_redis, world, history_engine, history_settings, history_db) -> Iterator[tuple[str, str]]:
    """(history URL, the archived day) after one archiver pass over the made day."""
    made, redis = day_redis
    Archiver(redis, settings(), world, history_engine, history_settings).run_once(closed_after(made.day))
    yield history_db, made.day


def _client(world, **changes) -> TestClient:
    return TestClient(create_app(settings().with_(**changes), world))


def test_the_monthly_report_is_the_commands_report(archived, world, tmp_path):
    url, day = archived
    month = day[:7]
    with _client(world, history_url=url) as client:
        got = client.get("/admin/reports/monthly", params={"month": month}, headers=ADMIN)
        assert got.status_code == 200, got.text
        data = got.json()
        expected = tables(report_from(url, Period.month(month), CostRule()))
        assert [(t["title"], t["header"], t["rows"]) for t in data["tables"]] == \
            [(h, head, [list(r) for r in rows]) for h, head, rows in expected]
        assert data["kind"] == "monthly" and data["period"] == month and data["days_with_data"] == 1
        assert [m["code"] for m in data["municipalities"]] == ["10210", "10382", "10383", "10384"]
        residents = {row[0]: row for row in data["tables"][0]["rows"]}
        assert residents["富岡市 Tomioka"][1:6] == [1, 1, 1, 1, 1]  # rides, riders, distinct, refusals, cancels

        book = client.get("/admin/reports/monthly.xlsx", params={"month": month}, headers=ADMIN)
        assert book.status_code == 200 and book.headers["content-type"] == XLSX
        assert f'filename="report_{month}.xlsx"' in book.headers["content-disposition"]
        sheets = load_workbook(io.BytesIO(book.content))
        # the command writes the same workbook
        assert report_command(["--month", month, "--url", url, "--out", str(tmp_path)]) == 0
        written = load_workbook(tmp_path / f"report_{month}.xlsx")
        assert sheets.sheetnames == written.sheetnames and "利用実績（住民別）" in sheets.sheetnames
        for name in sheets.sheetnames:
            assert list(sheets[name].values) == list(written[name].values), name

        page = client.get("/admin/reports/monthly.html", params={"month": month}, headers=ADMIN)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.text.index("利用実績") < page.text.index("Use by residents") and "上州富岡" in page.text

        audit = client.get("/audit", params={"action": "report.downloaded"}, headers=ADMIN).json()["entries"]
        assert [(e["target"], e["after"]["format"]) for e in audit] == [(f"report:{month}", "html"),
                                                                     (f"report:{month}", "xlsx")]
        assert {e["who"] for e in audit} == {settings().api_keys[KEYS["admin"]].name}
        # viewing the tables is not a download
        assert client.get("/audit", params={"action": "report.*"}, headers=ADMIN).json()["entries"] == audit


def test_one_municipality_and_the_yearly_transport_results(archived, world, tmp_path):
    url, day = archived
    with _client(world, history_url=url) as client:
        mine = client.get("/admin/reports/monthly", params={"month": day[:7], "municipality": TOMIOKA},
                          headers=ADMIN).json()
        residents, fleet, refusals = mine["tables"][0], mine["tables"][1], mine["tables"][2]
        assert [r[0] for r in residents["rows"]] == ["富岡市 Tomioka"]  # no other municipality, no total
        assert [r[0] for r in fleet["rows"]] == ["富岡市 Tomioka"] and fleet["rows"][0][2] == pytest.approx(9.0)
        assert refusals["header"] == ["理由 reason", "富岡市 Tomioka"]
        assert refusals["rows"] == [["運行時間外 (outside_service_hours)", 1]]
        assert mine["municipality"] == TOMIOKA and mine["title"].endswith("富岡市 Tomioka")
        other = client.get("/admin/reports/monthly", params={"month": day[:7], "municipality": "10383"},
                           headers=ADMIN).json()
        assert other["tables"][0]["rows"][0][1:3] == [0, 0] and other["tables"][2]["rows"] == []

        year = day[:4]
        yearly = client.get("/admin/reports/yearly", params={"year": year}, headers=ADMIN).json()
        by_month = {row[0]: row for row in yearly["tables"][-1]["rows"]}
        assert yearly["tables"][-1]["title"].startswith("月別輸送実績") and len(by_month) == 12
        assert by_month[day[:7]][1:3] == [1, 1]  # rides, riders in the month of the day
        assert sum(row[1] for row in by_month.values()) == 1
        results = client.get("/admin/reports/yearly/transport-results", params={"year": year}, headers=ADMIN)
        assert results.status_code == 200, results.text
        (table,) = results.json()["tables"]
        rows = {row[0]: row for row in table["rows"]}
        assert table["title"].startswith("輸送実績")
        # rides, riders, vehicle-days, vehicle-km, vehicle-hours, riders carried
        assert rows["富岡市 Tomioka"][1:3] == [1, 1] and rows["富岡市 Tomioka"][3] == 1
        assert rows["富岡市 Tomioka"][5] == pytest.approx(9.0) and rows["合計 total"][6] == 1
        book = client.get("/admin/reports/yearly/transport-results.xlsx", params={"year": year, "municipality":
                                                                                  TOMIOKA}, headers=ADMIN)
        sheet = load_workbook(io.BytesIO(book.content))["輸送実績"]
        assert [r[0] for r in sheet.iter_rows(min_row=4, values_only=True)] == ["富岡市 Tomioka"]
        assert f'filename="transport_results_{year}_{TOMIOKA}.xlsx"' in book.headers["content-disposition"]
    # the command writes the same table for a year
    assert report_command(["--year", year, "--url", url, "--out", str(tmp_path), "--municipality", TOMIOKA]) == 0
    written = load_workbook(tmp_path / f"transport_results_{year}_{TOMIOKA}.xlsx")["輸送実績"]
    assert list(written.values) == list(sheet.values)


def test_why_there_is_no_report(archived, world):
    url, day = archived
    month = day[:7]
    with _client(world) as client:  # no history store configured
        got = client.get("/admin/reports/monthly", params={"month": month}, headers=ADMIN)
        assert got.status_code == 404 and got.json()["detail"][0]["field"] == "KANRA_HISTORY_URL"
        assert "運行履歴" in got.json()["detail"][0]["reason_ja"]
        assert client.get("/admin/reports/monthly.xlsx", params={"month": month}, headers=ADMIN).status_code == 404
    with _client(world, history_url=url) as client:
        empty = client.get("/admin/reports/monthly", params={"month": "2031-02"}, headers=ADMIN)
        assert empty.status_code == 404 and "no archived day in 2031-02" in empty.json()["detail"][0]["reason"]
        assert client.get("/admin/reports/yearly", params={"year": "2031"}, headers=ADMIN).status_code == 404
        for bad in ("2026-13", "2026-1", "26-11", "november", "2026-00", "1999-12"):
            got = client.get("/admin/reports/monthly", params={"month": bad}, headers=ADMIN)
            assert got.status_code == 422 and got.json()["detail"][0]["field"] == "query.month", bad
        assert client.get("/admin/reports/monthly", headers=ADMIN).status_code == 422
        assert client.get("/admin/reports/yearly", params={"year": "20x6"}, headers=ADMIN).status_code == 422
        assert client.get("/admin/reports/monthly", params={"month": month, "municipality": "13101"},
                          headers=ADMIN).status_code == 422
        # admin only; credentials before the parameters
        assert client.get("/admin/reports/monthly", params={"month": month}, headers=OP).status_code == 403
        assert client.get("/admin/reports/monthly.xlsx", params={"month": "bad"}).status_code == 401
        assert client.get("/audit", params={"action": "report.*"}, headers=ADMIN).json()["entries"] == []
    with _client(world, history_url="postgresql+psycopg://postgres@127.0.0.1:1/none") as client:
        down = client.get("/admin/reports/monthly", params={"month": month}, headers=ADMIN)
        assert down.status_code == 503 and down.headers["retry-after"] == "30"


def test_the_report_routes_are_in_the_document(world):
    with _client(world) as client:
        paths = client.get("/openapi.json").json()["paths"]
    monthly = paths["/admin/reports/monthly"]["get"]
    params = {p["name"]: p for p in monthly["parameters"]}
    assert params["month"]["required"] and params["month"]["schema"]["pattern"].startswith("^20[0-9]{2}-")
    assert params["municipality"]["schema"]["anyOf"][0]["enum"] == ["10210", "10382", "10383", "10384"]
    assert XLSX in paths["/admin/reports/monthly.xlsx"]["get"]["responses"]["200"]["content"]
    html = paths["/admin/reports/yearly.html"]["get"]["responses"]
    assert list(html["200"]["content"]) == ["text/html"] and list(html["404"]["content"]) == ["application/json"]
    assert "/admin/reports/yearly/transport-results.xlsx" in paths
