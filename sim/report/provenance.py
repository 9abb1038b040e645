"""Where the road network came from and how far it is calibrated, for the report's "what the figures rest on".

:func:`network_provenance` asks routing (:func:`routing.provenance.network_provenance`: kind, source, build
date and the calibration measured by ``routing calibrate`` on the same build) and keeps what the report shows.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    """The provenance of a loaded :class:`routing.network.RoadNetwork`, from routing's own record."""
    from routing.provenance import network_provenance as routing_provenance

    record = routing_provenance(network)
    calibration = record["calibration"]
    return NetworkProvenance(
        record["kind"], record["kind_ja"], record["kind_en"], record["source"], record["built_utc"][:10],
        network.graph.number_of_nodes(), network.graph.number_of_edges(),
        calibration["median_ratio"] if calibration else None,
        calibration["share_in_band"] if calibration else None,
        int(calibration["pairs"]) if calibration else 0,
        tuple(calibration["band"]) if calibration else (0.45, 1.05),
    )
