"""The report's figures, one function each, returned as PNG bytes (matplotlib, Agg backend).

Every title, axis and legend is Japanese first, English second (:mod:`sim.report.labels`), drawn in
IPAexGothic from the ``matplotlib-fontja`` package (:mod:`sim.report.fonts`), so no system CJK font is
needed. The map is drawn from the road graph itself, so no tile server is needed.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from sim.records import LegRecord, RunRecords  # noqa: E402
from sim.report import fonts  # noqa: E402, F401 - Japanese font for every figure
from sim.report.labels import TEXT, text  # noqa: E402
from sim.report.values import interval, lookup, number  # noqa: E402

_DPI = 110


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def wait_distribution(legs: Sequence[LegRecord]) -> bytes:
    """Histogram of realised waits (minutes) with the 10- and 15-minute marks."""
    waits = [leg.wait_s / 60 for leg in legs if leg.mode == "drt" and leg.served and leg.wait_s is not None]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    if waits:
        top = max(30.0, float(np.percentile(waits, 99)) + 2)
        ax.hist(waits, bins=np.arange(0, top + 1, 1.0), color="#4477aa", edgecolor="white")
    for mark, label in ((10, text("min10")), (15, text("min15"))):
        ax.axvline(mark, color="#cc6677", linestyle="--", linewidth=1)
        ax.text(mark + 0.3, ax.get_ylim()[1] * 0.92, label, color="#cc6677", fontsize=8)
    ax.set_xlabel(text("wait_x"))
    ax.set_ylabel(text("wait_y"))
    ja, en = TEXT["wait_title"]
    legs_ja, legs_en = TEXT["served_legs"]
    ax.set_title(f"{ja} ({legs_ja} {len(waits)}) / {en} ({len(waits)} {legs_en})")
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def occupancy_over_day(records: RunRecords, vehicles: int, bin_s: int = 300) -> bytes:
    """Riders on board and vehicles carrying riders, summed over the fleet, per time of day."""
    start, end = 6 * 3600, 20 * 3600
    edges = np.arange(start, end + bin_s, bin_s)
    riders = np.zeros(len(edges))
    busy = np.zeros(len(edges))
    days = max(records.days, 1)
    by_vehicle: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for day, t, vid, load in records.load_events:
        by_vehicle.setdefault((day, vid), []).append((t, load))
    for series in by_vehicle.values():
        series.sort()
        times = np.array([t for t, _ in series])
        loads = np.array([load for _, load in series])
        idx = np.searchsorted(times, edges, side="right") - 1
        current = np.where(idx >= 0, loads[np.clip(idx, 0, None)], 0)
        riders += current
        busy += current > 0
    hours = edges / 3600
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.step(hours, riders / days, where="post", color="#4477aa", label=text("on_board"))
    ax.step(hours, busy / days, where="post", color="#ddaa33", label=text("busy"))
    ax.axhline(vehicles, color="grey", linestyle=":", linewidth=1, label=f"{text('fleet_size')} ({vehicles})")
    ax.set_xlim(start / 3600, end / 3600)
    ax.set_xticks(range(6, 21, 2))
    ax.set_xlabel(text("occ_x"))
    ax.set_ylabel(text("occ_y"))
    ax.set_title(text("occ_title"))
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3)
    return _png(fig)


def fleet_utilisation(records: RunRecords) -> bytes:
    """Per vehicle: hours driving with riders, driving empty, standing at stops, and idle on shift."""
    per: dict[str, list[float]] = {}
    for v in records.vehicles:
        row = per.setdefault(v.vehicle_id, [0.0, 0.0, 0.0, 0.0])
        loaded = max(v.drive_s - v.empty_drive_s, 0.0)
        row[0] += loaded / 3600
        row[1] += v.empty_drive_s / 3600
        row[2] += v.dwell_s / 3600
        row[3] += max(v.shift_s - v.drive_s - v.dwell_s, 0.0) / 3600
    days = max(records.days, 1)
    ids = sorted(per)
    data = np.array([per[i] for i in ids]).reshape(-1, 4) / days
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.28 * len(ids) + 1.2)))
    left = np.zeros(len(ids))
    colours = ("#228833", "#ee6677", "#ccbb44", "#bbbbbb")
    for k, label in enumerate(text(key) for key in ("util_loaded", "util_empty", "util_stops", "util_idle")):
        ax.barh(ids, data[:, k], left=left, color=colours[k], label=label)
        left += data[:, k]
    ax.invert_yaxis()
    ax.set_xlabel(text("util_x"))
    ax.set_title(text("util_title"))
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.tick_params(axis="y", labelsize=7)
    return _png(fig)


def network_map(graph, records: RunRecords, stations: Sequence[tuple[str, float, float]],
                labels: Sequence[tuple[str, float, float]] = ()) -> bytes:
    """The road graph in grey, vehicle-km per edge as coloured width, demand per node as dots.

    Parameters
    ----------
    graph
        networkx graph with node ``x`` (lon) / ``y`` (lat).
    records
        Run records (``edge_metres``, ``demand_nodes``).
    stations
        (name, lat, lon) of Joshin stations to mark.
    labels
        (text, lat, lon) of municipality labels.
    """
    xy = {n: (d["x"], d["y"]) for n, d in graph.nodes(data=True)}
    lat0 = float(np.mean([y for _, y in xy.values()])) if xy else 36.2
    fig, ax = plt.subplots(figsize=(8, 6.2))
    base = [(xy[u], xy[v]) for u, v in graph.edges() if u in xy and v in xy]
    ax.add_collection(LineCollection(base, colors="#cccccc", linewidths=0.5, zorder=1))
    days = max(records.days, 1)
    used: Counter[tuple[int, int]] = Counter()
    for (u, v), metres in records.edge_metres.items():
        used[(min(u, v), max(u, v))] += metres
    if used:
        segs, km = [], []
        for (u, v), metres in used.items():
            if u in xy and v in xy:
                segs.append((xy[u], xy[v]))
                km.append(metres / 1000 / days)
        km_arr = np.asarray(km)
        top = float(np.percentile(km_arr, 98)) or 1.0
        widths = 0.8 + 4.0 * np.clip(km_arr / top, 0, 1)
        lc = LineCollection(segs, linewidths=widths, cmap="viridis_r", zorder=2)
        lc.set_array(km_arr)
        lc.set_clim(0, top)
        ax.add_collection(lc)
        fig.colorbar(lc, ax=ax, shrink=0.6, label=text("map_bar"))
    if records.demand_nodes:
        nodes = [n for n in records.demand_nodes if n in xy]
        counts = np.array([records.demand_nodes[n] for n in nodes], dtype=float) / days
        ax.scatter([xy[n][0] for n in nodes], [xy[n][1] for n in nodes], s=4 + 6 * np.sqrt(counts),
                   color="#cc3311", alpha=0.55, edgecolors="none", zorder=3, label=text("map_demand"))
    if stations:
        ax.scatter([s[2] for s in stations], [s[1] for s in stations], marker="s", s=16, color="black", zorder=4,
                   label=text("map_station"))
    for name, lat, lon in labels:
        ax.text(lon, lat, name, fontsize=9, color="#333333", ha="center", zorder=5,
                bbox={"facecolor": "white", "alpha": 0.6, "edgecolor": "none", "pad": 1})
    ax.autoscale()
    ax.set_aspect(1 / np.cos(np.radians(lat0)))
    ax.set_xlabel(text("map_x"))
    ax.set_ylabel(text("map_y"))
    ax.set_title(text("map_title"))
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def compare_bars(columns: dict[str, dict], keys: Sequence[tuple[str, str]]) -> bytes:
    """Side-by-side bars of a few KPIs for the runs being compared (each KPI scaled to its maximum).

    ``keys`` are (label, dotted KPI key); replicated KPIs draw their mean with the 95% interval as a whisker.
    """
    names = list(columns)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.8 / max(len(names), 1)
    raw = {n: [lookup(columns[n], k) for _, k in keys] for n in names}
    maxima = [max(max(number(raw[n][j]) or 0.0, (interval(raw[n][j]) or (0, 0))[1]) for n in names) or 1.0
              for j in range(len(keys))]
    for i, name in enumerate(names):
        values = [number(v) or 0.0 for v in raw[name]]
        scaled = [v / m for v, m in zip(values, maxima, strict=True)]
        bands = [interval(v) for v in raw[name]]
        err = None
        if any(b is not None for b in bands):
            err = np.array([[max(v - (b or (v, v))[0], 0) / m for v, b, m in zip(values, bands, maxima, strict=True)],
                            [max((b or (v, v))[1] - v, 0) / m for v, b, m in zip(values, bands, maxima, strict=True)]])
        bars = ax.bar(np.arange(len(keys)) + i * width, scaled, width, label=name, yerr=err, capsize=3)
        for bar, v in zip(bars, values, strict=True):
            label = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.02, label, ha="center", fontsize=7)
    ax.set_xticks(np.arange(len(keys)) + width * (len(names) - 1) / 2, [label for label, _ in keys], fontsize=7,
                  rotation=15)
    ax.set_ylim(0, 1.25)
    ax.set_yticks([])
    ax.set_title(text("cmp_title"))
    ax.legend(fontsize=8, ncol=len(names), loc="upper center", bbox_to_anchor=(0.5, -0.3))
    return _png(fig)
