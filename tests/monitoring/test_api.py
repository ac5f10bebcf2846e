"""The monitoring API as a client sees it: status codes, bodies, errors that name the problem."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from governance.audit import AuditEvent
from monitoring.models import DriftRun, InferenceBatch, LabelBatch, Monitor, ReferenceDataset
from monitoring.services import buffer
from tests.monitoring.factories import (
    BackfillFactory,
    DriftRunFactory,
    FeatureDriftFactory,
    InferenceBatchFactory,
    MonitorFactory,
    ReferenceDatasetFactory,
    feature_table,
    records,
)

pytestmark = pytest.mark.django_db


def batches_url(version):
    return reverse("api:version-batch-list", kwargs={"version_pk": version.pk})


def post_json(client, url, body, **headers):
    return client.post(
        url, orjson.dumps(body), content_type="application/json", headers=headers or None
    )


def parquet_upload(n=100, name="batch.parquet") -> io.BytesIO:
    buffer_ = io.BytesIO()
    pq.write_table(feature_table(n), buffer_)
    buffer_.seek(0)
    buffer_.name = name
    return buffer_


def leftover_uploads() -> list[Path]:
    return list((Path(settings.DATA_ROOT) / "tmp").glob("*.upload*"))


# --- JSON batches ----------------------------------------------------------------------------


def test_post_json_batch_creates_it(api_as, owner, version):
    response = post_json(api_as(owner), batches_url(version), {"records": records(25)})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["row_count"] == 25 and body["skipped_rows"] == 0
    assert body["model_version"] == {"id": version.pk, "model": "churn", "version": 1}
    assert body["quality"]["columns"]["x"]["nulls"] == 0
    assert InferenceBatch.objects.get().pk == body["id"]


def test_retry_with_the_same_idempotency_key_returns_the_same_batch(api_as, owner, version):
    client = api_as(owner)
    body = {"records": records(5)}
    first = post_json(client, batches_url(version), body, **{"Idempotency-Key": "abc-1"})
    again = post_json(client, batches_url(version), body, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    changed = post_json(
        client, batches_url(version), {"records": records(6)}, **{"Idempotency-Key": "abc-1"}
    )
    assert changed.status_code == 409
    assert changed.json()["error"]["field"] == "Idempotency-Key"
    assert InferenceBatch.objects.count() == 1


def test_bad_rows_get_a_400_naming_row_and_problem(api_as, owner, version):
    rows = records(4)
    rows[2]["features"]["age"] = 40
    response = post_json(api_as(owner), batches_url(version), {"records": rows})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == "records[2]"
    assert error["message"].startswith("records[2]: unknown feature 'age'")
    assert not InferenceBatch.objects.exists()


def test_skip_bad_rows_reports_what_was_skipped(api_as, owner, version):
    rows = records(4)
    rows[0]["features"]["x"] = "NaN-ish"
    response = post_json(
        api_as(owner), batches_url(version), {"records": rows, "skip_bad_rows": True}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["row_count"] == 3 and body["skipped_rows"] == 1
    assert body["skip_reasons"] == [
        {"reason": "feature 'x': expected a number", "count": 1, "first_row": "records[0]"}
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rows": []}, "rows"),
        ({"records": "x"}, "records"),
        ({"records": [], "skip_bad_rows": "yes"}, "skip_bad_rows"),
        ([1, 2], None),
    ],
)
def test_malformed_envelopes_are_refused(api_as, owner, version, body, field):
    response = post_json(api_as(owner), batches_url(version), body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_json_endpoint_takes_json_only(api_as, owner, version):
    client = api_as(owner)
    text = client.post(batches_url(version), "records=1", content_type="text/plain")
    assert text.status_code == 415
    broken = client.post(batches_url(version), b"{not json", content_type="application/json")
    assert broken.status_code == 400 and "JSON parse error" in broken.json()["error"]["message"]


def test_an_oversized_json_body_gets_413(api_as, owner, version, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    response = post_json(api_as(owner), batches_url(version), {"records": records(50)})
    assert response.status_code == 413
    assert "limit of 2,000 bytes" in response.json()["error"]["message"]
    assert not InferenceBatch.objects.exists()


def test_readers_may_list_but_not_ingest(api_as, viewer, version):
    client = api_as(viewer)
    assert client.get(batches_url(version)).status_code == 200
    assert post_json(client, batches_url(version), {"records": records(2)}).status_code == 403
    assert api_as(None).get(batches_url(version)).status_code == 401


def test_unknown_version_is_404(api_as, owner):
    response = post_json(
        api_as(owner), reverse("api:version-batch-list", kwargs={"version_pk": 9999}), {}
    )
    assert response.status_code == 404


# --- file uploads ----------------------------------------------------------------------------


def test_parquet_upload_creates_a_batch(api_as, owner, version):
    url = reverse("api:version-batch-upload", kwargs={"version_pk": version.pk})
    response = api_as(owner).post(url, {"file": parquet_upload(300)}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["row_count"] == 300 and response.json()["source"] == "parquet"
    assert leftover_uploads() == []


def test_upload_with_bad_rows_is_refused_unless_skipping(api_as, owner, version):
    url = reverse("api:version-batch-upload", kwargs={"version_pk": version.pk})
    content = b"x,c,score\n1,a,0.1\nx,b,0.2\n"
    client = api_as(owner)
    refused = client.post(
        url, {"file": io.BytesIO(content)}, format="multipart", headers={"Idempotency-Key": "f1"}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith(
        "line 3: feature 'x': expected a number (got 'x')"
    )
    skipped = client.post(
        url, {"file": io.BytesIO(content), "skip_bad_rows": "true"}, format="multipart"
    )
    assert skipped.status_code == 201 and skipped.json()["skipped_rows"] == 1
    assert leftover_uploads() == []


def test_an_upload_over_the_limit_gets_413_naming_the_limit(api_as, owner, version, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 4096
    url = reverse("api:version-batch-upload", kwargs={"version_pk": version.pk})
    response = api_as(owner).post(url, {"file": parquet_upload(5000)}, format="multipart")
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large" and "limit of 4,096 bytes" in error["message"]
    assert not InferenceBatch.objects.exists() and leftover_uploads() == []


def test_upload_endpoint_takes_multipart_only(api_as, owner, version):
    url = reverse("api:version-batch-upload", kwargs={"version_pk": version.pk})
    response = post_json(api_as(owner), url, {"file": "x"})
    assert response.status_code == 415
    missing = api_as(owner).post(url, {"skip_bad_rows": "true"}, format="multipart")
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "file"


def test_reference_upload_returns_a_pending_job_to_poll(api_as, owner, version):
    url = reverse("api:version-reference-list", kwargs={"version_pk": version.pk})
    response = api_as(owner).post(
        url, {"file": parquet_upload(50, "train.parquet"), "name": "train-2026"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["name"] == "train-2026"
    detail = api_as(owner).get(reverse("api:reference-detail", kwargs={"pk": body["id"]}))
    assert detail.status_code == 200 and detail.json()["original_filename"] == "train.parquet"
    assert ReferenceDataset.objects.count() == 1
    listed = api_as(owner).get(url)
    assert [item["id"] for item in listed.json()["results"]] == [body["id"]]


# --- single predictions and labels -----------------------------------------------------------


def test_single_predictions_are_accepted_then_compacted_into_a_batch(api_as, owner, version):
    url = reverse("api:version-prediction-log", kwargs={"version_pk": version.pk})
    client = api_as(owner)
    for record in records(3):
        response = post_json(client, url, record)
        assert response.status_code == 202 and response.json()["accepted"] == 1
    bad = post_json(client, url, {"features": {"x": "a", "c": "a"}, "prediction": 0.3})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "feature 'x': expected a number (got 'a')"
    assert not InferenceBatch.objects.exists()
    assert buffer.prediction_buffers_compact() == 1
    batch = InferenceBatch.objects.get()
    assert batch.row_count == 3 and batch.source == "buffer"


def test_labels_by_prediction_id(api_as, owner, version):
    url = reverse("api:version-label-list", kwargs={"version_pk": version.pk})
    labels = [{"prediction_id": "p-1", "label": 1}, {"prediction_id": "p-2", "label": 0}]
    response = post_json(api_as(owner), url, {"labels": labels})
    assert response.status_code == 201 and response.json()["row_count"] == 2
    bad = post_json(api_as(owner), url, {"labels": [{"prediction_id": "p-3"}]})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith(
        "labels[0]: label: missing"
    )
    assert LabelBatch.objects.count() == 1
    upload_url = reverse("api:version-label-upload", kwargs={"version_pk": version.pk})
    file = io.BytesIO(b"prediction_id,label\np-9,1\np-10,0\n")
    uploaded = api_as(owner).post(upload_url, {"file": file}, format="multipart")
    assert uploaded.status_code == 201 and uploaded.json()["source"] == "csv"


# --- monitors --------------------------------------------------------------------------------


def test_monitor_lifecycle_through_the_api(api_as, owner, version):
    reference = ReferenceDatasetFactory(model_version=version)
    client = api_as(owner)
    created = client.post(
        reverse("api:monitor-list"),
        {
            "model_version": version.pk,
            "reference": reference.pk,
            "name": "daily",
            "window_seconds": 86400,
            "interval_seconds": 3600,
            "threshold_overrides": {"x": 0.01},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    monitor_id = created.json()["id"]
    assert created.json()["periodic_task"] == f"monitoring.monitor:{monitor_id}"
    assert created.json()["latest_run"] is None

    detail = reverse("api:monitor-detail", kwargs={"pk": monitor_id})
    changed = client.patch(detail, {"enabled": False, "features": ["x", "c"]}, format="json")
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert PeriodicTask.objects.get(name=f"monitoring.monitor:{monitor_id}").enabled is False
    refused = client.patch(detail, {"features": ["nope"]}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "features"

    assert client.delete(detail).status_code == 204
    assert not Monitor.objects.exists()
    assert not PeriodicTask.objects.filter(name__startswith="monitoring.monitor:").exists()
    actions = set(
        AuditEvent.objects.filter(action__startswith="monitoring.monitor").values_list(
            "action", flat=True
        )
    )
    assert actions == {
        "monitoring.monitor.created",
        "monitoring.monitor.updated",
        "monitoring.monitor.deleted",
    }


def test_monitor_input_is_strict(api_as, owner, version):
    reference = ReferenceDatasetFactory(model_version=version)
    response = api_as(owner).post(
        reverse("api:monitor-list"),
        {"model_version": version.pk, "reference": reference.pk, "name": "m", "drift_share": "0.5"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["error"]["field"] == "drift_share"


def test_run_now_and_backfill_are_accepted(api_as, owner, version):
    monitor = MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    client = api_as(owner)
    run = client.post(reverse("api:monitor-run", kwargs={"pk": monitor.pk}))
    assert run.status_code == 202 and run.json()["status"] == "pending"
    assert run.json()["trigger"] == "manual"
    backfill = client.post(
        reverse("api:monitor-backfill", kwargs={"pk": monitor.pk}), {"windows": 3}, format="json"
    )
    assert backfill.status_code == 202 and backfill.json()["windows"] == 3
    assert backfill.json()["status"] == "running" and backfill.json()["progress"] == 0
    progress = client.get(reverse("api:backfill-detail", kwargs={"pk": backfill.json()["id"]}))
    assert progress.status_code == 200
    assert DriftRun.objects.filter(monitor=monitor).count() == 4
    too_many = client.post(
        reverse("api:monitor-backfill", kwargs={"pk": monitor.pk}), {"windows": 999}, format="json"
    )
    assert too_many.status_code == 400 and too_many.json()["error"]["field"] == "windows"


def test_runs_and_their_features(api_as, viewer, version):
    run = DriftRunFactory(
        monitor=MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    )
    FeatureDriftFactory(run=run, feature="x")
    FeatureDriftFactory(run=run, feature="c", column_type="categorical", method="chisquare")
    client = api_as(viewer)
    listed = client.get(reverse("api:drift-run-list"), {"monitor": run.monitor_id})
    assert [item["id"] for item in listed.json()["results"]] == [run.pk]
    detail = client.get(reverse("api:drift-run-detail", kwargs={"pk": run.pk}))
    assert detail.json()["window_end"] is not None and detail.json()["is_partial"] is False
    features = client.get(reverse("api:drift-run-features", kwargs={"pk": run.pk})).json()
    assert [f["feature"] for f in features] == ["c", "x"]
    assert features[1]["reference_histogram"]["counts"] == [5, 7]


# --- query counts stay flat ------------------------------------------------------------------


def _monitors(version, n):
    reference = ReferenceDatasetFactory(model_version=version, rows=50)
    for _ in range(n):
        monitor = MonitorFactory(reference=reference, model_version=version)
        DriftRunFactory(monitor=monitor)


@pytest.mark.parametrize("rows", [5, 50])
def test_list_endpoints_use_a_fixed_number_of_queries(
    api_as, viewer, version, rows, django_assert_max_num_queries
):
    _monitors(version, rows)
    for _ in range(rows):
        InferenceBatchFactory(model_version=version, row_count=5)
    BackfillFactory.create_batch(2, monitor=Monitor.objects.first())
    client = api_as(viewer)
    for name, params in (
        ("api:monitor-list", {}),
        ("api:drift-run-list", {}),
        ("api:backfill-list", {}),
    ):
        with django_assert_max_num_queries(6):
            assert client.get(reverse(name), params).status_code == 200
    with django_assert_max_num_queries(7):
        response = client.get(batches_url(version))
    assert response.json()["count"] == rows


def test_batch_detail(api_as, viewer, version):
    batch = InferenceBatchFactory(model_version=version)
    response = api_as(viewer).get(reverse("api:batch-detail", kwargs={"pk": batch.pk}))
    assert response.status_code == 200
    assert response.json()["quality"]["totals"]["out_of_range"] == 3
