"""Reference data: uploaded, checked against the signature, profiled once by a task."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.conf import settings

from drift import ReferenceProfile
from governance.audit import AuditEvent
from mlops_portal.errors import PermissionDenied, ValidationFailed
from monitoring.ingest import storage
from monitoring.models import JobStatus, ReferenceDataset
from monitoring.services import references
from tests.monitoring.factories import feature_table

pytestmark = pytest.mark.django_db


def staged(tmp_path: Path, name: str, content: bytes | pa.Table) -> Path:
    """A file as the upload handler leaves it: under DATA_ROOT/tmp."""
    source = tmp_path / name
    if isinstance(content, pa.Table):
        pq.write_table(content, source)
    else:
        source.write_bytes(content)
    target = storage.tmp_dir() / f"{name}.upload"
    shutil.copy(source, target)
    return target


def upload(owner, version, path: Path, name="train.parquet", **kwargs):
    return references.reference_dataset_create(
        actor=owner, model_version=version, upload_path=path, filename=name, **kwargs
    )


def test_upload_stores_the_file_and_the_task_profiles_it(
    owner, version, tmp_path, django_capture_on_commit_callbacks
):
    table = feature_table(2000)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reference = upload(owner, version, staged(tmp_path, "train.parquet", table))
    assert len(callbacks) == 1  # the profile task, queued after commit

    reference.refresh_from_db()
    assert reference.status == JobStatus.SUCCEEDED and reference.progress == 100
    assert reference.row_count == 2000 and reference.is_ready
    assert reference.column_types == {"x": "numerical", "c": "categorical", "score": "numerical"}
    assert reference.sha256 == storage.file_sha256(storage.resolve(reference.data_path))
    profile = ReferenceProfile.load(storage.resolve(reference.profile_path))
    assert profile.n_rows == 2000 and sorted(profile.columns) == ["c", "score", "x"]
    x_summary = reference.summary["columns"]["x"]
    assert x_summary["min"] == pytest.approx(min(table.column("x").to_pylist()))
    assert sorted(reference.summary["columns"]["c"]["categories"]) == ["a", "b", "c"]
    actions = list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))
    assert actions[-2:] == ["monitoring.reference.uploaded", "monitoring.reference.profiled"]


def test_profile_task_run_twice_profiles_once(owner, version, tmp_path):
    reference = upload(owner, version, staged(tmp_path, "t.parquet", feature_table(100)))
    first = references.reference_profile_build(reference_id=reference.pk)
    second = references.reference_profile_build(reference_id=reference.pk)
    assert first.status == JobStatus.SUCCEEDED and second is None
    assert AuditEvent.objects.filter(action="monitoring.reference.profiled").count() == 1


def test_csv_reference_with_bad_values_fails_its_profile_with_the_reason(owner, version, tmp_path):
    content = b"x,c,score\n1.0,a,0.1\nnot-a-number,b,0.2\n"
    reference = upload(owner, version, staged(tmp_path, "ref.csv", content), name="ref.csv")
    reference = references.reference_profile_build(reference_id=reference.pk)
    assert reference.status == JobStatus.FAILED
    assert "line 3: feature 'x': expected a number (got 'not-a-number')" in reference.error
    assert not reference.is_ready


def test_reference_may_omit_predictions(owner, version, tmp_path):
    table = feature_table(50).drop_columns(["score"])
    reference = upload(owner, version, staged(tmp_path, "in.parquet", table))
    reference = references.reference_profile_build(reference_id=reference.pk)
    assert reference.column_types == {"x": "numerical", "c": "categorical"}


@pytest.mark.parametrize(
    ("content", "name", "problem"),
    [
        (b"", "ref.csv", "file: the file is empty"),
        (b"x,c,score\n", "ref.csv", "file: the file has a header but no rows"),
        (b"x,score\n1,2\n", "ref.csv", "file: missing column(s) 'c'"),
        (b"x,c,score,target\n1,a,2,1\n", "ref.csv", "file: unknown column(s) 'target'"),
        (b"PAR1garbage", "ref.parquet", "file: cannot read the parquet file"),
    ],
)
def test_bad_reference_files_are_refused_and_nothing_is_kept(
    owner, version, tmp_path, content, name, problem
):
    path = staged(tmp_path, name, content)
    with pytest.raises(ValidationFailed) as error:
        upload(owner, version, path, name=name)
    assert error.value.message.startswith(problem)
    assert ReferenceDataset.objects.count() == 0
    assert not (Path(settings.DATA_ROOT) / "references").exists()
    assert not AuditEvent.objects.filter(action__startswith="monitoring.reference").exists()


def test_only_the_owner_uploads_reference_data(other_scientist, viewer, version, tmp_path):
    for user in (other_scientist, viewer):
        with pytest.raises(PermissionDenied):
            upload(user, version, staged(tmp_path, "t.parquet", feature_table(10)))
    assert ReferenceDataset.objects.count() == 0


def test_failed_profile_can_be_started_again(owner, version, tmp_path, monkeypatch):
    reference = upload(owner, version, staged(tmp_path, "t.parquet", feature_table(100)))
    monkeypatch.setattr(
        references,
        "build_reference_profile",
        lambda *a, **k: (_ for _ in ()).throw(ValueError("oom")),
    )
    assert references.reference_profile_build(reference_id=reference.pk).status == "failed"
    monkeypatch.undo()
    references.reference_profile_requeue(actor=owner, reference=reference)
    reference = references.reference_profile_build(reference_id=reference.pk)
    assert reference.status == JobStatus.SUCCEEDED and reference.error == ""
