"""Registered models: create and update (name, owner team, task type, risk tier, tags)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict
from registry.models import RegisteredModel
from registry.services.snapshots import model_snapshot
from registry.services.validation import (
    MODEL_FIELDS,
    full_clean,
    owner_group_check,
    refuse_unknown,
    tags_get_or_create,
)


def model_create(
    *,
    actor,
    name: str,
    description: str = "",
    owner_group=None,
    task_type: str = "classification",
    risk_tier: str = "medium",
    tags: Iterable[str] = (),
) -> RegisteredModel:
    require(actor, Action.MODEL_CREATE)
    owner_group_check({"owner_group": owner_group})
    model = RegisteredModel(
        name=name,
        description=description,
        owner_group=owner_group,
        task_type=task_type,
        risk_tier=risk_tier,
        created_by=actor,
    )
    full_clean(model, uniqueness=False)
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                model.save()
        except IntegrityError as exc:
            raise Conflict(f"name: a model named {name!r} already exists.", field="name") from exc
        model.tags.set(tags_get_or_create(tags))
        audit.record(
            action="registry.model.created",
            actor=actor,
            target=model,
            changes=audit.created(model_snapshot(model)),
        )
    return model


def model_update(*, actor, model: RegisteredModel, **fields) -> RegisteredModel:
    require(actor, Action.MODEL_EDIT, model)
    refuse_unknown(fields, (*MODEL_FIELDS, "tags"), "cannot be changed.")
    owner_group_check(fields)
    with transaction.atomic(durable=True):
        model = RegisteredModel.objects.select_for_update().get(pk=model.pk)
        before = model_snapshot(model)
        tags = fields.pop("tags", None)
        for field, value in fields.items():
            setattr(model, field, value)
        full_clean(model, uniqueness=False)
        try:
            with transaction.atomic():
                model.save()
        except IntegrityError as exc:
            raise Conflict(
                f"name: a model named {model.name!r} already exists.", field="name"
            ) from exc
        if tags is not None:
            model.tags.set(tags_get_or_create(tags))
        changes = audit.diff(before, model_snapshot(model))
        if changes:
            audit.record(
                action="registry.model.updated", actor=actor, target=model, changes=changes
            )
    return model
