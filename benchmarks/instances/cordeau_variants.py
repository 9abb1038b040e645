"""Cordeau-format variants of a folder of instances: parties of several riders, longer ride limits.

    python -m benchmarks.instances.cordeau_variants --from DIR --to DIR [--max-party 6]
        [--capacity 6] [--ride 45] [--seed 0]

Every ``*.txt`` of ``--from`` is written to ``--to`` under the same name with each request's party
drawn uniformly from 1..``--max-party`` (the drop-off unloads it), the vehicle capacity set to
``--capacity`` and the maximum ride time to ``--ride`` (minutes, as the files count time); the
depots, places, service times and windows are kept. The variants have no best-known solution: they
test that the solver stays valid and how it compares with the OR-Tools model at the same budget.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from benchmarks.instances.common import number_rows


def party_variant(text_rows: list[list[float]], rng: random.Random, max_party: int, capacity: int, ride: float) -> str:
    """The file text of one variant of the parsed rows of a Cordeau instance (``max_party`` at most
    ``capacity``, as the command line checks)."""
    fleet, n, duration = int(text_rows[0][0]), int(text_rows[0][1]), text_rows[0][2]
    nodes = [list(r) for r in text_rows[1:]]
    if len(nodes) != 2 * n + 2:
        raise ValueError(f"expected {2 * n + 2} node lines, got {len(nodes)}")
    for i in range(1, n + 1):
        party = rng.randint(1, max_party)
        nodes[i][4], nodes[n + i][4] = party, -party
    lines = [f"{fleet} {n} {duration:g} {capacity} {ride:g}"]
    for r in nodes:
        lines.append(f"{int(r[0]):3d} {r[1]:9.3f} {r[2]:9.3f} {r[3]:g} {int(r[4]):3d} {r[5]:g} {r[6]:g}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=Path, required=True, help="folder of Cordeau files")
    parser.add_argument("--to", dest="target", type=Path, required=True, help="folder to write the variants to")
    parser.add_argument("--max-party", type=int, default=6, help="largest party (riders per request)")
    parser.add_argument("--capacity", type=int, default=6, help="seats per vehicle")
    parser.add_argument("--ride", type=float, default=45.0, help="maximum ride time (the files' time unit)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"error: --from {args.source} is not a folder", file=sys.stderr)
        return 2
    if args.max_party < 1 or args.capacity < args.max_party or args.ride <= 0:
        print("error: need 1 <= --max-party <= --capacity and --ride > 0", file=sys.stderr)
        return 2
    paths = sorted(args.source.glob("*.txt"))
    if not paths:
        print(f"error: no *.txt files in {args.source}", file=sys.stderr)
        return 2
    args.target.mkdir(parents=True, exist_ok=True)
    for path in paths:
        rng = random.Random(f"{args.seed}/{path.stem}")
        try:
            text = party_variant(number_rows(path), rng, args.max_party, args.capacity, args.ride)
        except (ValueError, IndexError) as exc:
            print(f"error: {path.name} is not a Cordeau instance: {exc}", file=sys.stderr)
            return 2
        (args.target / path.name).write_text(text)
    print(f"wrote {len(paths)} variant(s) to {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
