"""benchmarks/month_soak.py in small: three service days through real API and worker processes, closed and
archived by ``python -m api.archive`` on a moved service clock, the books and the report checked (slow: about
2 minutes; the month itself is a benchmark, figures in docs/reliability.md)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "month_soak.py"


def _soak():
    spec = importlib.util.spec_from_file_location("month_soak", SOAK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["month_soak"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_bad_arguments_exit_2() -> None:
    soak = _soak()
    assert soak.main(["--days", "0"]) == 2
    assert soak.main(["--start", "2027-02-30"]) == 2
    assert soak.main(["--scale", "5"]) == 2


def test_the_judge_tells_flat_from_growing() -> None:
    soak = _soak()

    def days(memory: list[float], rss: list[float], events: list[int] | None = None) -> list[dict]:
        events = events or [10] * len(memory)
        return [{"redis": {"used_memory_mb": m, "keys": 100, "streams": {"stream:events": e}}, "api_rss_mb": r,
                 "worker_rss_mb": r} for m, r, e in zip(memory, rss, events, strict=True)]

    filling = [1.0 + i for i in range(4)]  # retention 2: full after 3 days
    flat = soak.judge(days(filling + [4.0, 4.1, 3.9, 4.0, 4.05, 4.0], [300.0] * 10), retention=2, events_cap=10)
    assert flat["problems"] == [] and abs(flat["redis_slope_mb_per_day_after"]) < 0.05
    assert flat["full_from_day"] == 4  # 1-based: the window of 2 finished days plus the booked one
    growing = soak.judge(days(filling + [5.0, 6.0, 7.0, 8.0, 9.0, 10.0], [300.0 + 5 * i for i in range(10)]), 2,
                         events_cap=10)
    assert len(growing["problems"]) == 3  # Redis, the API's RSS and the worker's
    # the console's event stream (capped by count) still filling: Redis is full only once it is capped
    late_cap = soak.judge(days([1.0 + i for i in range(6)] + [6.0] * 6, [300.0] * 12, [2 * i for i in range(12)]),
                          2, events_cap=10)
    assert late_cap["full_from_day"] == 6 and late_cap["problems"] == []


@pytest.mark.slow
def test_three_days_end_to_end(tmp_path: Path) -> None:
    soak = _soak()
    out = tmp_path / "month.json"
    assert soak.main(["--days", "3", "--scale", "0.05", "--retention-days", "1", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["problems"] == [] and figures["books"]["accepted"] == figures["books"]["stored"] > 5
    assert [d["postgres"]["rows"]["archived_days"] for d in figures["per_day"]] == [1, 2, 3]
    assert figures["per_day"][-1]["redis"]["kinds"].get("area:all:day:*", 0) <= 2  # the first day left Redis
    assert figures["totals"]["completed"] == figures["report"]["totals"]["2027-01 residents.rides"]
