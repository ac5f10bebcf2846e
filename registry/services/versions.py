"""Model versions: create (numbered under a lock), update, and the one stage service.

``model_version_stage_set`` is the only code that sets a version's stage.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict, ValidationFailed
from registry.models import DatasetVersion, ModelVersion, RegisteredModel, Stage
from registry.services.snapshots import version_snapshot
from registry.services.validation import (
    UNSET,
    VERSION_FIELDS,
    check_no_version_cycle,
    full_clean,
    refuse_unknown,
    signature_clean,
    validate_metrics,
    validate_params,
)


def model_version_create(
    *,
    actor,
    model: RegisteredModel,
    trained_on: Iterable[DatasetVersion] = (),
    evaluated_on: Iterable[DatasetVersion] = (),
    parent: ModelVersion | None = None,
    **fields,
) -> ModelVersion:
    """Register a new version; its number is the model's next, safe under concurrent calls."""
    require(actor, Action.VERSION_CREATE, model)
    refuse_unknown(fields, VERSION_FIELDS, "unknown field.")
    if "signature" in fields:
        fields["signature"] = signature_clean(fields["signature"])
    validate_metrics(fields.get("metrics", {}))
    validate_params(fields.get("params", {}))
    version = ModelVersion(model=model, version=1, parent=parent, created_by=actor, **fields)
    # Checked before the transaction, which holds the write lock: only numbering needs it.
    # The related objects were loaded by the caller: no need to re-check that they exist.
    full_clean(version, exclude=["model", "parent", "created_by", "version"])
    with transaction.atomic(durable=True):
        # The row lock on the model serializes version numbering per model (PostgreSQL);
        # SQLite transactions start IMMEDIATE and already hold the database write lock.
        model = RegisteredModel.objects.select_for_update().get(pk=model.pk)
        latest = model.versions.aggregate(latest=Max("version"))["latest"]
        version.model, version.version = model, (latest or 0) + 1
        version.save(force_insert=True)
        model_figures_refresh(model)
        trained_on, evaluated_on = list(trained_on), list(evaluated_on)
        if trained_on:
            version.trained_on.set(trained_on)
        if evaluated_on:
            version.evaluated_on.set(evaluated_on)
        snapshot = version_snapshot(
            version,
            trained_on=[dataset.pk for dataset in trained_on],
            evaluated_on=[dataset.pk for dataset in evaluated_on],
        )
        audit.record(
            action="registry.model_version.created",
            actor=actor,
            target=version,
            changes=audit.created(snapshot),
        )
    return version


def model_version_update(
    *,
    actor,
    version: ModelVersion,
    trained_on=UNSET,
    evaluated_on=UNSET,
    parent=UNSET,
    **fields,
) -> ModelVersion:
    require(actor, Action.VERSION_EDIT, version)
    refuse_unknown(fields, VERSION_FIELDS, "cannot be changed.")
    if "signature" in fields:
        fields["signature"] = signature_clean(fields["signature"])
    if "metrics" in fields:
        validate_metrics(fields["metrics"])
    if "params" in fields:
        validate_params(fields["params"])
    with transaction.atomic(durable=True):
        version = (
            ModelVersion.objects.select_for_update().select_related("model").get(pk=version.pk)
        )
        before = version_snapshot(version)
        for field, value in fields.items():
            setattr(version, field, value)
        if parent is not UNSET:
            if parent is not None:
                check_no_version_cycle(version, parent)
            version.parent = parent
        full_clean(version, exclude=["model"])
        version.save()
        if trained_on is not UNSET:
            version.trained_on.set(list(trained_on))
        if evaluated_on is not UNSET:
            version.evaluated_on.set(list(evaluated_on))
        changes = audit.diff(before, version_snapshot(version))
        if changes:
            audit.record(
                action="registry.model_version.updated",
                actor=actor,
                target=version,
                changes=changes,
            )
    return version


def model_version_stage_set(
    *,
    actor,
    version: ModelVersion,
    stage: str,
    archive_existing: bool = False,
    comment: str = "",
) -> ModelVersion:
    """The only code that moves a version between stages.

    A model has at most one Production version: promoting another one is refused unless
    ``archive_existing`` moves the current one to Archived in the same transaction.
    """
    require(actor, Action.VERSION_STAGE_CHANGE, version)
    if stage not in Stage.values:
        raise ValidationFailed(
            f"stage: {stage!r} is not one of {', '.join(Stage.values)}.", field="stage"
        )
    with transaction.atomic(durable=True):
        version = (
            ModelVersion.objects.select_for_update().select_related("model").get(pk=version.pk)
        )
        if version.stage == stage:
            raise Conflict(f"stage: {version} is already in {stage}.", field="stage")
        if stage == Stage.PRODUCTION:
            current = (
                ModelVersion.objects.select_for_update()
                .filter(model_id=version.model_id, stage=Stage.PRODUCTION)
                .exclude(pk=version.pk)
                .first()
            )
            if current is not None and not archive_existing:
                raise Conflict(
                    f"stage: {version.model.name} already has a Production version "
                    f"(v{current.version}); archive it first or pass archive_existing.",
                    field="stage",
                )
            if current is not None:
                _stage_write(actor, current, Stage.ARCHIVED, comment="archived by promotion")
        _stage_write(actor, version, stage, comment=comment)
        model_figures_refresh(version.model)
    return version


def model_figures_refresh(model: RegisteredModel) -> None:
    """Recompute the model's version count and Production version number from its versions.

    Called by the services that change them, inside their transaction; data written around
    the services (fixtures, repairs) can call it too."""
    figures = model.versions.aggregate(
        total=Count("pk"), production=Max("version", filter=Q(stage=Stage.PRODUCTION))
    )
    model.version_count, model.production_version = figures["total"], figures["production"]
    RegisteredModel.objects.filter(pk=model.pk).update(
        version_count=model.version_count, production_version=model.production_version
    )


def _stage_write(actor, version: ModelVersion, stage: str, *, comment: str) -> None:
    before = version.stage
    version.stage = stage
    version.stage_changed_at = timezone.now()
    try:
        with transaction.atomic():
            version.save(update_fields=["stage", "stage_changed_at"])
    except IntegrityError as exc:
        raise Conflict(
            f"stage: {version.model.name} already has a Production version.", field="stage"
        ) from exc
    audit.record(
        action="registry.model_version.stage_changed",
        actor=actor,
        target=version,
        changes={"stage": {"before": before, "after": stage}}
        | ({"comment": {"before": None, "after": comment}} if comment else {}),
    )
