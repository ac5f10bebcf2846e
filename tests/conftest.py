import os

import pytest
from rest_framework.test import APIClient

from governance.roles import Role
from tests.factories import UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROLES = [role.value for role in Role]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashers cost ~0.3 s per user; tests create hundreds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    def make(*roles: str, **kwargs):
        return UserFactory(roles=list(roles), **kwargs)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", username="root-admin")


@pytest.fixture
def data_scientist(make_user):
    return make_user("data_scientist", username="dana")


@pytest.fixture
def viewer(make_user):
    return make_user("viewer", username="vic")


@pytest.fixture
def approver(make_user):
    return make_user("approver", username="apu")


@pytest.fixture
def api_as():
    """``api_as(user)`` → an APIClient authenticated as that user (or anonymous for None)."""

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def web_as(client):
    def client_for(user=None):
        if user is not None:
            client.force_login(user)
        return client

    return client_for


requires_postgres = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres") is False,
    reason="needs PostgreSQL (set DATABASE_URL=postgres://…)",
)


@pytest.fixture(autouse=True)
def _isolated_data_root(settings, tmp_path_factory):
    """Data files written by any test (uploads, batches, profiles) go to a temporary folder,
    never into the development data under var/."""
    settings.DATA_ROOT = tmp_path_factory.mktemp("data-root")
