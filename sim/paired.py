"""``sim compare`` on common random numbers: both scenarios on the same demand in every replication.

``compare.json`` holds ``replications``, ``seeds``, ``scenarios`` (each side's ``kpis.json``, with
summaries when replicated) and ``paired``: for every numeric KPI (dotted path, e.g. ``wait_min.p95``)
the two means ``a`` and ``b``, the mean paired difference ``difference`` (b - a), its ``ci95``, ``n``
and ``significant`` (False where the interval contains zero; None with one replication).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sim.kpis import TABLE_ROWS, format_value, lookup
from sim.replications import scalar_paths
from sim.stats import is_summary, paired_difference


def _values(kpis: dict[str, Any], path: str) -> list[Any]:
    value = lookup(kpis, path)
    return list(value["values"]) if is_summary(value) else [value]


def paired_table(a: dict[str, Any], b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per KPI path: both means, the paired difference b - a with its 95 % interval, significance."""
    out: dict[str, dict[str, Any]] = {}
    for path in scalar_paths(a):
        va, vb = _values(a, path), _values(b, path)
        if len(va) != len(vb):
            continue
        diff = paired_difference(va, vb)
        out[path] = {"a": _mean(va), "b": _mean(vb), "difference": diff["mean"], "ci95": diff["ci95"],
                     "n": diff["n"], "significant": diff["significant"]}
    for path in scalar_paths(b):  # a KPI only one side has (a station only the rail model serves)
        if path not in out:
            out[path] = {"a": None, "b": _mean(_values(b, path)), "difference": None, "ci95": None, "n": 0,
                         "significant": None}
    return out


def _mean(values: list[Any]) -> float | None:
    if len(values) == 1:
        return values[0]
    xs = [float(v) for v in values if v is not None]
    return round(sum(xs) / len(xs), 4) if xs else None


def compare_document(names: tuple[str, str], kpis: tuple[dict[str, Any], dict[str, Any]],
                     seeds: list[int]) -> dict[str, Any]:
    """The ``compare.json`` document."""
    return {
        "replications": len(seeds),
        "seeds": seeds,
        "a": names[0],
        "b": names[1],
        "scenarios": {names[0]: kpis[0], names[1]: kpis[1]},
        "paired": paired_table(*kpis),
    }


def format_paired(document: dict[str, Any]) -> str:
    """Terminal table: KPI, A, B, difference B - A [95 % interval], and whether it is significant."""
    a, b = document["a"], document["b"]
    paired = document["paired"]
    replicated = document["replications"] > 1
    head = ["指標 / KPI", a, b, "差 B-A [95%CI] / difference"] + (["有意 / significant"] if replicated else [])
    rows = []
    for label, key, fmt in TABLE_ROWS:
        row = paired.get(key)
        if row is None:
            continue
        dfmt = {"{:d}": "{:+.1f}", "{:,d}": "{:+,.0f}"}.get(fmt, fmt.replace("{:", "{:+"))
        diff = format_value(row["difference"], dfmt)
        if row["ci95"] is not None:
            diff += f" [{format_value(row['ci95'][0], dfmt)}, {format_value(row['ci95'][1], dfmt)}]"
        cells = [label, format_value(row["a"], _mean_fmt(fmt, replicated)),
                 format_value(row["b"], _mean_fmt(fmt, replicated)), diff]
        if replicated:
            cells.append({True: "有意 / yes", False: "有意差なし / n.s.", None: "-"}[row["significant"]])
        rows.append(cells)
    return text_table(head, rows)


def display_width(text: str) -> int:
    """Terminal columns of ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def text_table(head: list[str], rows: list[list[str]]) -> str:
    """A plain-text table, first column left-aligned, the others right-aligned, CJK-width aware."""
    widths = [max(display_width(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        pad = [" " * (widths[i] - display_width(c)) for i, c in enumerate(cells)]
        return "  ".join(c + pad[i] if i == 0 else pad[i] + c for i, c in enumerate(cells))

    return "\n".join([line(head), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def _mean_fmt(fmt: str, replicated: bool) -> str:
    return {"{:d}": "{:.1f}", "{:,d}": "{:,.0f}"}.get(fmt, fmt) if replicated else fmt
