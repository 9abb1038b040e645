"""Property-based tests of every endpoint from the app's own OpenAPI document (schemathesis).

Two ways. The command-line runner against a real ``python -m api`` and ``python -m api.worker`` (Redis db 14),
every check on (authentication ones included: each protected operation is also called without and with a
wrong key), all four phases (examples, coverage, fuzzing, stateful); its configuration is
``tests/reliability/schemathesis.toml``, its hooks ``tests/reliability/schemathesis_hooks.py``. A bounded run is
in the default suite, a larger one in the slow suite.

And, in the slow suite, hypothesis-driven calls of each operation against the in-process app (db 13), with an
admin key, in positive and negative mode. Checked: no 5xx, every status code, content type, header and body as
documented, and invalid input refused with a 4xx.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from tests.redis_db import connect, redis_url

from .conftest import stack_env

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from reliability.stack import ApiServer, Worker  # noqa: E402

HERE = Path(__file__).resolve().parent
CLI_REDIS_DB = 14

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def schema(settings, world, shared_redis) -> Iterator[Any]:
    shared_redis.flushdb()
    app = create_app(settings, world)
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    # the admin key is given explicitly; credentials generated or left out are the command-line runs' part
    loaded.config.generation.update(with_security_parameters=False)
    yield loaded
    shared_redis.flushdb()


def _tame(case: Any) -> None:
    """Keep each call short: the event stream closes within 0.3 s, re-optimisation gets at most 0.3 s."""
    if case.path == "/events":
        query = dict(case.query or {})
        wait = query.get("wait_s")
        if wait is None or (isinstance(wait, int | float) and not isinstance(wait, bool) and 0 < wait <= 3600):
            query["wait_s"] = min(float(wait or 0.3), 0.3)
        case.query = query
    if case.path == "/dispatch/reoptimise" and isinstance(case.body, dict):
        limit = case.body.get("time_limit_s")
        if isinstance(limit, int | float) and not isinstance(limit, bool) and 0 < limit <= 30:
            case.body["time_limit_s"] = min(float(limit), 0.3)


def _runner(operation: Any, mode: GenerationMode, admin_key: str, max_examples: int,
            failures: dict[str, list[str]]) -> Any:
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    label = f"{operation.label} [{mode.value}]"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def call(case: Any) -> None:
        _tame(case)
        response = case.call(headers={"X-API-Key": admin_key})
        try:
            case.validate_response(response, checks=checks)
        except BaseException as exc:  # schemathesis raises an exception group of its findings
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.setdefault(label, []).append(f"{exc}"[:1500])

    return call


def fuzz(schema: Any, admin_key: str, max_examples: int) -> dict[str, list[str]]:
    """Run every operation in both modes; return the failures per operation (empty: none found)."""
    failures: dict[str, list[str]] = {}
    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _runner(result.ok(), mode, admin_key, max_examples, failures)()
            except Unsatisfiable:  # nothing to make invalid (an operation without parameters)
                continue
    return failures


def _report(failures: dict[str, list[str]]) -> str:
    return "\n\n".join(f"== {label}\n{items[0]}" for label, items in failures.items())


@pytest.mark.slow
def test_every_operation_bounded(schema, credentials):
    """A bounded run in the default suite: a few examples of each operation in each mode."""
    operations = [r.ok().label for r in schema.get_all_operations()]
    assert len(operations) >= 25, operations
    failures = fuzz(schema, credentials.keys["admin"], max_examples=6)
    assert failures == {}, _report(failures)


@pytest.mark.slow
def test_every_operation_thorough(schema, credentials):
    failures = fuzz(schema, credentials.keys["admin"], max_examples=80)
    assert failures == {}, _report(failures)


@pytest.fixture
def live_api(credentials, tmp_path) -> Iterator[str]:
    """A real API and worker on the test Redis (db 14, emptied before and after): the base URL."""
    url = redis_url(CLI_REDIS_DB)
    store = connect(url)
    store.flushdb()
    env = stack_env(credentials, url, prefix="kt-st")
    api = ApiServer(env, tmp_path / "api.log").start()
    worker = Worker(env, tmp_path / "worker.log").start()
    try:
        api.wait_ready()
        yield api.base_url
    finally:
        api.stop()
        worker.stop()
        store.flushdb()
        store.close()


def schemathesis_cli(base_url: str, admin_key: str, report_dir: Path, *options: str) -> subprocess.CompletedProcess:
    """``schemathesis run`` with every check and the project's configuration and hooks; its exit code 0: no failure."""
    command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(HERE / "schemathesis.toml"),
               "run", f"{base_url}/openapi.json", "--checks", "all", "--header", f"X-API-Key: {admin_key}",
               "--phases", "examples,coverage,fuzzing,stateful", "--request-timeout", "15", "--workers", "1",
               "--no-color", "--report", "junit", "--report-dir", str(report_dir), *options]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.reliability.schemathesis_hooks",
           "PYTHONPATH": str(HERE.parents[1])}
    # in the report folder: the run cache (.schemathesis/) stays out of the checkout
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=report_dir, timeout=1800)


def _summary(result: subprocess.CompletedProcess) -> str:
    return (result.stdout + result.stderr)[-12000:]


@pytest.mark.slow
def test_cli_every_check_bounded(live_api, credentials, tmp_path):
    """All checks, all phases, a few examples per operation (about a minute)."""
    result = schemathesis_cli(live_api, credentials.keys["admin"], tmp_path, "--max-examples", "6",
                              "--seed", "20261201")
    assert result.returncode == 0, _summary(result)
    _assert_every_operation_tested(result, tmp_path)


def _assert_every_operation_tested(result: subprocess.CompletedProcess, report_dir: Path) -> None:
    tested = re.search(r"Tested:\s+(\d+)", result.stdout)
    assert tested and int(tested.group(1)) >= 50, result.stdout[-3000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in result.stdout, phase
    (junit,) = report_dir.glob("junit-*.xml")
    suite = ElementTree.parse(junit).getroot()
    cases = suite.findall(".//testcase")
    assert len(cases) >= 50 and not suite.findall(".//failure"), junit.read_text()[:3000]


@pytest.mark.slow
def test_cli_every_check_thorough(live_api, credentials, tmp_path):
    result = schemathesis_cli(live_api, credentials.keys["admin"], tmp_path, "--max-examples", "100")
    assert result.returncode == 0, _summary(result)
    _assert_every_operation_tested(result, tmp_path)
