"""Schemathesis against our own OpenAPI spec: no generated request may cause a server error.

Each operation of the spec gets generated requests (valid and invalid) with the test operator's
token, on SQLite and on PostgreSQL; a 5xx or a response that contradicts the spec fails.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES_PER_OPERATION = 20


def test_no_generated_request_makes_the_api_fail(app: Any, api: TestClient) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    headers = {"Authorization": api.headers["Authorization"]}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            case.call_and_validate(
                headers=headers,
                checks=[checks.not_a_server_error, response_schema_conformance],
            )

        call()
