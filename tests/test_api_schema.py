"""The OpenAPI schema is valid, and fuzzing every endpoint from it finds no 5xx and no response
that breaks the schema."""

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from knox.models import AuthToken

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
def token(db) -> str:
    """An admin's token, so fuzzing reaches every endpoint past the role checks; with some data
    behind them (the demo fleet) so detail and lineage routes have something to return."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
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
    case.call_and_validate(headers={"Authorization": f"Token {token}"})
