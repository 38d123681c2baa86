"""The API does what its OpenAPI schema says (issue 18): schemathesis generates requests from
`/api/schema/` for every operation, schema-valid and schema-violating ones, and runs every check
on each answer (status codes, content types, headers, bodies, acceptance and rejection, auth), as
an anonymous client, an angler and a researcher. `schemathesis.toml` holds the run's settings;
CONTRACT_EXAMPLES (default 8) bounds the requests per operation, role and mode."""

import os
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from config.wsgi import application

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = schemathesis.openapi.from_wsgi(
    "/api/schema/", application, config=SchemathesisConfig.from_path(str(ROOT / "schemathesis.toml"))
)
OPERATIONS = {result.ok().label: result.ok() for result in SCHEMA.get_all_operations()}
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "8"))

# Long (about 1,200 requests): once per scripts/test, on the embedded run.
pytestmark = [pytest.mark.django_db, pytest.mark.once]


@pytest.fixture(autouse=True)
def connections_kept():
    """Requests go through the WSGI application here, not Django's test client: keep the test's
    database connection open across them, as the test client does (request_started and
    request_finished would close it in the middle of the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["anonymous", "angler", "researcher"])
def credentials(request):
    if request.param == "anonymous":
        return {}
    user = request.getfixturevalue(request.param)
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def test_every_operation_is_covered():
    assert len(OPERATIONS) >= 26, sorted(OPERATIONS)


def _has_input(operation):
    return any(len(part) for part in (operation.path_parameters, operation.query, operation.body))


# A schema-violating request needs something to violate: operations without input get positive ones.
RUNS = [
    pytest.param(label, mode, id=f"{label}-{mode.value}")
    for label, operation in sorted(OPERATIONS.items())
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _has_input(operation)
]


@pytest.mark.parametrize(("label", "mode"), RUNS)
def test_the_api_keeps_its_contract(label, mode, credentials):
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def check(case):
        cache.clear()  # the throttles count in the cache: this run is not the throttling test
        case.call_and_validate(headers=credentials)

    try:
        check()
    except Unsatisfiable:
        # Every parameter takes any string: no request violates the schema (and none is sent).
        assert mode is GenerationMode.NEGATIVE
        pytest.skip("schemathesis finds no schema-violating request for this operation")
