"""Where the road network came from and how far it is calibrated, for the report's "what the figures rest on".

:func:`network_provenance` reads what the loaded :class:`routing.network.RoadNetwork` says about itself
(its source label and file). When routing reports a calibration of its own (kind, source, build date,
median ratio of drive times to scheduled bus times), this is the one function to point at it.
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
    """

    kind: str
    kind_ja: str
    kind_en: str
    source: str
    built: str
    nodes: int
    edges: int
    bus_time_ratio: float | None = None


def network_provenance(network) -> NetworkProvenance:
    """The provenance of a loaded road network, from its ``source`` and ``source_path``."""
    kind = str(getattr(network, "source", "") or "unknown")
    ja, en = _KINDS.get(kind, (kind, kind))
    path = getattr(network, "source_path", None)
    built = ""
    if path is not None and Path(path).exists():
        built = datetime.fromtimestamp(Path(path).stat().st_mtime, tz=UTC).date().isoformat()
    graph = network.graph
    return NetworkProvenance(kind, ja, en, Path(path).name if path is not None else "", built,
                             graph.number_of_nodes(), graph.number_of_edges(), None)
