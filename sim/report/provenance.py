"""Where the road network came from and how far it is calibrated, for the report's "what the figures rest on".

:func:`network_provenance` asks routing (:func:`routing.provenance.network_provenance`: kind, source, build
date and the calibration measured by ``routing calibrate`` on the same build) and keeps what the report shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_KINDS = {
    "facts-skeleton": ("公開情報から生成した骨格道路網 (OpenStreetMap ではない)",
                       "skeleton generated from public facts (not OpenStreetMap)"),
    "osm-extract": ("OpenStreetMap 抽出データ", "OpenStreetMap extract"),
}


@dataclass(frozen=True)
class NetworkProvenance:
    """What the figures' drive times rest on.

    Parameters
    ----------
    kind
        Source label of the network (``facts-skeleton``, ``osm-extract``, ...).
    kind_ja, kind_en
        The kind in words.
    source
        File name the network was read from ("" if built in memory).
    built
        Date the file was written (ISO, UTC), or "".
    nodes, edges
        Graph size (edges directed).
    bus_time_ratio
        Median of network drive time over scheduled bus time on the calibration pairs, or None when not measured.
    share_in_band
        Share (0-1) of those pairs whose ratio lies in ``band``, or None.
    pairs, band
        How many pairs were scored, and the band (low, high).
    """

    kind: str
    kind_ja: str
    kind_en: str
    source: str
    built: str
    nodes: int
    edges: int
    bus_time_ratio: float | None = None
    share_in_band: float | None = None
    pairs: int = 0
    band: tuple[float, float] = (0.45, 1.05)


def network_provenance(network) -> NetworkProvenance:
    """The provenance of a loaded road network: routing's own record, with a file date as the fallback."""
    from routing.provenance import network_provenance as routing_provenance

    graph = network.graph
    kind = str(getattr(network, "source", "") or "unknown")
    ja, en = _KINDS.get(kind, (kind, kind))
    path = getattr(network, "source_path", None)
    built = ""
    if path is not None and Path(path).exists():
        built = datetime.fromtimestamp(Path(path).stat().st_mtime, tz=UTC).date().isoformat()
    calibration = None
    try:
        record = routing_provenance(network)
    except (AttributeError, OSError, ValueError):  # a network object without routing's metadata
        record = {}
    ja, en = record.get("kind_ja") or ja, record.get("kind_en") or en
    built = str(record.get("built_utc") or "")[:10] or built
    calibration = record.get("calibration")
    return NetworkProvenance(
        kind, ja, en, Path(path).name if path is not None else "", built,
        graph.number_of_nodes(), graph.number_of_edges(),
        calibration["median_ratio"] if calibration else None,
        calibration["share_in_band"] if calibration else None,
        int(calibration["pairs"]) if calibration else 0,
        tuple(calibration["band"]) if calibration else (0.45, 1.05),
    )
