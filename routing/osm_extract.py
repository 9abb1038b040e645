"""Real OpenStreetMap input: ``.osm.pbf`` conversion and Overpass download.

A ``.osm.pbf`` extract (for example Geofabrik's Kanto file) is converted to a clipped,
drive-only OSM XML file with pyosmium (``pip install osmium``) or, failing that, the
``osmium`` command-line tool; the XML then follows the same path as any ``.osm`` file.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import networkx as nx

from routing.errors import RoutingError
from routing.geo import SERVICE_BOX, BBox
from routing.osm_xml import OsmNode, OsmWay, clip_ways, filter_drive_xml, is_drivable, write_osm_xml

XML_SUFFIXES = (".osm", ".osm.xml")
PBF_SUFFIXES = (".osm.pbf", ".pbf")


def osm_kind(path: Path) -> str:
    """Return ``"xml"`` or ``"pbf"`` for an OSM file name, else raise :class:`RoutingError`."""
    name = path.name.lower()
    if name.endswith(PBF_SUFFIXES):
        return "pbf"
    if name.endswith(XML_SUFFIXES):
        return "xml"
    raise RoutingError(f"{path}: expected an OSM file ending in .osm, .osm.xml or .osm.pbf")


def _pbf_with_pyosmium(src: Path, dst: Path, box: BBox) -> None:
    import osmium

    nodes: dict[int, OsmNode] = {}
    ways: list[OsmWay] = []
    processor = (
        osmium.FileProcessor(str(src))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for way in processor:
        tags = {t.k: t.v for t in way.tags}
        if not is_drivable(tags):
            continue
        refs = []
        for nd in way.nodes:
            if nd.location.valid():
                nodes[nd.ref] = OsmNode(nd.ref, nd.location.lat, nd.location.lon)
                refs.append(nd.ref)
        ways.append(OsmWay(way.id, tuple(refs), tags))
    kept_nodes, kept_ways = clip_ways(ways, nodes, box)
    write_osm_xml(dst, kept_nodes, kept_ways, generator="kanra-tomioka-drt pbf filter", bounds=box)


def _pbf_with_osmium_tool(src: Path, dst: Path, box: BBox) -> None:
    exe = shutil.which("osmium")
    assert exe is not None
    with tempfile.TemporaryDirectory() as tmp:
        clipped = Path(tmp) / "clip.osm.pbf"
        bbox = ",".join(f"{v}" for v in box.as_tuple())
        for cmd in (
            [exe, "extract", "-b", bbox, "-s", "complete_ways", str(src), "-o", str(clipped), "-O"],
            [exe, "tags-filter", str(clipped), "w/highway", "-o", str(dst), "-f", "osm", "-O"],
        ):
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RoutingError(f"osmium-tool failed: {' '.join(cmd)}\n{done.stderr.strip()}")


def pbf_to_osm_xml(src: Path, dst: Path, box: BBox = SERVICE_BOX) -> None:
    """Convert a ``.osm.pbf`` file to drive-network OSM XML clipped to ``box``.

    Parameters
    ----------
    src
        Input ``.osm.pbf``.
    dst
        Output OSM XML.
    box
        Clipping box (default lon 138.50..139.10, lat 36.08..36.38).

    Raises
    ------
    RoutingError
        If neither pyosmium nor osmium-tool is available, or the conversion fails.
    """
    try:
        import osmium  # noqa: F401
    except ImportError:
        if shutil.which("osmium") is None:
            raise RoutingError(
                "reading .osm.pbf needs pyosmium (pip install osmium) or osmium-tool (apt install osmium-tool)"
            ) from None
        _pbf_with_osmium_tool(src, dst, box)
        return
    try:
        _pbf_with_pyosmium(src, dst, box)
    except RuntimeError as exc:
        raise RoutingError(f"{src} could not be read as .osm.pbf: {exc}") from exc


def drive_xml_from_file(src: Path, dst: Path, box: BBox = SERVICE_BOX) -> None:
    """Write the clipped drive network of any OSM file (XML or PBF) as OSM XML to ``dst``.

    Raises
    ------
    RoutingError
        If the file is missing, of an unknown kind, unreadable or has no drivable way.
    """
    if not src.is_file():
        raise RoutingError(f"OSM file {src} does not exist")
    if osm_kind(src) == "pbf":
        with tempfile.TemporaryDirectory() as tmp:
            xml = Path(tmp) / "from_pbf.osm"
            pbf_to_osm_xml(src, xml, box)
            filter_drive_xml(xml, dst, box)
    else:
        filter_drive_xml(src, dst, box)


def download_drive_graph(box: BBox = SERVICE_BOX) -> nx.MultiDiGraph:
    """Download the drive network inside ``box`` from Overpass with OSMnx (needs a network).

    Returns
    -------
    networkx.MultiDiGraph
        Unsimplified OSMnx graph, lengths in metres.

    Raises
    ------
    RoutingError
        If the download fails (no network, server error).
    """
    import osmnx as ox

    try:
        return ox.graph_from_bbox(box.as_tuple(), network_type="drive", simplify=False, retain_all=True)
    except Exception as exc:  # requests, Overpass and OSMnx errors alike
        raise RoutingError(f"Overpass download failed ({type(exc).__name__}: {exc})") from exc
