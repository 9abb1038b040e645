"""``python -m api.report --month 2026-11`` (or ``--year 2026``): the municipal report from the history.

Writes ``report_<period>.html`` and ``report_<period>.xlsx`` to ``--out`` (default ``out/reports``), for a
year also ``transport_results_<year>.xlsx`` (輸送実績), and prints the per-municipality summary. Bad arguments
exit with code 2 and a message.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from api.history.costrule import CostRule, CostRuleError
from api.history.reports import Period, PeriodError, municipalities_of_region, report_from
from api.history.settings import history_url


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit 2 with a one-line message, Japanese first
        self.exit(2, f"{self.prog}: 引数が正しくありません / bad arguments: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m api.report", description="市町村別利用実績報告 / municipal reports")
    period = parser.add_mutually_exclusive_group(required=True)
    period.add_argument("--month", help="YYYY-MM")
    period.add_argument("--year", help="YYYY")
    parser.add_argument("--out", type=Path, default=Path("out/reports"), help="folder of the HTML and xlsx files")
    parser.add_argument("--rule", type=Path, help="cost-share rule JSON (default: KANRA_COST_RULE or the default)")
    parser.add_argument("--source", choices=("redis", "sim"), help="only the live service's or the simulator's days")
    parser.add_argument("--area", help="only this service area")
    parser.add_argument("--municipality", choices=sorted(municipalities_of_region()),
                        help="only this municipality's rows and columns (JIS code)")
    parser.add_argument("--url", help="history database (default KANRA_HISTORY_URL)")
    return parser


def main(argv: list[str] | None = None) -> int:
    import os

    args = _parser().parse_args(argv)
    try:
        period = Period.month(args.month) if args.month else Period.year(args.year)
        rule_path = args.rule or (Path(os.environ["KANRA_COST_RULE"]) if os.environ.get("KANRA_COST_RULE") else None)
        rule = CostRule.from_file(rule_path) if rule_path else CostRule()
    except (PeriodError, CostRuleError) as exc:
        print(f"python -m api.report: {exc}", file=sys.stderr)
        return 2
    from api.history.report_render import tables, to_html, to_xlsx, transport_results

    try:
        report = report_from(args.url or history_url(), period, rule, source=args.source, area=args.area)
    except SQLAlchemyError as exc:
        print(f"python -m api.report: 履歴DBに接続できません / history store unavailable: "
              f"{str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    name = f"report_{period.label}" + (f"_{args.municipality}" if args.municipality else "")
    html_path = out / f"{name}.html"
    html_path.write_text(to_html(report, args.municipality), encoding="utf-8")
    xlsx_path = to_xlsx(report, out / f"{name}.xlsx", args.municipality)
    heading, header, rows = tables(report, args.municipality)[0]
    print(heading)
    print("  ".join(header))
    for row in rows:
        print("  ".join(str(v) for v in row))
    print(f"\nHTML: {html_path}\nxlsx: {xlsx_path}")
    if len(period.label) == 4:  # a year: the transport results (輸送実績) the operator reports, on their own
        suffix = f"_{args.municipality}" if args.municipality else ""
        results = to_xlsx(report, out / f"transport_results_{period.label}{suffix}.xlsx", args.municipality,
                          [transport_results(report, args.municipality)])
        print(f"輸送実績 transport results: {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
