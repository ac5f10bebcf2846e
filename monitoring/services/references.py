"""Reference data: upload (checked against the signature), then profiled once by a task."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.db import OperationalError, transaction
from django.utils import timezone

from drift import CATEGORICAL, NUMERICAL, ReferenceProfile, build_reference_profile
from governance import audit
from governance.roles import Action, require
from mlops_portal.errors import ValidationFailed
from monitoring.ingest import storage
from monitoring.ingest.schema.columns import input_columns_or_refuse, signature_columns
from monitoring.ingest.schema.files import (
    check_file_columns,
    file_columns,
    read_file_table,
    sniff_format,
)
from monitoring.ingest.schema.prepare import prepare_table
from monitoring.models import FileFormat, JobStatus, ReferenceDataset
from monitoring.services.jobs import (
    claim,
    job_dispatch,
    job_fail,
    job_heartbeat,
    job_progress,
    job_release,
    job_succeed,
)
from monitoring.validation import full_clean
from registry.models import ModelVersion

MAX_STORED_CATEGORIES = 1000
"""Categorical columns with more distinct reference values than this are not drift-tested."""
DRIFT_COLUMN_TYPES = {  # the drift engine's column type of each signature type it can test
    "float": NUMERICAL,
    "integer": NUMERICAL,
    "boolean": CATEGORICAL,
    "category": CATEGORICAL,
    "string": CATEGORICAL,
}


def reference_snapshot(reference: ReferenceDataset) -> dict:
    return {
        "model_version": str(reference.model_version),
        "name": reference.name,
        "original_filename": reference.original_filename,
        "file_format": reference.file_format,
        "data_path": reference.data_path,
    }


def _has_rows(path: Path, file_format: str) -> bool:
    if file_format == FileFormat.PARQUET:
        return pq.ParquetFile(path).metadata.num_rows > 0
    reader = pa_csv.open_csv(path)
    try:
        return any(batch.num_rows for batch in reader)
    finally:
        reader.close()


def reference_dataset_create(
    *, actor, model_version: ModelVersion, upload_path: Path, filename: str = "", name: str = ""
) -> ReferenceDataset:
    """Store an uploaded reference file (already streamed under the data root) and queue its
    profile. The file's columns are checked now; its values when the profile is built."""
    require(actor, Action.MONITOR_CONFIGURE, model_version)
    columns = input_columns_or_refuse(model_version)
    file_format = sniff_format(upload_path, filename)
    check_file_columns(file_columns(upload_path, file_format), columns, outputs_required=False)
    try:
        has_rows = _has_rows(upload_path, file_format)
    except (pa.ArrowException, OSError) as exc:
        raise ValidationFailed(
            f"file: cannot read the {file_format} file: {exc}", field="file"
        ) from exc
    if not has_rows:
        raise ValidationFailed("file: the file has a header but no rows.", field="file")
    label = name.strip() or Path(filename).stem[:100] or "reference"
    reference = ReferenceDataset(
        model_version=model_version,
        name=label[:100],
        original_filename=Path(filename).name[:255],
        file_format=file_format,
        data_path=storage.new_relative_path("references", model_version.pk, f".{file_format}"),
        size_bytes=upload_path.stat().st_size,
        created_by=actor,
        queued_at=timezone.now(),
    )
    full_clean(reference, exclude=["sha256"])
    storage.move_into_place(upload_path, reference.data_path)
    try:
        with transaction.atomic(durable=True):
            reference.save()
            audit.record(
                action="monitoring.reference.uploaded",
                actor=actor,
                target=reference,
                changes=audit.created(
                    reference_snapshot(reference) | {"bytes": reference.size_bytes}
                ),
            )
            job_dispatch(reference)
    except BaseException:
        storage.remove(reference.data_path)
        raise
    return reference


def _column_summary(profile: ReferenceProfile) -> dict:
    summary = profile.to_summary_dict()
    for name, column in profile.columns.items():
        if column.column_type == "categorical":
            values = list(column.values)
            summary["columns"][name]["categories"] = (
                values if len(values) <= MAX_STORED_CATEGORIES else None
            )
    return summary


def reference_profile_build(*, reference_id: int) -> ReferenceDataset | None:
    """Read the reference once, profile it, cache the profile next to it (task body)."""
    reference = claim(ReferenceDataset, reference_id)
    if reference is None:
        return None
    try:
        with job_heartbeat(reference):  # renews the claim's lease while the profile is built
            return _build(reference)
    except OperationalError:
        job_release(reference)
        raise
    except (ValidationFailed, ValueError, KeyError, OSError, pa.ArrowException) as exc:
        message = exc.message if isinstance(exc, ValidationFailed) else str(exc)
        _finish_failed(reference, f"The reference data cannot be profiled: {message}")
        return ReferenceDataset.objects.get(pk=reference.pk)


def _finish_failed(reference: ReferenceDataset, message: str) -> None:
    with transaction.atomic(durable=True):
        if job_fail(reference, message):
            audit.record(
                action="monitoring.reference.profile_failed",
                target=reference,
                changes={"error": message},
            )


def _build(reference: ReferenceDataset) -> ReferenceDataset:
    version = reference.model_version
    path = storage.resolve(reference.data_path)
    job_progress(reference, 5, "hashing the file")
    sha256 = storage.file_sha256(path)
    job_progress(reference, 15, "reading the data")
    all_columns = signature_columns(version.signature)
    table, bad_lines = read_file_table(path, reference.file_format, all_columns)
    present = [c for c in all_columns if c.name in table.column_names]
    job_progress(reference, 45, "checking values against the signature")
    prepared = prepare_table(
        table, present, file_format=reference.file_format, bad_lines=bad_lines, now=timezone.now()
    )
    if prepared.skipped_rows:
        message, _label = prepared.problems.first_problem()
        raise ValidationFailed(f"{message} ({prepared.skipped_rows} bad rows in all).")
    if prepared.table.num_rows == 0:
        raise ValidationFailed("the file has no rows.")
    job_progress(reference, 60, "profiling columns")
    types = {c.name: DRIFT_COLUMN_TYPES[c.kind] for c in present if c.kind in DRIFT_COLUMN_TYPES}
    profile = build_reference_profile(prepared.table, types)
    excluded = {c.name: "date-time columns are not drift-tested" for c in present}
    excluded = {name: why for name, why in excluded.items() if name not in types}
    for name, column in list(profile.columns.items()):
        if column.column_type == "categorical" and column.n_unique > MAX_STORED_CATEGORIES:
            excluded[name] = f"more than {MAX_STORED_CATEGORIES} distinct values"
    if excluded:
        kept = {name: kind for name, kind in types.items() if name not in excluded}
        profile = ReferenceProfile(
            columns={name: profile.columns[name] for name in kept},
            n_rows=profile.n_rows,
            sample_cap=profile.sample_cap,
        )
    job_progress(reference, 85, "saving the profile")
    profile_path = storage.new_relative_path("profiles", version.pk, ".npz")
    target = storage.resolve(profile_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    profile.save(target)
    summary = _column_summary(profile) | {"excluded": excluded}
    try:
        with transaction.atomic(durable=True):
            updated = job_succeed(
                reference,
                sha256=sha256,
                profile_path=profile_path,
                row_count=prepared.table.num_rows,
                column_types={name: profile.columns[name].column_type for name in profile.columns},
                summary=summary,
            )
            if updated:
                audit.record(
                    action="monitoring.reference.profiled",
                    target=reference,
                    changes={"rows": prepared.table.num_rows, "columns": sorted(profile.columns)},
                )
    except BaseException:
        storage.remove(profile_path)
        raise
    if not updated:  # someone else took over this job meanwhile: keep only their profile
        storage.remove(profile_path)
    return ReferenceDataset.objects.get(pk=reference.pk)


def reference_profile_requeue(*, actor, reference: ReferenceDataset) -> ReferenceDataset:
    """Try a failed profile again (e.g. after the worker ran out of memory)."""
    require(actor, Action.MONITOR_CONFIGURE, reference)
    with transaction.atomic(durable=True):
        updated = ReferenceDataset.objects.filter(pk=reference.pk, status=JobStatus.FAILED).update(
            status=JobStatus.PENDING, attempts=0, error="", progress=0, queued_at=timezone.now()
        )
        if not updated:
            raise ValidationFailed(
                "status: only a failed profile can be started again.", field="status"
            )
        audit.record(action="monitoring.reference.requeued", actor=actor, target=reference)
        job_dispatch(reference)
    return ReferenceDataset.objects.get(pk=reference.pk)
