"""Registry writes. Each validates, writes in one transaction and records its audit event.

``model_version_stage_set`` is the only code that sets a version's stage.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from governance import audit
from governance.roles import Action, Role, require
from mlops_portal.errors import Conflict, ValidationFailed, validation_failed_from_django
from registry.models import (
    DatasetVersion,
    ModelVersion,
    RegisteredModel,
    Stage,
    Tag,
)

SIGNATURE_TYPES = ("float", "integer", "string", "boolean", "category", "datetime")
MODEL_FIELDS = ("name", "description", "owner_group", "task_type", "risk_tier")
VERSION_FIELDS = (
    "description",
    "artifact_uri",
    "artifact_sha256",
    "framework",
    "signature",
    "params",
    "metrics",
    "code_repository",
    "code_commit",
    "run_id",
)
DATASET_FIELDS = ("uri", "sha256", "row_count", "schema", "description", "owner_group")


# --- snapshots for the audit diff ------------------------------------------------------------


def model_snapshot(model: RegisteredModel) -> dict:
    return {
        "name": model.name,
        "description": model.description,
        "owner_group": model.owner_group.name if model.owner_group_id else None,
        "task_type": model.task_type,
        "risk_tier": model.risk_tier,
        "tags": sorted(tag.name for tag in model.tags.all()) if model.pk else [],
    }


def version_snapshot(version: ModelVersion, *, trained_on=None, evaluated_on=None) -> dict:
    """The audited state of a version; lineage ids may be passed in when the caller has them."""
    if trained_on is None:
        trained_on = version.trained_on.values_list("pk", flat=True)
    if evaluated_on is None:
        evaluated_on = version.evaluated_on.values_list("pk", flat=True)
    snapshot = {field: getattr(version, field) for field in VERSION_FIELDS}
    snapshot.update(
        model=version.model.name,
        version=version.version,
        stage=version.stage,
        parent=version.parent_id,
        trained_on=sorted(trained_on),
        evaluated_on=sorted(evaluated_on),
    )
    return snapshot


def dataset_snapshot(dataset: DatasetVersion) -> dict:
    snapshot = {
        field: getattr(dataset, field) for field in DATASET_FIELDS if field != "owner_group"
    }
    snapshot.update(
        name=dataset.name,
        version=dataset.version,
        owner_group=dataset.owner_group.name if dataset.owner_group_id else None,
        derived_from=sorted(dataset.derived_from.values_list("pk", flat=True)),
    )
    return snapshot


# --- validation helpers ----------------------------------------------------------------------


def _refuse_unknown(fields: dict, allowed: Iterable[str], problem: str) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: {problem}", field=unknown[0])


def _full_clean(instance, *, exclude: Iterable[str] = (), uniqueness: bool = True) -> None:
    """Field validation as 400s. With ``uniqueness=False`` duplicates are left to the database,
    whose IntegrityError the caller turns into a 409 (also race-free)."""
    try:
        instance.full_clean(
            exclude=list(exclude), validate_unique=uniqueness, validate_constraints=uniqueness
        )
    except ValidationError as exc:
        raise validation_failed_from_django(exc) from exc


COLUMN_NAME_MAX_LENGTH = 200
COLUMN_DESCRIPTION_MAX_LENGTH = 2000
COLUMNS_MAX = 2000  # per signature part or dataset schema
MAP_ENTRIES_MAX = 1000  # params or metrics of one version
MAP_KEY_MAX_LENGTH = 250
PARAM_VALUE_MAX_LENGTH = 6000


def _text(value, *, field: str, required: bool, max_length: int | None = None) -> str:
    """A trimmed string without NUL characters (which PostgreSQL cannot store)."""
    if not isinstance(value, str):
        raise ValidationFailed(f"{field}: must be a string.", field=field)
    if max_length is not None and len(value) > max_length:
        raise ValidationFailed(f"{field}: at most {max_length} characters.", field=field)
    if "\x00" in value:
        raise ValidationFailed(f"{field}: NUL characters are not allowed.", field=field)
    value = value.strip()
    if required and not value:
        raise ValidationFailed(f"{field}: must not be blank.", field=field)
    return value


def columns_clean(value, *, field: str) -> list[dict]:
    """A list of {name, type, description?} columns as stored: checked (field paths such as
    ``signature.inputs.0.type``, as the API names them), names and descriptions trimmed."""
    if not isinstance(value, list):
        raise ValidationFailed(f"{field}: must be a list of {{name, type}} objects.", field=field)
    if len(value) > COLUMNS_MAX:
        raise ValidationFailed(f"{field}: at most {COLUMNS_MAX} columns.", field=field)
    cleaned, seen = [], set()
    for index, column in enumerate(value):
        where = f"{field}.{index}"
        if not isinstance(column, dict):
            raise ValidationFailed(f"{where}: must be a {{name, type}} object.", field=where)
        unknown = sorted(set(column) - {"name", "type", "description"})
        if unknown:
            raise ValidationFailed(
                f"{where}.{unknown[0]}: unknown field.", field=f"{where}.{unknown[0]}"
            )
        for key in ("name", "type"):
            if key not in column:
                raise ValidationFailed(
                    f"{where}.{key}: this field is required.", field=f"{where}.{key}"
                )
        name = _text(
            column["name"], field=f"{where}.name", required=True, max_length=COLUMN_NAME_MAX_LENGTH
        )
        kind = column["type"]
        if not isinstance(kind, str) or kind not in SIGNATURE_TYPES:
            raise ValidationFailed(
                f"{where}.type: {kind!r} is not one of {', '.join(SIGNATURE_TYPES)}.",
                field=f"{where}.type",
            )
        if name in seen:
            raise ValidationFailed(
                f"{where}.name: duplicate column {name!r}.", field=f"{where}.name"
            )
        seen.add(name)
        column_cleaned = {"name": name, "type": kind}
        if "description" in column:
            column_cleaned["description"] = _text(
                column["description"],
                field=f"{where}.description",
                required=False,
                max_length=COLUMN_DESCRIPTION_MAX_LENGTH,
            )
        cleaned.append(column_cleaned)
    return cleaned


def signature_clean(signature) -> dict:
    """The input/output signature as stored (see ``columns_clean``)."""
    if not isinstance(signature, dict):
        raise ValidationFailed(
            "signature: must be an object with 'inputs' and 'outputs' lists.", field="signature"
        )
    unknown = sorted(set(signature) - {"inputs", "outputs"})
    if unknown:
        raise ValidationFailed(
            f"signature.{unknown[0]}: unknown field.", field=f"signature.{unknown[0]}"
        )
    cleaned = {
        part: columns_clean(signature[part], field=f"signature.{part}")
        for part in ("inputs", "outputs")
        if part in signature
    }
    inputs = {column["name"] for column in cleaned.get("inputs", [])}
    for index, column in enumerate(cleaned.get("outputs", [])):
        if column["name"] in inputs:
            # Ingested rows hold inputs and outputs side by side: one name cannot be both.
            where = f"signature.outputs.{index}.name"
            raise ValidationFailed(
                f"{where}: {column['name']!r} is already an input column.", field=where
            )
    return cleaned


def _map_check(values: dict, *, field: str) -> None:
    if len(values) > MAP_ENTRIES_MAX:
        raise ValidationFailed(f"{field}: at most {MAP_ENTRIES_MAX} entries.", field=field)
    for key in values:
        if len(key) > MAP_KEY_MAX_LENGTH:
            raise ValidationFailed(
                f"{field}: names are at most {MAP_KEY_MAX_LENGTH} characters.", field=field
            )


def _finite_float(value) -> float | None:
    """The number as a float, or None when it is not a finite number (too large included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def validate_metrics(metrics) -> None:
    if not isinstance(metrics, dict):
        raise ValidationFailed("metrics: must be an object of name → number.", field="metrics")
    _map_check(metrics, field="metrics")
    for name, value in metrics.items():
        if _finite_float(value) is None:
            shown = f"{value!r}"[:40]
            raise ValidationFailed(
                f"metrics.{name}: must be a finite number within the range of a double, "
                f"got {shown}.",
                field=f"metrics.{name}",
            )


def validate_params(params) -> None:
    if not isinstance(params, dict):
        raise ValidationFailed("params: must be an object of name → value.", field="params")
    _map_check(params, field="params")
    for name, value in params.items():
        if isinstance(value, str) and len(value) > PARAM_VALUE_MAX_LENGTH:
            raise ValidationFailed(
                f"params.{name}: at most {PARAM_VALUE_MAX_LENGTH} characters.",
                field=f"params.{name}",
            )
        if isinstance(value, int) and not isinstance(value, bool) and _finite_float(value) is None:
            raise ValidationFailed(
                f"params.{name}: the number is too large.", field=f"params.{name}"
            )


def _owner_group_check(fields: dict) -> None:
    """A model or dataset is owned by a team; a role group would hand it to everyone holding
    that role."""
    group = fields.get("owner_group")
    if group is not None and group.name in {role.value for role in Role}:
        raise ValidationFailed(
            f"owner_group: {group.name!r} is a role, not a team.", field="owner_group"
        )


def _tags(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in sorted(set(names)):
        tag = Tag(name=name)
        try:
            tag.clean_fields()
        except ValidationError as exc:
            raise ValidationFailed(f"tags: {name!r} is not a valid tag.", field="tags") from exc
        tags.append(Tag.objects.get_or_create(name=name)[0])
    return tags


def _check_no_version_cycle(version: ModelVersion, parent: ModelVersion | None) -> None:
    seen = {version.pk}
    node = parent
    while node is not None:
        if node.pk in seen:
            raise ValidationFailed(
                f"parent: v{parent.version} of {parent.model.name} descends from this version; "
                "lineage cannot form a cycle.",
                field="parent",
            )
        seen.add(node.pk)
        node = node.parent


def _check_no_dataset_cycle(dataset: DatasetVersion, sources: Iterable[DatasetVersion]) -> None:
    """A dataset may not derive (directly or not) from itself."""
    frontier = {source.pk for source in sources}
    seen: set[int] = set()
    while frontier:
        if dataset.pk in frontier:
            raise ValidationFailed(
                f"derived_from: {dataset} would derive from itself; lineage cannot form a cycle.",
                field="derived_from",
            )
        seen |= frontier
        frontier = (
            set(
                DatasetVersion.derived_from.through.objects.filter(
                    from_datasetversion_id__in=frontier
                ).values_list("to_datasetversion_id", flat=True)
            )
            - seen
        )


# --- models ----------------------------------------------------------------------------------


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
    _owner_group_check({"owner_group": owner_group})
    model = RegisteredModel(
        name=name,
        description=description,
        owner_group=owner_group,
        task_type=task_type,
        risk_tier=risk_tier,
        created_by=actor,
    )
    _full_clean(model, uniqueness=False)
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                model.save()
        except IntegrityError as exc:
            raise Conflict(f"name: a model named {name!r} already exists.", field="name") from exc
        model.tags.set(_tags(tags))
        audit.record(
            action="registry.model.created",
            actor=actor,
            target=model,
            changes=audit.created(model_snapshot(model)),
        )
    return model


def model_update(*, actor, model: RegisteredModel, **fields) -> RegisteredModel:
    require(actor, Action.MODEL_EDIT, model)
    _refuse_unknown(fields, (*MODEL_FIELDS, "tags"), "cannot be changed.")
    _owner_group_check(fields)
    with transaction.atomic(durable=True):
        model = RegisteredModel.objects.select_for_update().get(pk=model.pk)
        before = model_snapshot(model)
        tags = fields.pop("tags", None)
        for field, value in fields.items():
            setattr(model, field, value)
        _full_clean(model, uniqueness=False)
        try:
            with transaction.atomic():
                model.save()
        except IntegrityError as exc:
            raise Conflict(
                f"name: a model named {model.name!r} already exists.", field="name"
            ) from exc
        if tags is not None:
            model.tags.set(_tags(tags))
        changes = audit.diff(before, model_snapshot(model))
        if changes:
            audit.record(
                action="registry.model.updated", actor=actor, target=model, changes=changes
            )
    return model


# --- versions --------------------------------------------------------------------------------


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
    _refuse_unknown(fields, VERSION_FIELDS, "unknown field.")
    if "signature" in fields:
        fields["signature"] = signature_clean(fields["signature"])
    validate_metrics(fields.get("metrics", {}))
    validate_params(fields.get("params", {}))
    version = ModelVersion(model=model, version=1, parent=parent, created_by=actor, **fields)
    # Checked before the transaction, which holds the write lock: only numbering needs it.
    # The related objects were loaded by the caller: no need to re-check that they exist.
    _full_clean(version, exclude=["model", "parent", "created_by", "version"])
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


_UNSET = object()


def model_version_update(
    *,
    actor,
    version: ModelVersion,
    trained_on=_UNSET,
    evaluated_on=_UNSET,
    parent=_UNSET,
    **fields,
) -> ModelVersion:
    require(actor, Action.VERSION_EDIT, version)
    _refuse_unknown(fields, VERSION_FIELDS, "cannot be changed.")
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
        if parent is not _UNSET:
            if parent is not None:
                _check_no_version_cycle(version, parent)
            version.parent = parent
        _full_clean(version, exclude=["model"])
        version.save()
        if trained_on is not _UNSET:
            version.trained_on.set(list(trained_on))
        if evaluated_on is not _UNSET:
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


# --- datasets --------------------------------------------------------------------------------


def dataset_version_create(
    *,
    actor,
    name: str,
    version: str,
    derived_from: Iterable[DatasetVersion] = (),
    **fields,
) -> DatasetVersion:
    require(actor, Action.DATASET_CREATE)
    _refuse_unknown(fields, DATASET_FIELDS, "unknown field.")
    _owner_group_check(fields)
    if "schema" in fields:
        fields["schema"] = columns_clean(fields["schema"], field="schema")
    dataset = DatasetVersion(name=name, version=version, created_by=actor, **fields)
    _full_clean(dataset, uniqueness=False)
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                dataset.save()
        except IntegrityError as exc:
            raise Conflict(
                f"version: dataset {name!r} already has a version {version!r}.", field="version"
            ) from exc
        dataset.derived_from.set(list(derived_from))
        audit.record(
            action="registry.dataset_version.created",
            actor=actor,
            target=dataset,
            changes=audit.created(dataset_snapshot(dataset)),
        )
    return dataset


def dataset_version_update(
    *, actor, dataset: DatasetVersion, derived_from=_UNSET, **fields
) -> DatasetVersion:
    require(actor, Action.DATASET_EDIT, dataset)
    _refuse_unknown(fields, DATASET_FIELDS, "cannot be changed.")
    _owner_group_check(fields)
    if "schema" in fields:
        fields["schema"] = columns_clean(fields["schema"], field="schema")
    with transaction.atomic(durable=True):
        dataset = DatasetVersion.objects.select_for_update().get(pk=dataset.pk)
        before = dataset_snapshot(dataset)
        for field, value in fields.items():
            setattr(dataset, field, value)
        _full_clean(dataset)
        dataset.save()
        if derived_from is not _UNSET:
            sources = list(derived_from)
            _check_no_dataset_cycle(dataset, sources)
            dataset.derived_from.set(sources)
        changes = audit.diff(before, dataset_snapshot(dataset))
        if changes:
            audit.record(
                action="registry.dataset_version.updated",
                actor=actor,
                target=dataset,
                changes=changes,
            )
    return dataset
