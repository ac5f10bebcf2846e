"""The plain-SQL statements of ``mlops_portal.db`` give what the ORM gives, on both backends."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import signals
from django.forms.models import model_to_dict
from django.utils import timezone

from mlops_portal import db
from registry.models import ModelVersion
from tests.factories import ModelVersionFactory, RegisteredModelFactory, UserFactory

pytestmark = pytest.mark.django_db

VERSION_FIELDS = dict(
    description="naïve “quotes” and ünïcode",
    artifact_uri="s3://bucket/model.pkl",
    signature={"inputs": [{"name": "x", "type": "float"}], "outputs": []},
    params={"depth": 6, "rate": 0.1, "name": "gbm", "flag": True, "none": None},
    metrics={"auc": 0.93},
    stage_changed_at=timezone.now() - timedelta(days=3),
)


def _stored(version: ModelVersion) -> dict:
    row = model_to_dict(ModelVersion.objects.get(pk=version.pk))
    return {key: value for key, value in row.items() if key not in ("id", "version")}


def test_insert_row_stores_what_save_stores():
    model, user = RegisteredModelFactory(), UserFactory()
    saved = ModelVersion(model=model, version=1, created_by=user, **VERSION_FIELDS)
    saved.save(force_insert=True)
    inserted = ModelVersion(model=model, version=2, created_by=user, **VERSION_FIELDS)
    db.insert_row(inserted)

    assert inserted.pk is not None and inserted.pk != saved.pk
    assert not inserted._state.adding
    assert inserted.created_at is not None  # auto_now_add, set on the instance as save() does
    assert _stored(inserted) == _stored(saved)
    assert ModelVersion.objects.get(pk=inserted.pk).created_at == inserted.created_at


def test_insert_row_refuses_what_the_database_refuses_and_writes_nothing():
    existing = ModelVersionFactory()
    duplicate = ModelVersion(model=existing.model, version=existing.version)
    with pytest.raises(IntegrityError), transaction.atomic():
        db.insert_row(duplicate)
    assert ModelVersion.objects.count() == 1


def test_insert_row_sends_signals_through_save_when_a_model_has_receivers():
    received = []

    def receiver(sender, instance, created, **kwargs):
        received.append((instance.version, created))

    signals.post_save.connect(receiver, sender=ModelVersion)
    try:
        db.insert_row(ModelVersion(model=RegisteredModelFactory(), version=4))
    finally:
        signals.post_save.disconnect(receiver, sender=ModelVersion)
    assert received == [(4, True)]


def test_from_row_reads_what_the_orm_reads():
    user = UserFactory(first_name="Zoë", is_staff=True)
    user.last_login = timezone.now() - timedelta(hours=5)
    user.save()
    user_model = get_user_model()
    sql = f"SELECT {db.columns_sql(user_model, 'u')} FROM auth_user u WHERE u.id = %s"

    loaded = db.from_row(user_model, db.fetch_one(sql, [user.pk]))

    expected = user_model.objects.get(pk=user.pk)
    for field in user_model._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.is_staff is True and loaded.is_active is True  # booleans, not 0/1
    assert timezone.is_aware(loaded.last_login)
    assert not loaded._state.adding


def test_comma_joined_sql_joins_numbers_and_text():
    model = RegisteredModelFactory()
    for number in (1, 2, 3):
        ModelVersionFactory(model=model, version=number)
    sql = (
        f"SELECT {db.comma_joined_sql('version')}, {db.comma_joined_sql('artifact_uri')}"
        " FROM registry_modelversion WHERE model_id = %s"
    )
    numbers, uris = db.fetch_one(sql, [model.pk])
    assert sorted(int(value) for value in numbers.split(",")) == [1, 2, 3]
    assert len(uris.split(",")) == 3


def test_execute_returns_the_changed_row_count():
    model = RegisteredModelFactory()
    sql = "UPDATE registry_registeredmodel SET description = %s WHERE id = %s"
    assert db.execute(sql, ["changed", model.pk]) == 1
    assert db.execute(sql, ["changed", model.pk + 1000]) == 0
    model.refresh_from_db()
    assert model.description == "changed"


def test_get_by_finds_the_row_the_orm_finds_or_none():
    model = RegisteredModelFactory(name="churn", description="Who leaves")
    RegisteredModelFactory(name="Churn")  # names are compared exactly, as by the ORM

    found = db.get_by(type(model), "name", "churn")

    assert found.pk == model.pk and found.description == "Who leaves"
    assert model_to_dict(found) == model_to_dict(type(model).objects.get(name="churn"))
    assert db.get_by(type(model), "name", "nope") is None


def test_from_joined_row_reads_each_block_and_none_for_a_join_that_found_nothing():
    child = ModelVersionFactory(parent=ModelVersionFactory(version=1), version=2)
    orphan = ModelVersionFactory(version=3)
    sql = (
        f"SELECT {db.columns_sql(ModelVersion, 'v')}, {db.columns_sql(ModelVersion, 'p')}, 7"
        " FROM registry_modelversion v LEFT JOIN registry_modelversion p ON p.id = v.parent_id"
        " WHERE v.id = %s"
    )

    version, parent = db.from_joined_row(
        (ModelVersion, ModelVersion), db.fetch_one(sql, [child.pk])
    )
    assert (version.pk, version.version, parent.pk, parent.version) == (
        child.pk,
        2,
        child.parent_id,
        1,
    )
    assert model_to_dict(parent) == model_to_dict(ModelVersion.objects.get(pk=child.parent_id))
    row = db.fetch_one(sql, [orphan.pk])
    assert db.from_joined_row((ModelVersion, ModelVersion), row) == [orphan, None]
    assert row[-1] == 7  # what follows the blocks is the caller's


def test_fetch_all_returns_every_row():
    model = RegisteredModelFactory()
    for number in (1, 2):
        ModelVersionFactory(model=model, version=number)
    sql = "SELECT version FROM registry_modelversion WHERE model_id = %s ORDER BY version"
    assert db.fetch_all(sql, [model.pk]) == [(1,), (2,)]
    assert db.fetch_all(sql, [model.pk + 1000]) == []
