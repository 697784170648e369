"""Schemathesis over the OpenAPI document: generated requests, valid and not,
against every documented route. No response may be a server error, and every
response must match what the document declares (status, content type, body).
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks as openapi_checks

from app.main import create_app
from app.settings import Settings
from tests.api.conftest import TEST_HOSTS, create_model


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    # Small limits keep any training job the fuzzer starts short. No seeded demo models: with them
    # GET /api/lessons/figures measures every tour figure on first use (tests/api/test_lessons.py covers
    # that), which on a loaded 2-core machine outlasts the fuzzer's 10 s read timeout.
    config = Settings.from_env(
        models_dir=tmp_path_factory.mktemp("fuzz") / "models",
        seed_dir=None,
        max_train_steps=20,
        max_jobs=1,
        allowed_hosts=TEST_HOSTS,
    )
    app = create_app(config)
    with TestClient(app) as client:  # runs the lifespan: store, device, jobs
        create_model(client, "m", architecture="lstm", task="reber", hidden_size=4)
        yield app


CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


def test_no_server_error_and_no_schema_violation(fuzz_app):
    # Driven by hand (rather than schemathesis' pytest plugin) so one module-scoped
    # app, with its lifespan running, serves every generated request.
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, "the OpenAPI document lost its routes"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case):
            case.call_and_validate(checks=CHECKS)

        fuzz()
