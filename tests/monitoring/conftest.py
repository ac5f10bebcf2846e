import os

import pytest

from mlops_portal.celery import app as celery_app
from tests.factories import GroupFactory, ModelVersionFactory, RegisteredModelFactory
from tests.monitoring.factories import MonitorFactory, ReferenceDatasetFactory

REAL_WORKER = os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "celery_worker: task tests; run against a real in-process Celery worker when "
        "CELERY_BROKER_URL is redis://…, eagerly otherwise (select with -m celery_worker)",
    )


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Tasks queued by the code under test run inline, except in ``celery_worker`` tests when
    the broker is Redis: those go through the broker to a real worker."""
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    real = REAL_WORKER and request.node.get_closest_marker("celery_worker") is not None
    celery_app.conf.task_always_eager = not real
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def team(db):
    return GroupFactory(name="team-monitoring")


@pytest.fixture
def owner(make_user, team):
    """A data scientist in the team that owns ``version``'s model."""
    user = make_user("data_scientist", username="owner-ds")
    user.groups.add(team)
    return user


@pytest.fixture
def other_scientist(make_user):
    return make_user("data_scientist", username="other-ds")


@pytest.fixture
def version(team):
    model = RegisteredModelFactory(name="churn", owner_group=team, task_type="classification")
    return ModelVersionFactory(model=model, version=1)


@pytest.fixture
def monitor(version):
    """A monitor of ``version`` with hour-long windows and a profiled reference."""
    return MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
