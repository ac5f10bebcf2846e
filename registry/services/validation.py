"""Checks every registry write makes before it touches the database: field names, text,
signatures and schemas, metrics and params, owner groups, lineage cycles."""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.core.exceptions import ValidationError

from governance.roles import Role
from mlops_portal.errors import ValidationFailed, validation_failed_from_django
from registry.models import DatasetVersion, ModelVersion, Tag

UNSET = object()  # a keyword argument the caller did not pass (None may be a value)
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


def refuse_unknown(fields: dict, allowed: Iterable[str], problem: str) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: {problem}", field=unknown[0])


def full_clean(instance, *, exclude: Iterable[str] = (), uniqueness: bool = True) -> None:
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


def text(value, *, field: str, required: bool, max_length: int | None = None) -> str:
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
        name = text(
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
            column_cleaned["description"] = text(
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


def map_check(values: dict, *, field: str) -> None:
    if len(values) > MAP_ENTRIES_MAX:
        raise ValidationFailed(f"{field}: at most {MAP_ENTRIES_MAX} entries.", field=field)
    for key in values:
        if len(key) > MAP_KEY_MAX_LENGTH:
            raise ValidationFailed(
                f"{field}: names are at most {MAP_KEY_MAX_LENGTH} characters.", field=field
            )


def finite_float(value) -> float | None:
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
    map_check(metrics, field="metrics")
    for name, value in metrics.items():
        if finite_float(value) is None:
            shown = f"{value!r}"[:40]
            raise ValidationFailed(
                f"metrics.{name}: must be a finite number within the range of a double, "
                f"got {shown}.",
                field=f"metrics.{name}",
            )


def validate_params(params) -> None:
    if not isinstance(params, dict):
        raise ValidationFailed("params: must be an object of name → value.", field="params")
    map_check(params, field="params")
    for name, value in params.items():
        if isinstance(value, str) and len(value) > PARAM_VALUE_MAX_LENGTH:
            raise ValidationFailed(
                f"params.{name}: at most {PARAM_VALUE_MAX_LENGTH} characters.",
                field=f"params.{name}",
            )
        if isinstance(value, int) and not isinstance(value, bool) and finite_float(value) is None:
            raise ValidationFailed(
                f"params.{name}: the number is too large.", field=f"params.{name}"
            )


def owner_group_check(fields: dict) -> None:
    """A model or dataset is owned by a team; a role group would hand it to everyone holding
    that role."""
    group = fields.get("owner_group")
    if group is not None and group.name in {role.value for role in Role}:
        raise ValidationFailed(
            f"owner_group: {group.name!r} is a role, not a team.", field="owner_group"
        )


def tags_get_or_create(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in sorted(set(names)):
        tag = Tag(name=name)
        try:
            tag.clean_fields()
        except ValidationError as exc:
            raise ValidationFailed(f"tags: {name!r} is not a valid tag.", field="tags") from exc
        tags.append(Tag.objects.get_or_create(name=name)[0])
    return tags


def check_no_version_cycle(version: ModelVersion, parent: ModelVersion | None) -> None:
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


def check_no_dataset_cycle(dataset: DatasetVersion, sources: Iterable[DatasetVersion]) -> None:
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
