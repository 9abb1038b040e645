"""What waiting for the replica costs a booking: answer latency with and without ``WAIT``, through Sentinel.

Starts the loopback Sentinel stack of the failover tests (a primary, a replica, three sentinels;
``scripts/reliability/sentinel.py``) and two API processes on it, one with ``KANRA_REDIS_WAIT_REPLICAS=0``
and one with ``=1``, then sends ``--bookings`` bookings to each, one at a time and alternating between the
two (so both see the same load on the machine), in the given ``--mode`` (``sync``: the phone's answer with
the offer; ``async``: intake only). Prints a table of latency percentiles and writes JSON.

Usage::

    python benchmarks/replica_wait.py --bookings 200 --mode sync --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from reliability.load import BookingLoad  # noqa: E402
from reliability.sentinel import SentinelStack  # noqa: E402
from reliability.stack import ApiServer  # noqa: E402

KEY = "bench-operator-key"


def _percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = np.array(samples_s) * 1000
    return {"n": len(samples_s), "p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "p99_ms": float(np.percentile(ms, 99)), "max_ms": float(ms.max())}


def run(bookings: int, mode: str, workdir: Path) -> dict:
    """Latency percentiles (milliseconds) of ``bookings`` create calls per setting."""
    days = [(date.today() + timedelta(days=d)).isoformat() for d in (1, 2, 3)]
    shape = BookingLoad([], KEY, days, seed=3)  # only its request generator
    with SentinelStack(workdir / "redis") as stack:
        env = {"REDIS_URL": stack.url(), "KANRA_API_KEYS": f"{KEY}:operator", "KANRA_LOG_LEVEL": "warning"}
        servers = {n: ApiServer({**env, "KANRA_REDIS_WAIT_REPLICAS": str(n)}, workdir / f"api-{n}.log")
                   for n in (0, 1)}
        for server in servers.values():
            server.start()
        try:
            for server in servers.values():
                server.wait_ready()
            samples: dict[int, list[float]] = {0: [], 1: []}
            with httpx.Client(timeout=20.0, headers={"X-API-Key": KEY}) as http:
                for i in range(2 * bookings):
                    replicas = i % 2
                    body = shape.booking(i)
                    began = time.perf_counter()
                    answer = http.post(f"{servers[replicas].base_url}/bookings", params={"mode": mode}, json=body,
                                       headers={"Idempotency-Key": f"bench-{i:06d}"})
                    elapsed = time.perf_counter() - began
                    if answer.status_code >= 300:
                        raise RuntimeError(f"booking {i}: {answer.status_code} {answer.text[:200]}")
                    if i >= 10:  # the first calls warm the travel-time caches
                        samples[replicas].append(elapsed)
        finally:
            for server in servers.values():
                server.stop()
    return {"mode": mode, "bookings": bookings, "wait_ms": 500,
            "without_wait": _percentiles(samples[0]), "with_wait_1": _percentiles(samples[1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=100, help="bookings per setting (default 100)")
    parser.add_argument("--mode", choices=("sync", "async"), default="sync")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="replica-wait-") as tmp:
        result = run(args.bookings, args.mode, Path(tmp))
    print(f"予約の応答時間 / booking answer latency ({args.mode}, {args.bookings} per setting, ms)")
    print(f"{'WAIT':<14}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for label, key in (("なし / off", "without_wait"), ("1 replica", "with_wait_1")):
        row = result[key]
        print(f"{label:<14}{row['p50_ms']:>8.1f}{row['p95_ms']:>8.1f}{row['p99_ms']:>8.1f}{row['max_ms']:>8.1f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
