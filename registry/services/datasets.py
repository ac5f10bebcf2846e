"""Dataset versions and their derivation lineage."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import Conflict
from registry.models import DatasetVersion
from registry.services.snapshots import dataset_snapshot
from registry.services.validation import (
    DATASET_FIELDS,
    UNSET,
    check_no_dataset_cycle,
    columns_clean,
    full_clean,
    owner_group_check,
    refuse_unknown,
)


def dataset_version_create(
    *,
    actor,
    name: str,
    version: str,
    derived_from: Iterable[DatasetVersion] = (),
    **fields,
) -> DatasetVersion:
    require(actor, Action.DATASET_CREATE)
    refuse_unknown(fields, DATASET_FIELDS, "unknown field.")
    owner_group_check(fields)
    if "schema" in fields:
        fields["schema"] = columns_clean(fields["schema"], field="schema")
    dataset = DatasetVersion(name=name, version=version, created_by=actor, **fields)
    full_clean(dataset, uniqueness=False)
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
    *, actor, dataset: DatasetVersion, derived_from=UNSET, **fields
) -> DatasetVersion:
    require(actor, Action.DATASET_EDIT, dataset)
    refuse_unknown(fields, DATASET_FIELDS, "cannot be changed.")
    owner_group_check(fields)
    if "schema" in fields:
        fields["schema"] = columns_clean(fields["schema"], field="schema")
    with transaction.atomic(durable=True):
        dataset = DatasetVersion.objects.select_for_update().get(pk=dataset.pk)
        before = dataset_snapshot(dataset)
        for field, value in fields.items():
            setattr(dataset, field, value)
        full_clean(dataset)
        dataset.save()
        if derived_from is not UNSET:
            sources = list(derived_from)
            check_no_dataset_cycle(dataset, sources)
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
