"""Property-based tests of every endpoint from the app's own OpenAPI document (schemathesis).

Each operation is called with generated requests, schema-valid (positive) and schema-invalid (negative),
with an admin key, against the in-process app on the real Redis (db 13). Checked: no 5xx, every status
code, content type, header and body as documented, and invalid input refused with a 4xx.

Not checked: that every schema-valid request is accepted. The schema cannot say which place keys exist
or which areas are configured, so a well-formed request naming an unknown place is rightly a 422.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def schema(settings, world, shared_redis) -> Iterator[Any]:
    shared_redis.flushdb()
    app = create_app(settings, world)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
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
