"""The OpenAPI schema is valid, and fuzzing every endpoint from it finds no 5xx and no response
that breaks the schema.

Two passes: a derandomized one (the same examples every run, always on) and, when
``PORTAL_FUZZ_SECONDS`` is set (.ci/run sets it), a randomized one with a fresh seed each run
(``PORTAL_FUZZ_SEED`` replays one) and that many seconds in all; a failure prints its seed."""

import os
import random
import time

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, seed, settings
from knox.models import AuthToken
from schemathesis.specs.openapi.checks import positive_data_acceptance

from mlops_portal.wsgi import application
from tests.factories import UserFactory


def _openapi() -> dict:
    """The schema exactly as /api/schema/ serves it (that URL needs a login, so build it here)."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


schema = schemathesis.openapi.from_dict(_openapi())
schema.app = application
# Revoking the fuzzing token mid-run would turn every later call into a 401.
schema = schema.exclude(path_regex=r"/api/v1/auth/tokens/\{token_key\}/$", method="DELETE")


def test_schema_validates():
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


@pytest.fixture
def keep_test_connection_open():
    """Schemathesis calls the WSGI app directly; like Django's test client, stop the end of each
    request from closing the test's database connection (PostgreSQL would lose its transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(db, keep_test_connection_open) -> str:
    """An admin's token, so fuzzing reaches every endpoint past the role checks; with some data
    behind them (the demo fleet) so detail and lineage routes have something to return."""
    call_command("seed_demo", "--registry-only", stdout=open("/dev/null", "w"))  # noqa: SIM115
    user = UserFactory(username="fuzzer", roles=["admin"])
    return AuthToken.objects.create(user=user)[1]


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, token):
    # Bodies checked against a model version's own signature (feature names) cannot be described
    # by one schema; those operations say so, and only the "valid data is accepted" check is off.
    per_version = case.operation.definition.raw.get("x-validated-against-signature")
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        excluded_checks=[positive_data_acceptance] if per_version else [],
    )


FUZZ_SECONDS = float(os.environ.get("PORTAL_FUZZ_SECONDS") or 0)
FUZZ_SEED = int(os.environ.get("PORTAL_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
_OPERATIONS = sum(
    method in {"get", "put", "post", "patch", "delete"}
    for item in _openapi()["paths"].values()
    for method in item
)
_fuzz_started: dict[str, float] = {}


@pytest.fixture
def fuzz_budget():
    """Each operation's share of the randomized pass's seconds: once an operation has spent
    it, its remaining examples are not sent."""
    print(f"randomized schemathesis pass: PORTAL_FUZZ_SEED={FUZZ_SEED} replays it")
    share = FUZZ_SECONDS / max(_OPERATIONS, 1)

    def within(case) -> bool:
        started = _fuzz_started.setdefault(case.operation.label, time.monotonic())
        return time.monotonic() - started <= share

    return within


@pytest.mark.skipif(not FUZZ_SECONDS, reason="randomized fuzzing: set PORTAL_FUZZ_SECONDS")
@schema.parametrize()
@seed(FUZZ_SEED)
@settings(
    max_examples=100,
    derandomize=False,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema_randomized(case, token, fuzz_budget):
    if not fuzz_budget(case):
        return
    per_version = case.operation.definition.raw.get("x-validated-against-signature")
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        excluded_checks=[positive_data_acceptance] if per_version else [],
    )
