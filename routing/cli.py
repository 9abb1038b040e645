"""Command line: ``python -m routing {build-skeleton,build,info,time,calibrate}``.

Bad input (unknown place, missing file, bad option) prints one ``error:`` line and exits
with status 2; no stack trace.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from routing.build import SKELETON_GRAPHML, build_download, build_extract, build_skeleton_graph, parse_bbox
from routing.errors import RoutingError
from routing.facts import DEFAULT_DATA_DIR
from routing.geo import SERVICE_BOX
from routing.skeleton import write_skeleton

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="routing", description="Kanra-Tomioka regional road network")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="road data directory")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = p.add_subparsers(dest="command", required=True)
    sk = sub.add_parser("build-skeleton", help="generate the facts-skeleton OSM XML from the regional facts")
    sk.add_argument("--out", type=Path, default=None, help="output .osm (default: in the data directory)")
    b = sub.add_parser("build", help="build the cached graph of a real OSM extract")
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("--osm", type=Path, help=".osm, .osm.xml or .osm.pbf file")
    src.add_argument("--download", action="store_true", help="download the drive network from Overpass")
    b.add_argument("--no-simplify", action="store_true", help="keep every OSM node (bigger graph)")
    b.add_argument(
        "--bbox", default=None, metavar="W,S,E,N",
        help="clipping box in degrees (default: the region's, 138.50,36.08,139.10,36.38)",
    )
    sub.add_parser("info", help="print the loaded network: source, nodes, edges, km by class")
    t = sub.add_parser("time", help="drive time and distance between two named places")
    t.add_argument("origin", help="place key or name, e.g. st:Shimonita, 南牧村役場")
    t.add_argument("destination")
    c = sub.add_parser("calibrate", help="drive times against scheduled bus times of stop pairs")
    c.add_argument("pairs", type=Path, help="pairs CSV (columns of data/osm_gunma/bus_2019/calibration_pairs.csv)")
    c.add_argument("--json", type=Path, default=None, help="write the full report (every pair) as JSON here")
    c.add_argument("--min-km", type=float, default=2.0, help="summarise pairs at least this far apart (km)")
    c.add_argument("--sched-column", default="sched_min_median", help="column of scheduled minutes")
    c.add_argument("--record", action="store_true",
                   help="store the summary beside the network (shown by `info` and network_provenance)")
    return p


def _info(data_dir: Path) -> None:
    from routing.network import RoadNetwork

    net = RoadNetwork.load(data_dir)
    g = net.graph
    print(f"source: {net.source} ({net.source_path})")
    if net.source == "facts-skeleton":
        print("note: a network generated from the regional facts, not OpenStreetMap")
    print(f"nodes: {g.number_of_nodes():,}")
    print(f"edges: {g.number_of_edges():,} (directed)")
    print("road km by class:")
    for hw, km in net.km_by_class.items():
        print(f"  {hw:<16}{km:9.1f}")
    print(f"places: {len(net.places)} ({len(net.stations)} stations)")
    from routing.provenance import network_provenance

    prov = network_provenance(net)
    print(f"kind: {prov['kind_en']} / {prov['kind_ja']}")
    print(f"built: {prov['built_utc'] or 'unknown'}; source sha256 {prov['source_sha256'][:12] or 'unknown'}")
    cal = prov["calibration"]
    if cal is None:
        print(f"calibration: {prov['calibration_status']} (run `routing calibrate PAIRS_CSV --record`)")
    else:
        print(
            f"calibration: median ratio {cal['median_ratio']:.2f} to scheduled bus times, "
            f"{cal['share_in_band']:.0%} of {cal['pairs']} pairs >= {cal['min_km']:g} km in "
            f"{cal['band'][0]:.2f}-{cal['band'][1]:.2f} ({cal['pairs_file']}, {cal['measured_utc']})"
        )


def _calibrate(data_dir: Path, args: argparse.Namespace) -> None:
    import json

    from routing.calibrate import calibrate, format_report, read_pairs, write_record
    from routing.network import RoadNetwork

    if not args.min_km >= 0:
        raise RoutingError(f"--min-km must be a non-negative number, not {args.min_km}")
    pairs = read_pairs(args.pairs, args.sched_column)
    net = RoadNetwork.load(data_dir)
    report = calibrate(net, pairs, args.min_km)
    print(format_report(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.record:
        if net.source_path is None:
            raise RoutingError("this network has no data directory to record its calibration in")
        print(f"wrote {write_record(report, Path(net.source_path).parent, args.pairs)}")


def _time(data_dir: Path, origin: str, destination: str) -> None:
    from routing.network import RoadNetwork

    net = RoadNetwork.load(data_dir)
    try:
        a, b = net.place(origin), net.place(destination)
    except KeyError as exc:
        raise RoutingError(exc.args[0]) from None
    t, d = net.travel_time(a.node, b.node), net.distance(a.node, b.node)
    print(f"{a.name_en or a.name_ja} ({a.key}) -> {b.name_en or b.name_ja} ({b.key})")
    print(f"drive time: {t / 60:.1f} min ({t:.0f} s)")
    print(f"distance:   {d / 1000:.2f} km ({d:.0f} m)")
    print(f"network:    {net.source}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    data_dir: Path = args.data_dir
    try:
        if args.command == "build-skeleton":
            out = write_skeleton(data_dir, args.out)
            print(f"wrote {out}")
            if args.out is None:
                print(f"wrote {build_skeleton_graph(data_dir)}")
        elif args.command == "build":
            simplify = not args.no_simplify
            box = parse_bbox(args.bbox) if args.bbox is not None else SERVICE_BOX
            if args.download:
                out = build_download(data_dir, simplify=simplify, box=box)
            else:
                out = build_extract(args.osm, data_dir, simplify=simplify, box=box)
            print(f"wrote {out}; RoadNetwork.load() now prefers it over {SKELETON_GRAPHML}")
        elif args.command == "info":
            _info(data_dir)
        elif args.command == "time":
            _time(data_dir, args.origin, args.destination)
        elif args.command == "calibrate":
            _calibrate(data_dir, args)
    except (ValueError, OSError) as exc:  # RoutingError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0
