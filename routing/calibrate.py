"""Drive times checked against scheduled bus times.

A pairs file (``data/osm_gunma/bus_2019/calibration_pairs.csv``: two stops, their WGS84
coordinates and the scheduled minutes between them) is read; both ends of every pair are
snapped to the network for driving, and the car's time (access legs included) is compared
with the scheduled time. Works on any :class:`~routing.network.RoadNetwork`.

Two ratios per pair:

``direct_ratio``
    car time on its own fastest path / scheduled time.
``ratio`` (the one the band and the median are about)
    car time over the bus's own path / scheduled time. A bus on a loop covers far more road
    than the direct trip (its stop chain, ``stop_chain_km``, is up to 2.6 times the straight
    line); a car covers that path at the pace of its own trip, so its time there is the
    direct time scaled by ``max(1, chain metres / direct metres)``. Where the bus runs straight
    (chain no longer than the car's path) the two ratios are equal.

A scheduled time includes dwell and slack, so a good network gives ratios of about 0.6-0.9
and never much above 1: the band is :data:`BAND`.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from routing.errors import RoutingError
from routing.network import RoadNetwork

BAND = (0.45, 1.05)
"""Ratios of drive time to scheduled time a plausible network gives (dimensionless)."""
TARGET_MEDIAN = (0.60, 0.90)
"""Range the median ratio should lie in."""
DEFAULT_MIN_KM = 2.0
"""Pairs closer than this (straight line, km) are listed but left out of the summary."""
REQUIRED_COLUMNS = ("from_lat", "from_lon", "to_lat", "to_lon")
CALIBRATION_RECORD = "calibration_{source}.json"
"""File name, in the network's data directory, of the recorded summary of a network kind."""


@dataclass(frozen=True)
class CalibrationPair:
    """Two stops and the scheduled time between them.

    Attributes
    ----------
    feed, from_stop, to_stop
        Service and stop names (labels only).
    from_lat, from_lon, to_lat, to_lon
        WGS84 degrees.
    scheduled_s
        Scheduled seconds from ``from_stop`` to ``to_stop``.
    crow_m
        Straight-line metres between the stops.
    chain_m
        Metres of the bus's stop chain (straight lines stop to stop), None if unknown.
    """

    feed: str
    from_stop: str
    to_stop: str
    from_lat: float
    from_lon: float
    to_lat: float
    to_lon: float
    scheduled_s: float
    crow_m: float
    chain_m: float | None = None


@dataclass(frozen=True)
class PairResult:
    """The network's drive between the two stops of one pair (seconds, metres)."""

    pair: CalibrationPair
    drive_s: float
    drive_m: float
    access_s: float
    bus_path_s: float
    ratio: float
    direct_ratio: float
    corridor: str


def _float(row: dict[str, str], col: str, line: int, path: Path) -> float:
    try:
        value = float(row[col])
    except (KeyError, TypeError, ValueError):
        raise RoutingError(f"{path} line {line}: column {col!r} is not a number ({row.get(col)!r})") from None
    if not math.isfinite(value):
        raise RoutingError(f"{path} line {line}: column {col!r} is not finite")
    return value


def read_pairs(path: Path, sched_column: str = "sched_min_median") -> list[CalibrationPair]:
    """Read a pairs CSV (columns of ``calibration_pairs.csv``; scheduled minutes in ``sched_column``).

    Raises
    ------
    RoutingError
        If the file is missing, empty, lacks a required column or holds a bad value.
    """
    path = Path(path)
    if not path.is_file():
        raise RoutingError(f"pairs file {path} does not exist")
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            header = list(reader.fieldnames or [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise RoutingError(f"{path} is not a UTF-8 CSV file: {exc}") from None
    if not rows:
        raise RoutingError(f"{path} holds no pairs")
    missing = [c for c in (*REQUIRED_COLUMNS, sched_column) if c not in header]
    if missing:
        raise RoutingError(f"{path}: missing column(s) {', '.join(missing)}")
    from routing.geo import haversine_m

    pairs = []
    for line, r in enumerate(rows, start=2):
        lat1, lon1 = _float(r, "from_lat", line, path), _float(r, "from_lon", line, path)
        lat2, lon2 = _float(r, "to_lat", line, path), _float(r, "to_lon", line, path)
        sched = _float(r, sched_column, line, path)
        if sched <= 0:
            raise RoutingError(f"{path} line {line}: scheduled time must be positive")
        chain = r.get("stop_chain_km")
        chain_m = float(chain) * 1000 if chain not in (None, "") else None
        pairs.append(CalibrationPair(
            feed=r.get("feed", ""), from_stop=r.get("from_stop", ""), to_stop=r.get("to_stop", ""),
            from_lat=lat1, from_lon=lon1, to_lat=lat2, to_lon=lon2, scheduled_s=sched * 60,
            crow_m=haversine_m(lat1, lon1, lat2, lon2), chain_m=chain_m,
        ))
    return pairs


def _main_road(net: RoadNetwork, a: int, b: int) -> str:
    """Name (else class) of the road carrying most metres of the fastest path from ``a`` to ``b``."""
    if a == b:
        return "(same node)"
    nodes = net.engine.path_indices(a, b)
    metres: dict[str, float] = {}
    for u, v in zip(nodes, nodes[1:], strict=False):
        d = min(net.graph[u][v].values(), key=lambda e: e["travel_time"])
        name = d.get("name") or d.get("ref") or d.get("highway")
        name = name[0] if isinstance(name, list) else str(name)
        metres[name] = metres.get(name, 0.0) + float(d["length"])
    return max(metres.items(), key=lambda kv: (kv[1], kv[0]))[0]


def drive_pair(net: RoadNetwork, pair: CalibrationPair) -> PairResult:
    """Snap both stops for driving and time the car between them."""
    sa = net.snap(pair.from_lat, pair.from_lon, mode="drive")
    sb = net.snap(pair.to_lat, pair.to_lon, mode="drive")
    t, d = net.engine.pair(sa.node, sb.node)
    access_s = sa.access_time_s + sb.access_time_s
    drive_s, drive_m = t + access_s, d + sa.distance_m + sb.distance_m
    scale = max(1.0, pair.chain_m / drive_m) if pair.chain_m and drive_m > 0 else 1.0
    return PairResult(
        pair, drive_s, drive_m, access_s, drive_s * scale, drive_s * scale / pair.scheduled_s,
        drive_s / pair.scheduled_s, _main_road(net, sa.node, sb.node),
    )


def _in_band(r: float) -> bool:
    return BAND[0] <= r <= BAND[1]


def summarise(results: Sequence[PairResult], min_km: float = DEFAULT_MIN_KM, worst: int = 3) -> dict:
    """Summary of the pairs at least ``min_km`` apart: median ratio, share in band, by corridor.

    Returns
    -------
    dict
        ``pairs``, ``min_km``, ``median_ratio``, ``share_in_band``, ``share_above_band``,
        ``share_below_band``, ``median_direct_ratio``, ``by_feed`` and ``by_corridor`` (per
        main road: pairs, median ratio, share in band and its ``worst`` pairs, farthest
        from the band first).
    """
    kept = [r for r in results if r.pair.crow_m >= min_km * 1000]
    if not kept:
        raise RoutingError(f"no pair is at least {min_km} km apart")
    ratios = [r.ratio for r in kept]

    def block(rs: list[PairResult]) -> dict:
        rr = [r.ratio for r in rs]
        return {"pairs": len(rs), "median_ratio": round(statistics.median(rr), 3),
                "share_in_band": round(sum(map(_in_band, rr)) / len(rr), 3)}

    def miss(r: PairResult) -> float:
        return max(BAND[0] - r.ratio, r.ratio - BAND[1], 0.0) * 10 + abs(math.log(r.ratio / 0.75))

    corridors: dict[str, list[PairResult]] = {}
    feeds: dict[str, list[PairResult]] = {}
    for r in kept:
        corridors.setdefault(r.corridor, []).append(r)
        feeds.setdefault(r.pair.feed, []).append(r)
    by_corridor = []
    for name, rs in sorted(corridors.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        worst_pairs = sorted(rs, key=miss, reverse=True)[:worst]
        by_corridor.append({"corridor": name, **block(rs), "worst": [
            {"from": w.pair.from_stop, "to": w.pair.to_stop, "ratio": round(w.ratio, 3),
             "drive_min": round(w.drive_s / 60, 1), "scheduled_min": round(w.pair.scheduled_s / 60, 1)}
            for w in worst_pairs]})
    return {
        "pairs": len(kept),
        "min_km": min_km,
        "band": list(BAND),
        "median_ratio": round(statistics.median(ratios), 3),
        "share_in_band": round(sum(map(_in_band, ratios)) / len(ratios), 3),
        "share_above_band": round(sum(r > BAND[1] for r in ratios) / len(ratios), 3),
        "share_below_band": round(sum(r < BAND[0] for r in ratios) / len(ratios), 3),
        "median_direct_ratio": round(statistics.median(r.direct_ratio for r in kept), 3),
        "by_feed": {f: block(rs) for f, rs in sorted(feeds.items())},
        "by_corridor": by_corridor,
    }


def calibrate(net: RoadNetwork, pairs: Sequence[CalibrationPair], min_km: float = DEFAULT_MIN_KM) -> dict:
    """Drive every pair on ``net`` and summarise; the JSON-ready report of ``routing calibrate``."""
    results = [drive_pair(net, p) for p in pairs]
    return {
        "network": {"source": net.source, "source_path": str(net.source_path or ""),
                    "source_sha256": str(net.graph.graph.get("source_sha256", ""))},
        "measured_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "summary": summarise(results, min_km),
        "results": [
            {**asdict(r.pair), "drive_s": round(r.drive_s, 1), "drive_m": round(r.drive_m, 1),
             "access_s": round(r.access_s, 1), "bus_path_s": round(r.bus_path_s, 1),
             "ratio": round(r.ratio, 4), "direct_ratio": round(r.direct_ratio, 4), "corridor": r.corridor}
            for r in results
        ],
    }


def record_path(data_dir: Path, source: str) -> Path:
    """Where the calibration summary of a network kind is stored in its data directory."""
    return Path(data_dir) / CALIBRATION_RECORD.format(source=source)


def write_record(report: dict, data_dir: Path, pairs_file: Path) -> Path:
    """Store the summary of ``report`` beside the network (read by :func:`routing.network_provenance`)."""
    summary = {k: v for k, v in report["summary"].items() if k != "by_corridor"}
    record = {**report["network"], "measured_utc": report["measured_utc"], "pairs_file": Path(pairs_file).name,
              **summary}
    record["source_path"] = Path(record["source_path"]).name  # the record travels with its directory
    path = record_path(data_dir, report["network"]["source"])
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def format_report(report: dict) -> str:
    """The summary as a plain-text table (what ``routing calibrate`` prints)."""
    s = report["summary"]
    lo, hi = s["band"]
    lines = [
        f"network: {report['network']['source']} ({report['network']['source_path']})",
        f"pairs >= {s['min_km']:g} km: {s['pairs']}; ratio = car time over the bus's path / scheduled time",
        f"median ratio {s['median_ratio']:.2f} (target {TARGET_MEDIAN[0]:.2f}-{TARGET_MEDIAN[1]:.2f}); "
        f"in band {lo:.2f}-{hi:.2f}: {s['share_in_band']:.0%} (above {s['share_above_band']:.0%}, "
        f"below {s['share_below_band']:.0%}); median direct ratio {s['median_direct_ratio']:.2f}",
        "",
        f"{'feed':<12}{'pairs':>6}{'median':>8}{'in band':>9}",
    ]
    for f, b in s["by_feed"].items():
        lines.append(f"{f:<12}{b['pairs']:>6}{b['median_ratio']:>8.2f}{b['share_in_band']:>9.0%}")
    lines += ["", f"{'main road of the drive':<58}{'pairs':>6}{'median':>8}{'in band':>9}  worst pairs (ratio)"]
    for c in s["by_corridor"]:
        worst = "; ".join(f"{w['from']}->{w['to']} {w['ratio']:.2f}" for w in c["worst"])
        head = f"{c['corridor'][:57]:<58}{c['pairs']:>6}{c['median_ratio']:>8.2f}"
        lines.append(f"{head}{c['share_in_band']:>9.0%}  {worst}")
    return "\n".join(lines)
