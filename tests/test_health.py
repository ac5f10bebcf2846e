"""Load balancers get liveness and readiness; a database outage is a clear 503, never a 500."""

from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, connections


def test_healthz_answers_anonymous_callers_without_touching_the_database(client):
    response = client.get("/healthz")  # any database access would fail here (no db fixture)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_checks_database_broker_and_data_root(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "broker": "ok", "data_root": "ok"},
    }


def test_readyz_is_503_naming_an_unreachable_data_root(client, db, settings, tmp_path):
    settings.DATA_ROOT = tmp_path / "not-mounted"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["data_root"].startswith("unreachable")
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_is_503_naming_an_unreachable_database(client, db):
    with mock.patch.object(type(connections["default"]), "is_usable", return_value=False):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable (OperationalError)"


def test_readyz_is_503_naming_an_unreachable_broker(client, db, settings):
    settings.CELERY_BROKER_DIRS = ["/nonexistent/broker/queue"]
    if not settings.CELERY_BROKER_URL.startswith("filesystem://"):
        pytest.skip("the filesystem broker's folders are what this test takes away")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("unreachable")


def _database_down(*args, **kwargs):
    raise OperationalError("could not connect to server: Connection refused")


@pytest.fixture
def database_down(client, viewer):
    client.force_login(viewer)
    client.raise_request_exception = False
    with mock.patch.object(SessionStore, "load", _database_down):
        yield client


def test_a_database_outage_is_a_503_page(database_down):
    response = database_down.get("/models/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Temporarily unavailable" in page
    assert "database is unavailable" in page


def test_a_database_outage_is_a_503_in_the_api_error_contract(database_down):
    response = database_down.get("/api/v1/models/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_other_errors_stay_500(client, viewer):
    client.force_login(viewer)
    client.raise_request_exception = False
    with mock.patch("registry.views.selectors.model_list", side_effect=ValueError("bug")):
        response = client.get("/models/")
    assert response.status_code == 500
