"""The hand-written output of the busiest endpoints renders exactly what the declared (and
documented) serializer fields would: same keys, same values, same date-time format."""

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


@pytest.mark.django_db
def test_model_output_matches_declared_fields(viewer):
    model = RegisteredModelFactory(owner_group=GroupFactory(name="team-risk"))
    model.tags.create(name="fraud")
    ModelVersionFactory(model=model, version=1, stage="Production")
    lone = RegisteredModelFactory()
    for name in (model.name, lone.name):
        loaded = selectors.model_get(user=viewer, name=name)
        assert ModelOutputSerializer(loaded).data == _declared(ModelOutputSerializer, loaded)


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
