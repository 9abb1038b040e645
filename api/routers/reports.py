"""The municipal reports of the admin pages: a month's or a year's 利用実績 and the yearly 輸送実績, read from
the history store (``KANRA_HISTORY_URL``) through the same code as ``python -m api.report``.

Each report comes as JSON (the page's tables), as an Excel workbook and as an HTML page; the downloads
(workbook and page) are written to the audit log (``report.downloaded``: who, which report, which format).
No history store configured, or no archived day in the period: 404 with the reason; a malformed month or
year: 422; the store unreachable: 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from api import audit
from api.auth import ApiKey, require
from api.errors import ApiError
from api.history.costrule import CostRule, CostRuleError
from api.history.report_render import Table, tables, title, to_html, transport_results, xlsx_bytes
from api.history.reports import Period, Report, municipalities_of_region, report_from
from api.messages import text
from api.schemas import ERROR_RESPONSES, ReportOut

router = APIRouter(prefix="/admin/reports", tags=["reports"], responses=ERROR_RESPONSES)
log = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
          "description": "the report as an Excel workbook, one sheet per table"}}
_HTML_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {"schema": {"type": "string"}}}, "description": "the report as one HTML page"}}

_CODES = tuple(sorted(municipalities_of_region()))
Municipality = Literal[_CODES]  # type: ignore[valid-type]  # the region's four JIS codes

MonthQuery = Annotated[str, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM, e.g. 2026-11")]
YearQuery = Annotated[str, Query(pattern=r"^20[0-9]{2}$", description="YYYY, e.g. 2026 (the calendar year)")]
MunicipalityQuery = Annotated[Municipality | None, Query(
    description="JIS code: only this municipality's rows and columns (default: all four with totals)")]
SourceQuery = Annotated[Literal["redis", "sim"] | None, Query(
    description="only the live service's days (redis) or the simulator's (sim); default both")]
AreaQuery = Annotated[str | None, Query(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_:.\-]+$",
                                        description="only days of this service area (as archived)")]
Reader = Depends(require("reports.read"))


async def _report(request: Request, period: Period, source: str | None, area: str | None) -> Report:
    """The period's report from the history store, or the 4xx/503 that says why there is none."""
    settings = request.app.state.settings
    if not settings.history_url:
        raise ApiError(404, "KANRA_HISTORY_URL", "no history store is configured (KANRA_HISTORY_URL); the reports "
                       "read the archived days from it", reason_ja=text("admin.reports.no_store"))
    try:
        rule = CostRule.from_file(settings.cost_rule_file) if settings.cost_rule_file else CostRule()
    except CostRuleError as exc:
        raise ApiError(409, "KANRA_COST_RULE", f"the cost-share rule cannot be read: {exc}") from None
    try:
        report = await anyio.to_thread.run_sync(
            lambda: report_from(settings.history_url, period, rule, source=source, area=area))
    except SQLAlchemyError as exc:
        log.warning("history store unavailable: %s", str(exc).splitlines()[0])
        raise ApiError(503, "KANRA_HISTORY_URL", "the history store is unavailable; retry later",
                       {"Retry-After": "30"}, reason_ja=text("admin.reports.unavailable")) from None
    if report.days_with_data == 0:
        field = "query.month" if len(period.label) == 7 else "query.year"
        raise ApiError(404, field, f"no archived day in {period.label}"
                       + (f" for source {source}" if source else "") + (f" in area {area}" if area else ""),
                       reason_ja=text("admin.reports.no_data", period=period.label))
    return report


def _json(report: Report, kind: str, sections: list[Table], municipality: str | None) -> dict[str, Any]:
    return {"kind": kind, "period": report.period.label, "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(), "title": title(report, municipality),
            "days_with_data": report.days_with_data, "municipality": municipality,
            "municipalities": [{"code": m, "name": report.name(m)} for m in report.municipalities],
            "cost_rule": report.rule.describe(),
            "tables": [{"title": heading, "header": header, "rows": rows} for heading, header, rows in sections]}


async def _download(request: Request, principal: ApiKey, report: Report, what: str, fmt: str,
                    municipality: str | None, sections: list[Table] | None = None) -> Response:
    """The report as a file, with the download in the audit log."""
    name = f"{what}_{report.period.label}" + (f"_{municipality}" if municipality else "")
    if fmt == "xlsx":
        body = await anyio.to_thread.run_sync(lambda: xlsx_bytes(report, municipality, sections))
        response: Response = Response(body, media_type=XLSX,
                                      headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    else:
        response = HTMLResponse(to_html(report, municipality, sections),
                                headers={"Content-Disposition": f'inline; filename="{name}.html"'})
    await audit.append(request.app.state.redis, request.app.state.keys.prefix,
                       audit.entry(principal.name, "report.downloaded", f"{what}:{report.period.label}", None,
                                   {"format": fmt, "municipality": municipality, "days_with_data":
                                    report.days_with_data}))
    log.info("%s downloaded %s %s (%s)", principal.name, what, report.period.label, fmt)
    return response


# ------------------------------------------------------------------ a month
@router.get("/monthly", response_model=ReportOut, dependencies=[Reader])
async def monthly(request: Request, month: MonthQuery, municipality: MunicipalityQuery = None,
                  source: SourceQuery = None, area: AreaQuery = None) -> dict[str, Any]:
    """A month's operating report (利用実績報告) as tables: use by residents, transport results by fleet,
    refusals and cancellations by reason, riders fed to the Joshin stations, cost shares."""
    report = await _report(request, Period.month(month), source, area)
    return _json(report, "monthly", tables(report, municipality), municipality)


@router.get("/monthly.xlsx", response_class=Response, responses=_XLSX_RESPONSE)
async def monthly_xlsx(request: Request, month: MonthQuery, principal: Annotated[ApiKey, Reader],
                       municipality: MunicipalityQuery = None, source: SourceQuery = None,
                       area: AreaQuery = None) -> Response:
    """The month's report as an Excel workbook (one sheet per table); the download is audited."""
    report = await _report(request, Period.month(month), source, area)
    return await _download(request, principal, report, "report", "xlsx", municipality)


@router.get("/monthly.html", response_class=Response, responses=_HTML_RESPONSE)
async def monthly_html(request: Request, month: MonthQuery, principal: Annotated[ApiKey, Reader],
                       municipality: MunicipalityQuery = None, source: SourceQuery = None,
                       area: AreaQuery = None) -> Response:
    """The month's report as a printable HTML page; the download is audited."""
    report = await _report(request, Period.month(month), source, area)
    return await _download(request, principal, report, "report", "html", municipality)


# ------------------------------------------------------------------ a year
@router.get("/yearly", response_model=ReportOut, dependencies=[Reader])
async def yearly(request: Request, year: YearQuery, municipality: MunicipalityQuery = None,
                 source: SourceQuery = None, area: AreaQuery = None) -> dict[str, Any]:
    """A calendar year's report: the monthly tables over the year, and the transport results by month."""
    report = await _report(request, Period.year(year), source, area)
    return _json(report, "yearly", tables(report, municipality), municipality)


@router.get("/yearly.xlsx", response_class=Response, responses=_XLSX_RESPONSE)
async def yearly_xlsx(request: Request, year: YearQuery, principal: Annotated[ApiKey, Reader],
                      municipality: MunicipalityQuery = None, source: SourceQuery = None,
                      area: AreaQuery = None) -> Response:
    """The year's report as an Excel workbook; the download is audited."""
    report = await _report(request, Period.year(year), source, area)
    return await _download(request, principal, report, "report", "xlsx", municipality)


@router.get("/yearly.html", response_class=Response, responses=_HTML_RESPONSE)
async def yearly_html(request: Request, year: YearQuery, principal: Annotated[ApiKey, Reader],
                      municipality: MunicipalityQuery = None, source: SourceQuery = None,
                      area: AreaQuery = None) -> Response:
    """The year's report as a printable HTML page; the download is audited."""
    report = await _report(request, Period.year(year), source, area)
    return await _download(request, principal, report, "report", "html", municipality)


# ------------------------------------------------------------------ the yearly transport results
@router.get("/yearly/transport-results", response_model=ReportOut, dependencies=[Reader])
async def transport(request: Request, year: YearQuery, municipality: MunicipalityQuery = None,
                    source: SourceQuery = None, area: AreaQuery = None) -> dict[str, Any]:
    """The yearly transport results (輸送実績) as the operator reports them: per municipality its residents'
    rides and riders, and its fleet's vehicle-days, vehicle-km, vehicle-hours and riders carried."""
    report = await _report(request, Period.year(year), source, area)
    return _json(report, "transport_results", [transport_results(report, municipality)], municipality)


@router.get("/yearly/transport-results.xlsx", response_class=Response, responses=_XLSX_RESPONSE)
async def transport_xlsx(request: Request, year: YearQuery, principal: Annotated[ApiKey, Reader],
                         municipality: MunicipalityQuery = None, source: SourceQuery = None,
                         area: AreaQuery = None) -> Response:
    """The yearly transport results as an Excel workbook; the download is audited."""
    report = await _report(request, Period.year(year), source, area)
    return await _download(request, principal, report, "transport_results", "xlsx", municipality,
                           [transport_results(report, municipality)])
