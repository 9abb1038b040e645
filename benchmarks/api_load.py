"""Booking API load: ingest rate into the stream, and offer latency, over HTTP on loopback.

Starts ``python -m api`` (uvicorn) against Redis on loopback (its own db, emptied before and after), then

1. **ingest**: ``--ingest`` bookings ``POST /bookings?mode=async`` from ``--concurrency`` connections;
   reports accepted bookings/s and latency percentiles (target >= 500/s with p99 <= 100 ms);
2. **worker**: starts ``python -m api.worker`` and times how long it takes to answer them all (offers/s);
3. **offer**: ``--offers`` bookings ``POST /bookings`` (sync, as on the phone) one at a time;
   reports offer latency percentiles.

The request count is bounded; nothing here needs ``shared/bench_data`` (the requests are generated from
the regional places), so ``--bench-data`` only records where the shared data would be.

Usage::

    python benchmarks/api_load.py --ingest 3000 --concurrency 16 --offers 100 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import redis

REPO = Path(__file__).resolve().parents[1]
KEY = "bench-operator-key"
TARGET_RATE = 500.0
TARGET_P99_MS = 100.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentiles(samples_s: list[float]) -> dict[str, float]:
    if not samples_s:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    ms = np.array(samples_s) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "p99_ms": float(np.percentile(ms, 99)), "max_ms": float(ms.max())}


def _bookings(n: int, day: str, seed: int) -> list[dict]:
    """Plausible requests: stations, hospitals, shops and 大字 of the four municipalities, 08:30-16:00."""
    from routing import RoadNetwork

    places = [p.key for p in RoadNetwork.load().places if p.node >= 0 and p.kind != "stop" and p.jis_code in
              ("10210", "10382", "10383", "10384")]  # the same draws as before stop poles became places
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a, b = rng.sample(places, 2)
        minute = rng.randrange(8 * 60 + 30, 16 * 60, 5)
        out.append({"pickup": {"place": a}, "dropoff": {"place": b},
                    "time": f"{day}T{minute // 60:02d}:{minute % 60:02d}:00+09:00", "seats": rng.choice((1, 1, 1, 2))})
    return out


class _Connection:
    """A minimal HTTP/1.1 keep-alive client: the load generator shares the 2 cores with the server, and a
    general-purpose client would spend more CPU per request than the endpoint being measured."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _fire(base: str, bodies: list[dict], concurrency: int, mode: str, prefix: str) -> tuple[list[float], dict]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    host, port = base.removeprefix("http://").split(":")
    payloads = [json.dumps(b).encode() for b in bodies]
    next_index = iter(range(len(payloads)))

    async def one_connection() -> None:
        connection = _Connection(host, int(port))
        try:
            for i in next_index:
                headers = {"X-API-Key": KEY, "Idempotency-Key": f"{prefix}-{i:07d}"}
                began = time.perf_counter()
                status, raw = await connection.post(f"/bookings?mode={mode}", payloads[i], headers)
                latencies.append(time.perf_counter() - began)
                key = f"{status} {json.loads(raw).get('status')}" if status < 300 else str(status)
                statuses[key] = statuses.get(key, 0) + 1
        finally:
            connection.close()

    await asyncio.gather(*(one_connection() for _ in range(concurrency)))
    return latencies, statuses


def _wait_ready(base: str, proc: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"api_load: the API exited with {proc.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("api_load: the API did not come up")


def run(args: argparse.Namespace) -> dict:
    client = redis.Redis.from_url(args.redis_url, decode_responses=True)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        print(f"api_load: no Redis at {args.redis_url}; skipped (start one with `make redis`)")
        return {"skipped": "no redis"}
    client.flushdb()
    from api.timefmt import now_jst

    day = (now_jst().date().fromordinal(now_jst().date().toordinal() + 1)).isoformat()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "REDIS_URL": args.redis_url, "KANRA_API_KEYS": f"{KEY}:operator",
           "KANRA_REOPT_INTERVAL_S": "3600", "PYTHONPATH": str(REPO)}
    api = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port), "--log-level", "warning"],
                           cwd=REPO, env=env)
    results: dict = {"day": day, "concurrency": args.concurrency, "load_average": os.getloadavg()[0]}
    worker = None
    try:
        _wait_ready(base, api)
        bodies = _bookings(args.ingest, day, args.seed)
        # offers are timed on the next day, at a realistic day's size, not behind thousands of ingest bookings
        offer_day = (now_jst().date().fromordinal(now_jst().date().toordinal() + 2)).isoformat()
        offer_bodies = _bookings(args.offers, offer_day, args.seed + 1)
        asyncio.run(_fire(base, bodies[:50], 8, "async", "warmup"))  # connections, caches
        client.flushdb()

        began = time.perf_counter()
        latencies, statuses = asyncio.run(_fire(base, bodies[:args.ingest], args.concurrency, "async", "ingest"))
        elapsed = time.perf_counter() - began
        accepted = statuses.get("202 requested", 0)
        results["ingest"] = {"requests": args.ingest, "accepted": accepted, "seconds": elapsed,
                             "rate_per_s": accepted / elapsed, "statuses": statuses, **_percentiles(latencies)}

        worker = subprocess.Popen([sys.executable, "-m", "api.worker", "--log-level", "warning"], cwd=REPO, env=env)
        began = time.perf_counter()
        stream = client.keys("kt:stream:bookings:*")[0]
        last = client.xrevrange(stream, count=1)[0][0]
        while client.hget(stream.replace("stream:bookings:", "area:") + ":cursor", "bookings") != last:
            if time.perf_counter() - began > args.worker_timeout:
                break
            time.sleep(0.05)
        worker_s = time.perf_counter() - began
        done = client.hget(stream.replace("stream:bookings:", "area:") + ":cursor", "bookings") == last
        results["worker"] = {"bookings": accepted, "seconds": worker_s, "finished": done,
                             "offers_per_s": accepted / worker_s if done else float("nan")}
        worker.terminate()
        worker.wait(10)
        worker = None

        latencies, statuses = asyncio.run(_fire(base, offer_bodies, 1, "sync", "offer"))
        results["offer"] = {"requests": args.offers, "statuses": statuses, **_percentiles(latencies)}
    finally:
        for proc in (worker, api):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        client.flushdb()
    ingest = results["ingest"]
    results["targets"] = {"rate_per_s": TARGET_RATE, "p99_ms": TARGET_P99_MS,
                          "met": ingest["rate_per_s"] >= TARGET_RATE and ingest["p99_ms"] <= TARGET_P99_MS}
    return results


def print_table(r: dict) -> None:
    if "skipped" in r:
        return
    i, w, o = r["ingest"], r["worker"], r["offer"]
    print(f"{'phase':<8} {'requests':>8} {'rate/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    print(f"{'ingest':<8} {i['requests']:>8} {i['rate_per_s']:>9.1f} {i['p50_ms']:>8.1f} {i['p95_ms']:>8.1f} "
          f"{i['p99_ms']:>8.1f} {i['max_ms']:>8.1f}")
    print(f"{'worker':<8} {w['bookings']:>8} {w['offers_per_s']:>9.1f} {'':>8} {'':>8} {'':>8} {'':>8}"
          f"  ({w['seconds']:.1f} s to answer all{'' if w['finished'] else ', NOT finished'})")
    print(f"{'offer':<8} {o['requests']:>8} {'':>9} {o['p50_ms']:>8.1f} {o['p95_ms']:>8.1f} {o['p99_ms']:>8.1f} "
          f"{o['max_ms']:>8.1f}")
    print(f"ingest statuses {i['statuses']}; offer statuses {o['statuses']}")
    t = r["targets"]
    verdict = "met" if t["met"] else "NOT met"
    print(f"target ingest >= {t['rate_per_s']:.0f}/s with p99 <= {t['p99_ms']:.0f} ms: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ingest", type=int, default=3000, help="bookings for the ingest phase (bounded)")
    parser.add_argument("--offers", type=int, default=100, help="synchronous offers to time")
    parser.add_argument("--concurrency", type=int, default=16, help="parallel connections during ingest")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
                        help="Redis db of its own (emptied before and after)")
    parser.add_argument("--worker-timeout", type=float, default=300.0, help="seconds to wait for the worker")
    parser.add_argument("--bench-data", default=str(REPO.parent / "shared" / "bench_data"),
                        help="shared benchmark data (not needed here: requests are generated)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="write the results as JSON to this path")
    args = parser.parse_args(argv)
    if min(args.ingest, args.offers, args.concurrency) < 1 or args.ingest > 100_000 or args.offers > 10_000:
        print("api_load: --ingest 1..100000, --offers 1..10000 and --concurrency >= 1", file=sys.stderr)
        return 2
    results = run(args)
    print_table(results)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
