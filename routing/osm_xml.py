"""Plain OSM XML: a deterministic writer and a streaming filter for drivable ways.

The filter is the first step of reading *any* OSM XML file, the facts skeleton and a
real extract alike: it keeps the ways a car may use (an allow-list of ``highway``
classes, like OSMnx's ``network_type="drive"``) and the nodes they reference, and drops
ways with no node inside the clipping box.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from routing.errors import RoutingError
from routing.geo import SERVICE_BOX, BBox

DRIVE_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "road",
    }
)
"""``highway`` values kept for the drive network (service roads and tracks are left out)."""

_NO_MOTOR = frozenset({"no", "private"})


@dataclass(frozen=True)
class OsmNode:
    """An OSM node: id, WGS84 degrees and tags."""

    id: int
    lat: float
    lon: float
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OsmWay:
    """An OSM way: id, ordered node ids and tags."""

    id: int
    refs: tuple[int, ...]
    tags: Mapping[str, str] = field(default_factory=dict)


def is_drivable(tags: Mapping[str, str]) -> bool:
    """Return True if a way with these tags belongs to the drive network."""
    if tags.get("highway") not in DRIVE_HIGHWAYS or tags.get("area") == "yes":
        return False
    return not any(tags.get(k) in _NO_MOTOR for k in ("access", "motor_vehicle", "motorcar"))


def _tags_xml(tags: Mapping[str, str], indent: str) -> list[str]:
    return [f"{indent}<tag k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in sorted(tags.items())]


def write_osm_xml(
    path: Path,
    nodes: Iterable[OsmNode],
    ways: Iterable[OsmWay],
    *,
    generator: str,
    bounds: BBox | None = None,
) -> None:
    """Write nodes and ways as OSM XML 0.6, sorted by id, byte-for-byte reproducible.

    Parameters
    ----------
    path
        Output file.
    nodes, ways
        Elements to write; coordinates are written with 7 decimals (about 1 cm).
    generator
        Value of the root ``generator`` attribute.
    bounds
        Optional ``<bounds>`` element.
    """
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<osm version="0.6" generator={quoteattr(generator)}>']
    if bounds is not None:
        lines.append(
            f'  <bounds minlat="{bounds.south:.7f}" minlon="{bounds.west:.7f}" '
            f'maxlat="{bounds.north:.7f}" maxlon="{bounds.east:.7f}"/>'
        )
    for n in sorted(nodes, key=lambda n: n.id):
        head = f'  <node id="{n.id}" version="1" lat="{n.lat:.7f}" lon="{n.lon:.7f}"'
        if n.tags:
            lines.append(head + ">")
            lines.extend(_tags_xml(n.tags, "    "))
            lines.append("  </node>")
        else:
            lines.append(head + "/>")
    for w in sorted(ways, key=lambda w: w.id):
        lines.append(f'  <way id="{w.id}" version="1">')
        lines.extend(f'    <nd ref="{r}"/>' for r in w.refs)
        lines.extend(_tags_xml(w.tags, "    "))
        lines.append("  </way>")
    lines.append("</osm>")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def _iter_elements(path: Path, tag: str) -> Iterable[ET.Element]:
    try:
        for _, elem in ET.iterparse(path, events=("end",)):
            if elem.tag == tag:
                yield elem
                elem.clear()
            elif elem.tag in ("node", "way", "relation"):
                elem.clear()
    except ET.ParseError as exc:
        raise RoutingError(f"{path} is not valid OSM XML: {exc}") from exc


def read_drive_ways(path: Path) -> list[OsmWay]:
    """Read the drivable ways of an OSM XML file (first pass of :func:`filter_drive_xml`)."""
    ways = []
    for elem in _iter_elements(path, "way"):
        tags = {t.get("k", ""): t.get("v", "") for t in elem.iter("tag")}
        if is_drivable(tags):
            refs = tuple(int(nd.get("ref", "0")) for nd in elem.iter("nd"))
            ways.append(OsmWay(int(elem.get("id", "0")), refs, tags))
    return ways


def read_nodes(path: Path, wanted: set[int]) -> dict[int, OsmNode]:
    """Read the nodes whose ids are in ``wanted`` (second pass of :func:`filter_drive_xml`)."""
    found = {}
    for elem in _iter_elements(path, "node"):
        nid = int(elem.get("id", "0"))
        if nid in wanted:
            found[nid] = OsmNode(nid, float(elem.get("lat", "nan")), float(elem.get("lon", "nan")))
    return found


def clip_ways(
    ways: Sequence[OsmWay], nodes: Mapping[int, OsmNode], box: BBox
) -> tuple[list[OsmNode], list[OsmWay]]:
    """Keep complete ways with at least one node inside ``box`` and drop dangling node refs.

    Returns
    -------
    tuple
        ``(nodes, ways)`` to write; each kept way has at least two known nodes.
    """
    kept_ways = []
    for w in ways:
        refs = tuple(r for r in w.refs if r in nodes)
        if len(refs) >= 2 and any(box.contains(nodes[r].lat, nodes[r].lon) for r in refs):
            kept_ways.append(OsmWay(w.id, refs, w.tags))
    used = {r for w in kept_ways for r in w.refs}
    return [nodes[r] for r in used], kept_ways


def filter_drive_xml(src: Path, dst: Path, box: BBox = SERVICE_BOX) -> tuple[int, int]:
    """Copy the drive network of an OSM XML file clipped to ``box`` into ``dst``.

    Parameters
    ----------
    src
        OSM XML input (``.osm`` / ``.osm.xml``).
    dst
        OSM XML output holding only drivable ways and their nodes.
    box
        Clipping box; ways with no node inside are dropped, kept ways stay complete.

    Returns
    -------
    tuple of int
        Number of nodes and ways written.

    Raises
    ------
    RoutingError
        If the file is not OSM XML or holds no drivable way inside the box.
    """
    ways = read_drive_ways(src)
    nodes = read_nodes(src, {r for w in ways for r in w.refs})
    kept_nodes, kept_ways = clip_ways(ways, nodes, box)
    if not kept_ways:
        raise RoutingError(f"{src} holds no drivable highway way inside the box {box.as_tuple()}")
    write_osm_xml(dst, kept_nodes, kept_ways, generator="kanra-tomioka-drt drive filter", bounds=box)
    return len(kept_nodes), len(kept_ways)
