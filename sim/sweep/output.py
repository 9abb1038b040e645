"""A sweep's files: ``sweep.csv`` (one row per point), ``sweep.json`` (plus workers and full KPIs), and
``sweep.html`` (the planner's plots with 95 % interval bands, the points table and the target's answer)."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sim.kpis import TABLE_ROWS, format_value, lookup  # noqa: E402
from sim.report.fonts import use_japanese_font  # noqa: E402
from sim.report.labels import kpi_label  # noqa: E402
from sim.stats import is_summary  # noqa: E402
from sim.sweep.runner import PointResult  # noqa: E402

# KPI columns of sweep.csv: the stable table rows (kpis.json dotted paths).
CSV_KPIS = tuple(key for _, key, _ in TABLE_ROWS)
# The planner's plots: (kpis.json path, title, axis label).
PLOTS = (
    ("rejection_rate", kpi_label("rejection_rate"), "依頼に対する割合 / share of requests"),
    ("wait_min.mean", kpi_label("wait_min.mean"), "分 / minutes"),
    ("wait_min.p95", kpi_label("wait_min.p95"), "分 / minutes"),
    ("cost_per_rider_yen", kpi_label("cost_per_rider_yen"), "円 / yen"),
    ("rides_per_vehicle_hour", kpi_label("rides_per_vehicle_hour"), "乗車人回/車両時間 / rider legs per vehicle-hour"),
)


def _summary(kpis: dict[str, Any] | None, key: str) -> tuple[Any, Any, Any]:
    value = lookup(kpis or {}, key)
    if is_summary(value):
        ci = value["ci95"] or [None, None]
        return value["mean"], ci[0], ci[1]
    return value, None, None


def write_csv(path: Path, keys: Sequence[str], results: Sequence[PointResult]) -> None:
    """One row per point: index, varied values, status, reason, each KPI's mean and 95 % bounds."""
    columns = ["point", *keys, "status", "reason", "replications"]
    for key in CSV_KPIS:
        columns += [f"{key}.mean", f"{key}.ci95_low", f"{key}.ci95_high"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for r in results:
            row: list[Any] = [r.point.index, *(r.point.values[k] for k in keys), "ok" if r.ok else "failed",
                              r.error or "", len(r.seeds)]
            for key in CSV_KPIS:
                row += ["" if x is None else x for x in _summary(r.kpis, key)]
            writer.writerow(row)


def sweep_document(scenario: str, keys: Sequence[str], replications: int, scheduler: str,
                   results: Sequence[PointResult], target: dict[str, Any] | None) -> dict[str, Any]:
    """The ``sweep.json`` document."""
    return {
        "scenario": scenario,
        "varied": list(keys),
        "replications": replications,
        "scheduler": scheduler,
        "target": target,
        "points": [{
            "point": r.point.index,
            "values": r.point.values,
            "status": "ok" if r.ok else "failed",
            "reason": r.error,
            "seeds": r.seeds,
            "workers": r.workers,
            "replication_runs": r.replications,
            "clock_bound_reoptimisations": r.clock_bound_reoptimisations,
            "kpis": r.kpis,
        } for r in results],
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _series(keys: Sequence[str], results: Sequence[PointResult]) -> tuple[list[Any], dict[str, list[PointResult]]]:
    """x values (the first varied key) and one series per combination of the other keys."""
    x_key = keys[0]
    xs = list(dict.fromkeys(r.point.values[x_key] for r in results))
    series: dict[str, list[PointResult]] = {}
    for r in results:
        rest = ", ".join(f"{k}={r.point.values[k]}" for k in keys[1:]) or "all"
        series.setdefault(rest, []).append(r)
    return xs, series


def plot(keys: Sequence[str], results: Sequence[PointResult], kpi: str, title: str, unit: str) -> bytes:
    """One KPI against the first varied key as PNG bytes (see :func:`figure`)."""
    fig = figure(keys, results, kpi, title, unit)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def figure(keys: Sequence[str], results: Sequence[PointResult], kpi: str, title: str, unit: str) -> plt.Figure:
    """One KPI against the first varied key: mean with its 95 % band, one line per other combination."""
    use_japanese_font()
    xs, series = _series(keys, results)
    numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
    position = {x: (x if numeric else i) for i, x in enumerate(xs)}
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for name, rows in series.items():
        pts = [(position[r.point.values[keys[0]]], *_summary(r.kpis, kpi)) for r in rows if r.ok]
        pts = [p for p in pts if p[1] is not None]
        if not pts:
            continue
        pts.sort()
        x = [p[0] for p in pts]
        line = ax.plot(x, [p[1] for p in pts], marker="o", label=name)[0]
        banded = [p for p in pts if p[2] is not None]
        if banded:
            ax.fill_between([p[0] for p in banded], [p[2] for p in banded], [p[3] for p in banded],
                            color=line.get_color(), alpha=0.2, linewidth=0)
    if not numeric or all(isinstance(x, int) for x in xs):
        ax.set_xticks(list(position.values()), [str(x) for x in xs])
    ax.set_xlabel(f"変化させた設定 / varied: {keys[0]}")
    ax.set_ylabel(unit)
    ax.set_title(f"{title}（平均と95%信頼区間 / mean, 95% CI）", fontsize=10)
    ax.grid(alpha=0.3)
    if len(series) > 1:
        ax.legend(fontsize=7)
    return fig


def write_html(path: Path, document: dict[str, Any], results: Sequence[PointResult]) -> None:
    """``sweep.html``: the answer to the target, the plots, and the table of points."""
    keys = document["varied"]
    parts = [f"<h1>スイープ / Sweep: {html.escape(document['scenario'])}</h1>",
             f"<p>{len(results)} 点 × {document['replications']} 回の反復 / points × replications; "
             f"scheduler <code>{html.escape(document['scheduler'])}</code>. 帯は平均の95%信頼区間 / bands: "
             "95% confidence interval of the mean.</p>"]
    target = document.get("target")
    if target:
        parts.append(_target_html(target))
    ok = [r for r in results if r.ok]
    for kpi, title, unit in PLOTS if ok else ():
        png = base64.b64encode(plot(keys, results, kpi, title, unit)).decode("ascii")
        parts.append(f'<img alt="{html.escape(title)}" src="data:image/png;base64,{png}">')
    head = ["点 / point", *keys, "状態 / status", "ワーカー / workers", *[label for label, _, _ in TABLE_ROWS[:8]]]
    rows = []
    for r in results:
        cells = [str(r.point.index), *(str(r.point.values[k]) for k in keys),
                 "ok" if r.ok else f"failed: {r.error}", ", ".join(r.workers)]
        cells += [format_value(lookup(r.kpis or {}, key), fmt) for _, key, fmt in TABLE_ROWS[:8]]
        rows.append(cells)
    parts.append("<h2>点 / Points</h2><table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
                 + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
                 + "</table>")
    css = ("body{font-family:system-ui,'Hiragino Sans','Noto Sans JP',sans-serif;max-width:1100px;margin:2em auto}"
           "table{border-collapse:collapse;font-size:.85em}td,th{padding:2px 8px;border-bottom:1px solid #eee}"
           "img{max-width:49%}")
    path.write_text(f"<!doctype html><html lang=ja><head><meta charset=utf-8><title>sweep</title><style>{css}"
                    f"</style></head><body>{''.join(parts)}</body></html>", encoding="utf-8")


def _target_html(target: dict[str, Any]) -> str:
    lines = [f"<h2>目標 / Target: <code>{html.escape(target['expression'])}</code></h2>"]
    for answer in target["answers"]:
        where = html.escape(answer["scope"])
        if answer["point"] is None:
            lines.append(f"<p><b>{where}</b>: 目標を満たす点なし / no point meets the target</p>")
        else:
            bounds = ", ".join(f"{k} {v}" for k, v in answer["bounds"].items())
            lines.append(f"<p><b>{where}</b>: {html.escape(answer['label'])} (信頼限界 / bounds: "
                         f"{html.escape(bounds)})</p>")
    return "".join(lines)
