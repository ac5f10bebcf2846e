"""The hand-written output of the busiest endpoints renders what the declared (documented)
serializer fields promise: same keys, same values, DRF's date-time format."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from mlops_portal.api.base import iso_datetime
from registry import selectors
from registry.api.serializers import ModelOutputSerializer, VersionOutputSerializer
from tests.factories import (
    DatasetVersionFactory,
    GroupFactory,
    ModelVersionFactory,
    RegisteredModelFactory,
    UserFactory,
)


def _declared(serializer_class, instance) -> dict:
    """What DRF renders from the declared fields, bypassing the hand-written override."""
    return serializers.Serializer.to_representation(serializer_class(), instance)


@pytest.mark.django_db
def test_version_output_matches_declared_fields(viewer):
    author = UserFactory(username="author")
    parent = ModelVersionFactory(version=1)
    version = ModelVersionFactory(
        model=parent.model,
        version=2,
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
    version.trained_on.add(DatasetVersionFactory(), DatasetVersionFactory())
    version.evaluated_on.add(DatasetVersionFactory())
    bare = ModelVersionFactory(signature={}, metrics={}, params={})
    for pk in (version.pk, parent.pk, bare.pk):
        loaded = selectors.version_get_by_id(user=viewer, pk=pk)
        assert VersionOutputSerializer(loaded).data == _declared(VersionOutputSerializer, loaded)


def _concrete_values(instance) -> dict:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields
    }


@pytest.mark.django_db
def test_version_detail_reads_what_the_orm_reads(viewer, django_assert_num_queries):
    author = UserFactory(username="author", first_name="Zoë")
    parent = ModelVersionFactory(version=1, model=RegisteredModelFactory(name="ancestor"))
    version = ModelVersionFactory(
        version=3,
        parent=parent,
        created_by=author,
        stage="Staging",
        stage_changed_at=timezone.now(),
    )
    older = DatasetVersionFactory(name="loans", version="v1")
    newer = DatasetVersionFactory(name="loans", version="v2")
    version.trained_on.add(older, newer, DatasetVersionFactory(name="applications"))
    version.evaluated_on.add(DatasetVersionFactory(name="holdout"), older)
    bare = ModelVersionFactory(created_by=None, signature={}, metrics={}, params={})

    for pk in (version.pk, parent.pk, bare.pk):
        expected = selectors.version_get_by_id(user=viewer, pk=pk)
        with django_assert_num_queries(2):
            loaded, lineage = selectors.version_detail(user=viewer, pk=pk)
        rendered = VersionOutputSerializer(loaded, context={"lineage": lineage}).data
        assert rendered == VersionOutputSerializer(expected).data
        assert _concrete_values(loaded) == _concrete_values(expected)
        assert _concrete_values(loaded.model) == _concrete_values(expected.model)
        for relation in ("trained_on", "evaluated_on"):
            assert {d.pk for d in lineage[relation]} == {
                d.pk for d in getattr(expected, relation).all()
            }
    assert rendered["parent"] is None and rendered["created_by"] is None  # the bare one
    loaded, lineage = selectors.version_detail(user=viewer, pk=version.pk)
    assert _concrete_values(loaded.parent) == _concrete_values(parent)
    assert loaded.parent.model.name == "ancestor"
    assert _concrete_values(loaded.created_by) == _concrete_values(author)
    rendered = VersionOutputSerializer(loaded, context={"lineage": lineage}).data
    assert [(d["name"], d["version"]) for d in rendered["trained_on"]] == [
        ("applications", "v1"),
        ("loans", "v2"),
        ("loans", "v1"),
    ]
    assert [d["name"] for d in rendered["evaluated_on"]] == ["holdout", "loans"]


@pytest.mark.django_db
def test_model_rows_render_every_documented_field(viewer):
    model = RegisteredModelFactory(owner_group=GroupFactory(name="team-risk"))
    for name in ("zeta", "fraud", "alpha"):
        model.tags.create(name=name)
    ModelVersionFactory(model=model, version=1, stage="Archived")
    ModelVersionFactory(model=model, version=2, stage="Production")
    lone = RegisteredModelFactory()
    drf_time = serializers.DateTimeField().to_representation

    rendered = ModelOutputSerializer(selectors.model_row_get(user=viewer, name=model.name)).data
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
    assert set(rendered) == set(ModelOutputSerializer().fields)
    bare = ModelOutputSerializer(selectors.model_row_get(user=viewer, name=lone.name)).data
    assert (bare["owner_group"], bare["tags"], bare["version_count"]) == (None, [], 0)
    assert bare["production_version"] is None


@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kolkata"]),
)
def test_iso_datetime_renders_like_drf(moment, zone):
    with timezone.override(zone):
        assert iso_datetime(moment) == serializers.DateTimeField().to_representation(moment)
        shifted = moment.astimezone(timezone.get_fixed_timezone(timedelta(hours=3)))
        assert iso_datetime(shifted) == serializers.DateTimeField().to_representation(shifted)


def test_iso_datetime_keeps_none():
    assert iso_datetime(None) is None


@pytest.mark.django_db
def test_a_created_version_reads_back_exactly_as_it_was_returned(api_as, admin_user):
    model = RegisteredModelFactory(name="scoring")
    older = DatasetVersionFactory(name="loans", version="v1")
    newer = DatasetVersionFactory(name="loans", version="v2")
    other = DatasetVersionFactory(name="applications", version="v7")
    holdout = DatasetVersionFactory(name="holdout")
    api = api_as(admin_user)
    body = {
        "model": "scoring",
        "trained_on": [older.pk, other.pk, newer.pk],
        "evaluated_on": [holdout.pk],
        "metrics": {"auc": 0.9},
    }
    created = api.post("/api/v1/versions/", body, format="json")
    assert created.status_code == 201, created.json()
    read = api.get(f"/api/v1/versions/{created.json()['id']}/").json()
    assert created.json() == read
    assert [d["version"] for d in read["trained_on"]] == ["v7", "v2", "v1"]
    assert model.versions.count() == 1
