"""Command line: regenerate the pattern GTFS of the Joshin line from the service facts.

``python -m dispatch.rail generate [--facts DIR] [--out DIR]`` reads ``service_facts.md`` and
``stations.csv`` and writes the feed; exit status 2 with a message when the facts cannot be used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dispatch.rail.gtfs import DEFAULT_GTFS_DIR, write_gtfs
from dispatch.rail.pattern import FactsError, build_trips, read_pattern, read_stations

DEFAULT_FACTS_DIR = Path(__file__).resolve().parents[2] / "data" / "osm_gunma"


def generate(facts_dir: Path = DEFAULT_FACTS_DIR, out_dir: Path = DEFAULT_GTFS_DIR) -> list[Path]:
    """Build the pattern timetable from ``facts_dir`` and write it as GTFS into ``out_dir``.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    FactsError
        If a fact is missing or the pattern cannot meet the stated gaps.
    """
    stations = read_stations(Path(facts_dir))
    trips = build_trips(read_pattern(Path(facts_dir)), stations)
    return write_gtfs(Path(out_dir), stations, trips)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dispatch.rail", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the pattern GTFS feed from the service facts")
    gen.add_argument("--facts", type=Path, default=DEFAULT_FACTS_DIR, help="directory of the facts files")
    gen.add_argument("--out", type=Path, default=DEFAULT_GTFS_DIR, help="feed directory to write")
    args = parser.parse_args(argv)
    try:
        files = generate(args.facts, args.out)
    except FactsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(files)} GTFS files to {args.out}")
    return 0
