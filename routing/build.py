"""Build, cache and select the road graph of a data directory.

Every OSM file, the facts skeleton and a real extract alike, is read the same way: drive
ways clipped to the service box (:mod:`routing.osm_xml`), ``osmnx.graph_from_xml``,
optional topology simplification, the largest strongly connected component, then speeds
and travel times (:mod:`routing.speeds`). The result is cached as GraphML beside the data.

Source preference when loading: ``osm_extract.graphml`` (written by ``routing build``),
else a raw extract (``*.osm.pbf``, ``*.osm``, ``*.osm.xml`` other than the skeleton) found in
the data directory, which is built on the spot, else the facts skeleton.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx

from routing.errors import RoutingError
from routing.geo import SERVICE_BOX, BBox
from routing.osm_extract import PBF_SUFFIXES, XML_SUFFIXES, download_drive_graph, drive_xml_from_file
from routing.skeleton import SKELETON_FILE
from routing.speeds import add_junction_delays, add_speeds_and_times

log = logging.getLogger("routing")

SOURCE_EXTRACT = "osm-extract"
SOURCE_SKELETON = "facts-skeleton"
EXTRACT_GRAPHML = "osm_extract.graphml"
SKELETON_GRAPHML = "kanra_tomioka_skeleton.graphml"
GRAPH_FORMAT = "4"
"""Bumped when the cached GraphML layout or the speed rules change, so old caches rebuild."""


@dataclass(frozen=True)
class LoadedGraph:
    """A prepared road graph, where it came from and the box it was clipped to (degrees)."""

    graph: nx.MultiDiGraph
    source: str
    source_path: Path
    box: BBox = SERVICE_BOX


def parse_bbox(text: str) -> BBox:
    """Read ``"W,S,E,N"`` (degrees) into a :class:`BBox`.

    Raises
    ------
    RoutingError
        If there are not four numbers, or west >= east or south >= north, or a value is off the globe.
    """
    try:
        w, s, e, n = (float(v) for v in str(text).split(","))
    except ValueError:
        raise RoutingError(f"bbox {text!r}: expected four numbers W,S,E,N in degrees") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise RoutingError(f"bbox {text!r}: need -180 <= W < E <= 180 and -90 <= S < N <= 90")
    return BBox(west=w, south=s, east=e, north=n)


def graph_box(G: nx.MultiDiGraph) -> BBox:
    """The clipping box stored with a built graph (``bbox`` graph attribute), else the service box."""
    raw = G.graph.get("bbox")
    return parse_bbox(raw) if raw else SERVICE_BOX


def _bbox_text(box: BBox) -> str:
    return ",".join(f"{v:g}" for v in box.as_tuple())


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def prepare_graph(G: nx.MultiDiGraph, *, simplify: bool) -> nx.MultiDiGraph:
    """Simplify (optionally), keep the largest strongly connected component, add speeds and times.

    Parameters
    ----------
    G
        Unsimplified OSMnx graph with edge ``length`` in metres.
    simplify
        Merge chains of degree-2 nodes into single edges (OSMnx ``simplify_graph``).

    Returns
    -------
    networkx.MultiDiGraph
        Graph whose edges carry ``length`` (m), ``speed_kph`` (km/h), ``junction_delay_s`` (s)
        and ``travel_time`` (s, driving time plus junction delay).
    """
    import osmnx as ox

    add_speeds_and_times(G)
    if simplify:  # lengths and travel times are summed over the merged edges
        G = ox.simplify_graph(G)
        for _, _, d in G.edges(data=True):
            if isinstance(d.get("speed_kph"), list):
                d["speed_kph"] = 3.6 * float(d["length"]) / float(d["travel_time"])
    G = ox.truncate.largest_component(G, strongly=True)
    if G.number_of_nodes() < 2:
        raise RoutingError("the road graph has fewer than two strongly connected nodes")
    return add_junction_delays(G)


def graph_from_osm(path: Path, *, simplify: bool, box: BBox = SERVICE_BOX) -> nx.MultiDiGraph:
    """Read an OSM XML or PBF file through ``osmnx.graph_from_xml`` and prepare it.

    Parameters
    ----------
    path
        ``.osm``, ``.osm.xml`` or ``.osm.pbf`` file.
    simplify
        See :func:`prepare_graph`.
    box
        Clipping box in degrees.

    Returns
    -------
    networkx.MultiDiGraph
        The prepared graph.
    """
    import osmnx as ox

    with tempfile.TemporaryDirectory() as tmp:
        drive = Path(tmp) / "drive.osm"
        drive_xml_from_file(Path(path), drive, box)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            G = ox.graph_from_xml(drive, bidirectional=False, simplify=False, retain_all=True)
    return prepare_graph(G, simplify=simplify)


def save_graph(G: nx.MultiDiGraph, path: Path, **meta: str) -> Path:
    """Write ``G`` as GraphML atomically, with ``meta`` stored as graph attributes."""
    import osmnx as ox

    G.graph.pop("created_date", None)
    built = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    G.graph.update(meta, graph_format=GRAPH_FORMAT, built_utc=built)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".graphml.tmp")
    os.close(fd)
    try:
        ox.save_graphml(G, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def build_extract(src: Path, data_dir: Path, *, simplify: bool = True, box: BBox = SERVICE_BOX) -> Path:
    """Build ``osm_extract.graphml`` in ``data_dir`` from a real OSM file clipped to ``box``.

    Parameters
    ----------
    src
        ``.osm``, ``.osm.xml`` or ``.osm.pbf`` file.
    data_dir
        Directory to write into (created if missing).
    simplify
        See :func:`prepare_graph`.
    box
        Clipping box in degrees (default the service box lon 138.50..139.10, lat 36.08..36.38);
        stored with the graph, and the box snapping accepts points in.

    Returns
    -------
    Path
        The GraphML written.
    """
    src = Path(src).resolve()
    G = graph_from_osm(src, simplify=simplify, box=box)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return save_graph(
        G, Path(data_dir) / EXTRACT_GRAPHML, source=SOURCE_EXTRACT, source_file=str(src),
        source_sha256=file_sha256(src), bbox=_bbox_text(box),
    )


def build_download(data_dir: Path, *, simplify: bool = True, box: BBox = SERVICE_BOX) -> Path:
    """Download the drive network inside ``box`` from Overpass and write ``osm_extract.graphml``."""
    G = prepare_graph(download_drive_graph(box), simplify=simplify)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return save_graph(G, Path(data_dir) / EXTRACT_GRAPHML, source=SOURCE_EXTRACT, source_file="overpass",
                      bbox=_bbox_text(box))


def build_skeleton_graph(data_dir: Path) -> Path:
    """Read the skeleton ``.osm`` like any OSM file (unsimplified) and cache it as GraphML.

    The skeleton is not simplified: its intermediate nodes stand in for the junctions and
    driveways of a real road and give snapping a node every few hundred metres.
    """
    osm = Path(data_dir) / SKELETON_FILE
    G = graph_from_osm(osm, simplify=False)
    return save_graph(
        G, Path(data_dir) / SKELETON_GRAPHML, source=SOURCE_SKELETON, source_file=SKELETON_FILE,
        source_sha256=file_sha256(osm),
    )


def raw_extracts(data_dir: Path) -> list[Path]:
    """Real OSM files lying in ``data_dir`` (the skeleton excluded), sorted by name."""
    found = []
    for p in sorted(Path(data_dir).iterdir()):
        name = p.name.lower()
        if p.is_file() and p.name != SKELETON_FILE and name.endswith(XML_SUFFIXES + PBF_SUFFIXES):
            found.append(p)
    return found


def _load_graphml(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox

    return ox.load_graphml(path, edge_dtypes={"junction_delay_s": float})


def load_graph(data_dir: Path) -> LoadedGraph:
    """Load the best road graph of ``data_dir``: a real extract if any, else the skeleton.

    Raises
    ------
    RoutingError
        If the directory holds neither an extract nor the skeleton.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise RoutingError(f"road data directory {data_dir} does not exist")
    extract = data_dir / EXTRACT_GRAPHML
    if extract.is_file():
        G = _load_graphml(extract)
        if G.graph.get("graph_format") == GRAPH_FORMAT:
            log.info("road network: real OSM extract %s", extract)
            return LoadedGraph(G, SOURCE_EXTRACT, extract, graph_box(G))
        origin = Path(str(G.graph.get("source_file", "")))
        if origin.is_file():
            log.warning("%s was built by an older version; rebuilding from %s", extract, origin)
            box = graph_box(G)
            path = build_extract(origin, data_dir, simplify=bool(G.graph.get("simplified", True)), box=box)
            return LoadedGraph(_load_graphml(path), SOURCE_EXTRACT, path, box)
        log.warning("%s was built by an older version and its source is gone; ignoring it", extract)
    raws = raw_extracts(data_dir)
    if raws:
        log.warning("building the road graph from the real extract %s (first use, may take minutes)", raws[0])
        path = build_extract(raws[0], data_dir)
        return LoadedGraph(_load_graphml(path), SOURCE_EXTRACT, path)
    osm = data_dir / SKELETON_FILE
    if not osm.is_file():
        raise RoutingError(
            f"no road network in {data_dir}: run `python -m routing build-skeleton` or `routing build --osm PATH`"
        )
    cached = data_dir / SKELETON_GRAPHML
    if cached.is_file():
        G = _load_graphml(cached)
        if G.graph.get("source_sha256") == file_sha256(osm) and G.graph.get("graph_format") == GRAPH_FORMAT:
            log.info("road network: facts skeleton %s (not OSM)", osm)
            return LoadedGraph(G, SOURCE_SKELETON, osm)
    try:
        cached = build_skeleton_graph(data_dir)
        G = _load_graphml(cached)
    except OSError:  # read-only data directory: build in memory only
        G = graph_from_osm(osm, simplify=False)
    log.info("road network: facts skeleton %s (not OSM)", osm)
    return LoadedGraph(G, SOURCE_SKELETON, osm)
