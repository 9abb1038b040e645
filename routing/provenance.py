"""What the drive times rest on: the network's kind, source, build date and measured calibration.

:func:`network_provenance` is what reports and map captions call, so nobody mistakes the
facts skeleton for OpenStreetMap. The calibration comes from the record ``routing calibrate
--record`` writes beside the network (see :mod:`routing.calibrate`); it is only reported for
the very network it was measured on (same source file hash).
"""

from __future__ import annotations

import json
from pathlib import Path

from routing.calibrate import record_path
from routing.network import RoadNetwork

KIND_LABELS: dict[str, tuple[str, str]] = {
    "facts-skeleton": ("公開情報から生成した骨格道路網（OpenStreetMap ではない）",
                       "facts skeleton generated from public regional facts (not OpenStreetMap)"),
    "osm-extract": ("OpenStreetMap 抽出データ", "OpenStreetMap extract"),
}


def _data_dir(net: RoadNetwork) -> Path | None:
    return Path(net.source_path).parent if net.source_path else None


def _calibration(net: RoadNetwork) -> tuple[dict | None, str]:
    data_dir = _data_dir(net)
    if data_dir is None:
        return None, "not measured"
    path = record_path(data_dir, net.source)
    if not path.is_file():
        return None, "not measured"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, "not measured"
    if record.get("source_sha256") != str(net.graph.graph.get("source_sha256", "")):
        return None, "stale (measured on another build of the network)"
    keys = ("median_ratio", "share_in_band", "pairs", "min_km", "band", "measured_utc", "pairs_file")
    return {k: record.get(k) for k in keys}, "measured"


def network_provenance(net: RoadNetwork) -> dict:
    """Kind, source, build date and calibration of a road network, with captions.

    Returns
    -------
    dict
        ``kind`` (``"facts-skeleton"``, ``"osm-extract"`` or the network's own label),
        ``kind_ja``, ``kind_en``, ``source`` (file name), ``source_sha256``, ``built_utc``
        (ISO date-time or ``""``), ``calibration`` (``median_ratio``, ``share_in_band`` (0-1),
        ``pairs``, ``min_km``, ``band``, ``measured_utc``, ``pairs_file``; or None),
        ``calibration_status`` and one-line ``caption_ja`` / ``caption_en``.
    """
    ja, en = KIND_LABELS.get(net.source, (net.source, net.source))
    calib, status = _calibration(net)
    built = str(net.graph.graph.get("built_utc", ""))
    if calib is not None:
        band = f"{calib['band'][0]:.2f}-{calib['band'][1]:.2f}"
        cal_ja = (f"バス時刻表との比 中央値 {calib['median_ratio']:.2f}、"
                  f"{band} 内 {calib['share_in_band']:.0%}（{calib['pairs']} 区間）")
        cal_en = (f"drive/scheduled bus time median {calib['median_ratio']:.2f}, "
                  f"{calib['share_in_band']:.0%} of {calib['pairs']} pairs in {band}")
    else:
        cal_ja, cal_en = "バス時刻表との照合なし", f"calibration {status}"
    return {
        "kind": net.source,
        "kind_ja": ja,
        "kind_en": en,
        "source": Path(net.source_path).name if net.source_path else "",
        "source_sha256": str(net.graph.graph.get("source_sha256", "")),
        "built_utc": built,
        "calibration": calib,
        "calibration_status": status,
        "caption_ja": f"道路網: {ja}。{cal_ja}",
        "caption_en": f"Road network: {en}; {cal_en}",
    }
