"""Soak: a steady booking load on loopback for minutes, then the books audited.

Starts a Redis of its own (``config/redis.conf``, AOF on, data in a temporary folder), ``python -m api``
(uvicorn) and ``python -m api.worker``, sends bookings at a steady rate (each confirmed or declined at
random, as phone staff would), and prints accepted, rejected, errors, p50/p99 latency of the booking call,
and the memory (RSS) of the API and worker processes and Redis at the start and the end. Bounded: it stops
after ``--minutes`` and waits at most a minute for the last answers.

Usage::

    python benchmarks/soak.py --minutes 5 --rate 2 --json benchmarks/results/soak.json
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reliability.audit import CommitLog, audit  # noqa: E402
from reliability.load import BookingLoad, service_days  # noqa: E402
from reliability.stack import ApiServer, RedisServer, Worker, wait_until  # noqa: E402

from api.timefmt import now_jst  # noqa: E402

PREFIX = "kt"


def _memory(api: ApiServer, worker: Worker, client: redis.Redis) -> dict[str, float | None]:
    return {"api_rss_mb": api.rss_mb(), "worker_rss_mb": worker.rss_mb(),
            "redis_used_mb": round(int(client.info("memory")["used_memory"]) / 2**20, 1)}


def _fmt(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.1f}{unit}"


def run(minutes: float, rate: float, days: int, mode: str, workdir: Path) -> dict[str, Any]:
    """Run the soak; returns the figures (see :func:`main` for the table)."""
    keys = {role: f"{role}-{secrets.token_hex(8)}" for role in ("operator", "admin")}
    env = {"KANRA_API_KEYS": ",".join(f"{k}:{r}" for r, k in keys.items()), "KANRA_KEY_PREFIX": PREFIX,
           "KANRA_LOG_LEVEL": "warning", "KANRA_RATE_LIMIT_PER_MIN": "100000"}
    first_day = now_jst().date() + timedelta(days=1)
    booking_days = service_days(first_day, days)
    with RedisServer(workdir / "redis") as server:
        env["REDIS_URL"] = server.url()
        client = redis.Redis.from_url(server.url(), decode_responses=True)
        api = ApiServer(env, workdir / "api.log").start()
        worker = Worker({**env, "KANRA_LOG_LEVEL": "info"}, workdir / "worker.log").start()
        try:
            api.wait_ready()
            wait_until(lambda: "starting for areas" in worker.log_text(), 60, "worker start")
            start_memory = _memory(api, worker, client)
            seconds = minutes * 60
            load = BookingLoad([api.base_url], keys["operator"], booking_days, rate=rate,
                               count=int(rate * seconds) + 1, duration_s=seconds, concurrency=4, mode=mode, seed=2026)
            started = time.monotonic()
            result = load.run()
            elapsed = time.monotonic() - started
            end_memory = _memory(api, worker, client)
            try:
                wait_until(lambda: _unanswered(client, booking_days) == 0, 60, "last answers")
            except TimeoutError:
                pass
            report = audit(client, PREFIX, booking_days, accepted=result.accepted)
            commit_problems = CommitLog.read(client, PREFIX, "all").problems()
        finally:
            worker.stop()
            api.stop()
    statuses = report.statuses
    return {
        "minutes": minutes, "rate_per_s": rate, "mode": mode, "days": days, "elapsed_s": round(elapsed, 1),
        "sent": load.sent, "accepted": len(result.accepted),
        "offered_or_better": sum(statuses[s] for s in ("offered", "confirmed", "assigned", "cancelled")),
        "rejected": statuses["rejected"], "confirmed": len(result.confirmed),
        "errors": len(result.errors), "unavailable_503": result.unavailable, "gave_up": len(result.gave_up),
        "p50_ms": round(result.percentile(0.50) * 1000, 1), "p99_ms": round(result.percentile(0.99) * 1000, 1),
        "max_ms": round(max(result.latencies_s, default=0.0) * 1000, 1),
        "memory_start": start_memory, "memory_end": end_memory,
        "audit_problems": report.problems[:20] + commit_problems[:20], "audit": report.summary(),
        "error_samples": result.errors[:5],
    }


def _unanswered(client: redis.Redis, days: list[str]) -> int:
    ids = [b for d in days for b in client.zrange(f"{PREFIX}:bookings:day:{d}", 0, -1)]
    raws = client.mget([f"{PREFIX}:booking:{b}" for b in ids]) if ids else []
    return sum(1 for r in raws if r is None or json.loads(r)["status"] == "requested")


def print_table(figures: dict[str, Any]) -> None:
    start, end = figures["memory_start"], figures["memory_end"]
    rows = [
        ("duration", f"{figures['elapsed_s']:.0f} s at {figures['rate_per_s']}/s ({figures['mode']})"),
        ("sent / accepted (2xx)", f"{figures['sent']} / {figures['accepted']}"),
        ("offered / rejected", f"{figures['offered_or_better']} / {figures['rejected']}"),
        ("confirmed", str(figures["confirmed"])),
        ("errors (5xx, bad answers)", str(figures["errors"])),
        ("503 + Retry-After / gave up", f"{figures['unavailable_503']} / {figures['gave_up']}"),
        ("booking call p50 / p99 / max", f"{figures['p50_ms']} / {figures['p99_ms']} / {figures['max_ms']} ms"),
        ("API RSS start -> end", f"{_fmt(start['api_rss_mb'])} -> {_fmt(end['api_rss_mb'])} MiB"),
        ("worker RSS start -> end", f"{_fmt(start['worker_rss_mb'])} -> {_fmt(end['worker_rss_mb'])} MiB"),
        ("Redis used start -> end", f"{_fmt(start['redis_used_mb'])} -> {_fmt(end['redis_used_mb'])} MiB"),
        ("audit", f"{figures['audit']}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for problem in figures["audit_problems"]:
        print(f"  ! {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Bounded soak of API + worker + Redis on loopback.")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to send bookings (default 10)")
    parser.add_argument("--rate", type=float, default=2.0, help="bookings started per second (default 2)")
    parser.add_argument("--days", type=int, default=4, help="service days the bookings spread over (default 4)")
    parser.add_argument("--mode", choices=("sync", "async", "mixed"), default="sync",
                        help="sync: the API answers with the offer; async: the worker does; mixed: alternate")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 120 or not 0 < args.rate <= 100 or not 1 <= args.days <= 5:
        print("soak: --minutes must be in (0, 120], --rate in (0, 100], --days in [1, 5]", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="kanra-soak-") as tmp:
            figures = run(args.minutes, args.rate, args.days, args.mode, Path(tmp))
    except FileNotFoundError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        return 2
    print_table(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if figures["errors"] or figures["audit_problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
