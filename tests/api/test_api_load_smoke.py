"""A tiny run of benchmarks/api_load.py: the benchmark works end to end (no timing asserted)."""

import json
import subprocess
import sys
from pathlib import Path

from tests.redis_db import redis_url

REPO = Path(__file__).resolve().parents[2]


def test_api_load_benchmark_smoke(tmp_path, redis_client):
    out = tmp_path / "api_load.json"
    run = subprocess.run(
        [sys.executable, "benchmarks/api_load.py", "--ingest", "30", "--offers", "3", "--concurrency", "4",
         "--redis-url", redis_url(15), "--json", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, run.stderr
    assert "ingest" in run.stdout and "offer" in run.stdout
    result = json.loads(out.read_text())
    assert result["ingest"]["accepted"] == 30 and result["worker"]["finished"]
    assert sum(result["offer"]["statuses"].values()) == 3
    bad = subprocess.run([sys.executable, "benchmarks/api_load.py", "--ingest", "0"], cwd=REPO,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--ingest" in bad.stderr
