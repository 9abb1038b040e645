"""The municipal report as HTML and as an Excel workbook (openpyxl), Japanese first, from the same tables."""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any, BinaryIO

from api.history.reports import UNKNOWN, Report, station_names

REASONS_JA = {
    "outside_service_hours": "運行時間外", "too_little_notice": "予約締切後", "beyond_horizon": "予約受付期間外",
    "party_too_large": "人数超過", "outside_service_area": "運行区域外", "no_vehicle_available": "車両不足",
    "invalid_request": "不正な依頼", "caller": "利用者の都合（理由なし）", UNKNOWN: "不明",
    "rider": "本人都合", "illness": "体調不良", "weather": "天候", "operator": "運行側都合",
    "no_show": "無断キャンセル",
}

Table = tuple[str, list[str], list[list[Any]]]


def _reason(code: str) -> str:
    return f"{REASONS_JA.get(code, code)} ({code})"


def tables(report: Report, municipality: str | None = None) -> list[Table]:
    """The report's sections: (title, header, rows); the last row of a table is its total where it has one.

    ``municipality`` (a JIS code of the report): only its rows and columns, without the totals over the
    others (the cost shares keep the whole service's total, of which its share is a part)."""
    ms = [municipality] if municipality else report.municipalities
    name = report.name
    every = municipality is None
    res_ms = ms + [UNKNOWN] if every and UNKNOWN in report.residents else ms  # no known home, trips of no fleet
    fleet_ms = ms + [UNKNOWN] if every and UNKNOWN in report.fleets else ms
    out: list[Table] = []
    res_cols = [("rides", "利用件数 rides"), ("riders", "利用者数 riders"), ("distinct_riders", "実利用者 distinct"),
                ("refusals", "お断り refusals"), ("cancellations", "取消 cancellations"),
                ("late_cancellations", "直前取消 late cancellations"),
                ("no_shows", "無断不乗 no-shows"), ("fares_yen", "運賃 fares (円)")]
    rows = [[name(m)] + [round(report.residents.get(m, {}).get(c, 0)) for c, _ in res_cols] for m in res_ms]
    if every:
        rows.append(["合計 total"] + [round(report.total("residents", c)) for c, _ in res_cols])
    out.append(("利用実績（住民別） Use by residents' municipality", ["市町村 municipality"] + [h for _, h in res_cols],
                rows))
    fleet_cols = [("vehicle_km", "走行キロ vehicle-km"), ("vehicle_h", "運行時間 vehicle-h"),
                  ("riders_carried", "輸送人員 riders carried"), ("rides_per_vehicle_h", "時間当たり rides/vehicle-h"),
                  ("on_time_share", "定時率 pickups on time"), ("fare_revenue_yen", "運賃収入 fare revenue (円)")]
    rows = []
    for m in fleet_ms:
        r = report.fleets.get(m, {})
        rows.append([name(m), round(r.get("vehicle_km", 0), 1), round(r.get("vehicle_h", 0), 1),
                     round(r.get("riders_carried", 0)), round(r.get("rides_per_vehicle_h", 0), 2),
                     f"{r.get('on_time_share', 0):.1%}", round(r.get("fare_revenue_yen", 0))])
    carried, hours = report.total("fleets", "riders_carried"), report.total("fleets", "vehicle_h")
    pickups = report.total("fleets", "pickups")
    if every:
        rows.append(["合計 total", round(report.total("fleets", "vehicle_km"), 1), round(hours, 1), round(carried),
                     round(carried / hours, 2) if hours else 0.0,
                     f"{report.total('fleets', 'pickups_on_time') / pickups:.1%}" if pickups else "-",
                     round(report.total("fleets", "fare_revenue_yen"))])
    out.append(("輸送実績（車両の所属別） Transport results by fleet",
                ["市町村 municipality"] + [h for _, h in fleet_cols], rows))
    by_municipality = [name(m) for m in ms] + (["合計 total"] if every else [])
    for heading, table in (("お断り理由 Refusals by reason", report.refusals),
                         ("取消理由 Cancellations by reason", report.cancellations)):
        reasons = sorted({r for m, c in table.items() if every or m == municipality for r in c})
        rows = [[_reason(r)] + [table.get(m, {}).get(r, 0) for m in ms] +
                ([sum(c.get(r, 0) for c in table.values())] if every else []) for r in reasons]
        out.append((heading, ["理由 reason"] + by_municipality, rows))
    stations = station_names()
    fed = sorted(st for st, c in report.stations.items() if every or c.get(municipality, 0))
    rows = [[stations.get(st, st)] + [report.stations[st].get(m, 0) for m in ms] +
            ([sum(report.stations[st].values())] if every else []) for st in fed]
    out.append(("上信電鉄駅への送迎 Riders fed to each Joshin station", ["駅 station"] + by_municipality, rows))
    rows = [[name(m), round(report.cost_basis.get(m, 0), 3), round(report.cost_shares.get(m, 0))] for m in ms]
    rows.append(["合計 total", round(sum(report.cost_basis.values()), 3), round(report.net_cost_yen)])
    out.append((f"費用負担 Cost shares ({report.rule.describe()})",
                ["市町村 municipality", f"按分基準 basis ({report.rule.basis})", "負担額 share (円)"], rows))
    if report.months:
        months = report.months if every else report.months_by.get(municipality, {})
        cols = [("rides", "利用件数 rides"), ("riders", "利用者数 riders"), ("vehicle_km", "走行キロ vehicle-km"),
                ("vehicle_h", "運行時間 vehicle-h")]
        rows = [[month] + [round(months.get(month, {}).get(c, 0), 1) for c, _ in cols]
                for month in sorted(report.months)]
        out.append(("月別輸送実績 Transport results by month", ["月 month"] + [h for _, h in cols], rows))
    return out


def transport_results(report: Report, municipality: str | None = None) -> Table:
    """The yearly transport results (輸送実績) the operator reports: per municipality its residents' rides
    and riders, and what its fleet drove (vehicle-days, vehicle-km, vehicle-hours, riders carried)."""
    ms = [municipality] if municipality else report.municipalities
    cols = ["市町村 municipality", "利用件数 rides", "利用者数 riders", "延べ運行車両 vehicle-days",
            "走行キロ vehicle-km", "運行時間 vehicle-h", "輸送人員 riders carried"]

    def row(label: str, res: dict[str, float], fleet: dict[str, float]) -> list[Any]:
        return [label, round(res.get("rides", 0)), round(res.get("riders", 0)), round(fleet.get("vehicle_days", 0)),
                round(fleet.get("vehicle_km", 0), 1), round(fleet.get("vehicle_h", 0), 1),
                round(fleet.get("riders_carried", 0))]

    rows = [row(report.name(m), report.residents.get(m, {}), report.fleets.get(m, {})) for m in ms]
    if municipality is None:
        rows.append(row("合計 total", {c: report.total("residents", c) for c in ("rides", "riders")},
                        {c: report.total("fleets", c) for c in ("vehicle_days", "vehicle_km", "vehicle_h",
                                                                 "riders_carried")}))
    return (f"輸送実績 Transport results {report.period.title_ja}", cols, rows)


def title(report: Report, municipality: str | None = None) -> str:
    kind = "年間輸送実績報告 Yearly transport results" if len(report.period.label) == 4 else \
        "利用実績報告 Monthly operating report"
    whose = f" {report.name(municipality)}" if municipality else ""
    return f"乗合タクシー {kind} {report.period.title_ja} ({report.period.label}){whose}"


def to_html(report: Report, municipality: str | None = None, sections: list[Table] | None = None) -> str:
    """The report as one HTML page (``sections``: these tables instead of :func:`tables`)."""
    heading_text = title(report, municipality)
    parts = [f"<!doctype html><html lang='ja'><head><meta charset='utf-8'><title>{html.escape(heading_text)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
             "td,th{border:1px solid #999;padding:.25em .6em}td{text-align:right}td:first-child{text-align:left}"
             "th{background:#eee}</style></head><body>", f"<h1>{html.escape(heading_text)}</h1>",
             f"<p>対象期間 period: {report.period.start} – {report.period.end}; データのある日 days with data: "
             f"{report.days_with_data}</p>"]
    for heading, header, rows in tables(report, municipality) if sections is None else sections:
        parts.append(f"<h2>{html.escape(heading)}</h2><table><tr>" +
                     "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>")
        if not rows:
            parts.append(f"<tr><td colspan='{len(header)}'>該当なし none</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def to_xlsx(report: Report, path: Path | BinaryIO, municipality: str | None = None,
            sections: list[Table] | None = None) -> Path | BinaryIO:
    """One sheet per section (sheet names are the Japanese titles), saved to ``path`` (a file or a stream)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for heading, header, rows in tables(report, municipality) if sections is None else sections:
        sheet = book.create_sheet(heading.split(" ")[0][:31])
        sheet.append([title(report, municipality)])
        sheet.append([heading])
        sheet.append(header)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 28
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def xlsx_bytes(report: Report, municipality: str | None = None, sections: list[Table] | None = None) -> bytes:
    """The workbook of :func:`to_xlsx` in memory (what the API sends)."""
    buffer = io.BytesIO()
    to_xlsx(report, buffer, municipality, sections)
    return buffer.getvalue()
