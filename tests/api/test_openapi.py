"""schemathesis against ``/openapi.json``: generated requests on every route, with an admin
key, in process (ASGI, the app's lifespan and writer running), find no server error and no
answer that the schema does not describe (status, content type, body).

The examples per route are few (the whole run stays within about a minute); the sample
project has leads, versions and outbox messages, so the routes answer more than 404.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadgate.api.app import create_app

from .sample import T0, Clock, make_sample, role_keys

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _sample_app() -> tuple[Any, str]:
    """The app over a sample project, built once at collection: schemathesis needs the
    schema to generate the tests (its fixture loader does not run under this pytest)."""
    root = Path(tempfile.mkdtemp(prefix="leadgate-openapi-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    project = make_sample(root / "p", Clock(T0))
    return create_app(project), role_keys(project)["admin"]


APP, ADMIN_KEY = _sample_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def app_and_key() -> tuple[Any, str]:
    return APP, ADMIN_KEY


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_answer_fits_the_schema(
    case: Any, app_and_key: tuple[Any, str]
) -> None:
    headers = {"Authorization": f"Bearer {app_and_key[1]}"}
    case.call_and_validate(headers=headers, checks=CHECKS)


def test_the_schema_documents_every_error_and_every_body(app_and_key: tuple[Any, str]) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app_and_key[0]) as client:
        spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/") or path == "/v1/whoami":
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("401", "403", "422", "500"):
                ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (method, path, status)
            if path.startswith("/v1/dashboard/"):
                continue  # a page's JSON twin: the page's data as it is (leadgate.web.pages)
            ok = next(s for s in responses if s.startswith("2"))
            body = responses[ok]["content"]["application/json"]["schema"]
            assert "$ref" in body, (method, path)  # a named model, not an untyped object
