"""What the registry API renders for a model and a version: every documented field."""

import pytest
from django.utils import timezone
from rest_framework import serializers

from registry import selectors
from registry.api.serializers import ModelOutputSerializer, VersionOutputSerializer
from tests.factories import (
    DatasetVersionFactory,
    GroupFactory,
    ModelVersionFactory,
    RegisteredModelFactory,
    UserFactory,
)

drf_time = serializers.DateTimeField().to_representation


@pytest.mark.django_db
def test_version_output_renders_every_documented_field(viewer):
    author = UserFactory(username="author")
    parent = ModelVersionFactory(version=1, model=RegisteredModelFactory(name="ancestor"))
    version = ModelVersionFactory(
        version=3,
        parent=parent,
        created_by=author,
        stage="Staging",
        stage_changed_at=timezone.now(),
        signature={
            "inputs": [{"name": "amount", "type": "float", "description": "in EUR"}],
            "outputs": [{"name": "score", "type": "float"}],
        },
        metrics={"auc": 1, "f1": 0.5},
        params={"depth": 6, "loss": "log", "early_stop": True},
    )
    older = DatasetVersionFactory(name="loans", version="v1")
    newer = DatasetVersionFactory(name="loans", version="v2")
    version.trained_on.add(older, newer, DatasetVersionFactory(name="applications", version="v1"))
    version.evaluated_on.add(DatasetVersionFactory(name="holdout"), older)

    rendered = VersionOutputSerializer(selectors.version_get_by_id(user=viewer, pk=version.pk)).data

    assert set(rendered) == set(VersionOutputSerializer().fields)
    assert rendered["model"] == version.model.name and rendered["version"] == 3
    assert rendered["signature"] == {
        "inputs": [{"name": "amount", "type": "float"}],
        "outputs": [{"name": "score", "type": "float"}],
    }
    assert rendered["metrics"] == {"auc": 1.0, "f1": 0.5}
    assert rendered["params"] == {"depth": 6, "loss": "log", "early_stop": True}
    assert rendered["parent"] == {"id": parent.pk, "model": "ancestor", "version": 1}
    assert rendered["created_by"] == "author"
    assert rendered["stage_changed_at"] == drf_time(version.stage_changed_at)
    assert [(d["name"], d["version"]) for d in rendered["trained_on"]] == [
        ("applications", "v1"),
        ("loans", "v2"),
        ("loans", "v1"),
    ]
    assert [d["name"] for d in rendered["evaluated_on"]] == ["holdout", "loans"]


@pytest.mark.django_db
def test_bare_version_output_has_nulls_and_empties(viewer):
    bare = ModelVersionFactory(created_by=None, signature={}, metrics={}, params={})
    rendered = VersionOutputSerializer(selectors.version_get_by_id(user=viewer, pk=bare.pk)).data
    assert rendered["parent"] is None and rendered["created_by"] is None
    assert rendered["stage_changed_at"] is None
    assert rendered["signature"] == {} and rendered["trained_on"] == []


@pytest.mark.django_db
def test_version_read_costs_a_fixed_number_of_queries(viewer, django_assert_max_num_queries):
    version = ModelVersionFactory(parent=ModelVersionFactory(), created_by=UserFactory())
    version.trained_on.add(*DatasetVersionFactory.create_batch(5))
    version.evaluated_on.add(*DatasetVersionFactory.create_batch(5))
    # The reader's roles, the version with its joins, and its two dataset relations.
    with django_assert_max_num_queries(4):
        rendered = VersionOutputSerializer(selectors.version_get_by_id(user=viewer, pk=version.pk))
        assert len(rendered.data["trained_on"]) == 5


@pytest.mark.django_db
def test_model_output_renders_every_documented_field(viewer):
    model = RegisteredModelFactory(owner_group=GroupFactory(name="team-risk"))
    for name in ("zeta", "fraud", "alpha"):
        model.tags.create(name=name)
    ModelVersionFactory(model=model, version=1, stage="Archived")
    ModelVersionFactory(model=model, version=2, stage="Production")
    model.refresh_from_db()
    lone = RegisteredModelFactory()

    rendered = ModelOutputSerializer(selectors.model_get(user=viewer, name=model.name)).data
    assert rendered == {
        "id": model.pk,
        "name": model.name,
        "description": model.description,
        "owner_group": "team-risk",
        "task_type": "classification",
        "risk_tier": "medium",
        "tags": ["alpha", "fraud", "zeta"],
        "version_count": 2,
        "production_version": 2,
        "created_at": drf_time(model.created_at),
        "updated_at": drf_time(model.updated_at),
    }
    bare = ModelOutputSerializer(selectors.model_get(user=viewer, name=lone.name)).data
    assert (bare["owner_group"], bare["tags"], bare["version_count"]) == (None, [], 0)
    assert bare["production_version"] is None
