"""A model's version count and Production version, as lists show them, follow every change
made through the services."""

import os

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from mlops_portal.errors import Conflict
from registry import services
from registry.models import RegisteredModel
from tests.factories import ModelVersionFactory, RegisteredModelFactory


def _listed(api, name: str) -> tuple:
    row = api.get(f"/api/v1/models/?name={name}").json()["results"][0]
    return row["version_count"], row["production_version"]


def test_figures_follow_creation_and_stage_changes(api_as, admin_user, data_scientist):
    api = api_as(admin_user)
    model = services.model_create(actor=data_scientist, name="churn")
    assert _listed(api, "churn") == (0, None)
    first, second, third = (
        services.model_version_create(actor=data_scientist, model=model) for _ in range(3)
    )
    assert _listed(api, "churn") == (3, None)
    services.model_version_stage_set(actor=admin_user, version=second, stage="Production")
    assert _listed(api, "churn") == (3, 2)
    services.model_version_stage_set(
        actor=admin_user, version=third, stage="Production", archive_existing=True
    )
    assert _listed(api, "churn") == (3, 3)
    assert api.get("/api/v1/models/churn/").json()["production_version"] == 3
    services.model_version_stage_set(actor=admin_user, version=third, stage="Archived")
    assert _listed(api, "churn") == (3, None)
    services.model_version_stage_set(actor=admin_user, version=first, stage="Staging")
    assert _listed(api, "churn") == (3, None)


def test_a_refused_promotion_leaves_the_figures(api_as, admin_user, data_scientist):
    api = api_as(admin_user)
    model = services.model_create(actor=data_scientist, name="fraud")
    one = services.model_version_create(actor=data_scientist, model=model)
    two = services.model_version_create(actor=data_scientist, model=model)
    services.model_version_stage_set(actor=admin_user, version=one, stage="Production")
    with pytest.raises(Conflict):
        services.model_version_stage_set(actor=admin_user, version=two, stage="Production")
    assert _listed(api, "fraud") == (2, 1)


@pytest.mark.skipif(
    bool(os.environ.get("MIGRATE_DATABASE_URL")),
    reason="migrations run as the schema owner; the portal's own role may not alter tables",
)
@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_figures_of_existing_models():
    model = RegisteredModelFactory(name="legacy")
    ModelVersionFactory(model=model, version=1, stage="Archived")
    ModelVersionFactory(model=model, version=2, stage="Production")
    empty = RegisteredModelFactory(name="empty")
    RegisteredModel.objects.update(version_count=0, production_version=None)

    executor = MigrationExecutor(connection)
    executor.migrate([("registry", "0001_initial")])
    executor.loader.build_graph()
    executor.migrate([("registry", "0002_model_version_figures")])

    model.refresh_from_db()
    empty.refresh_from_db()
    assert (model.version_count, model.production_version) == (2, 2)
    assert (empty.version_count, empty.production_version) == (0, None)
