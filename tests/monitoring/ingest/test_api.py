"""The ingest API as a client sees it: status codes, bodies, errors that name the problem."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from django.conf import settings
from django.urls import reverse

from monitoring.ingest.models import InferenceBatch, LabelBatch
from monitoring.ingest.services import buffer
from monitoring.selectors import quality_baseline
from tests.monitoring.factories import (
    InferenceBatchFactory,
    parquet_upload,
    records,
)

pytestmark = pytest.mark.django_db


def batches_url(version):
    return reverse("api:version-batch-list", kwargs={"version_pk": version.pk})


def post_json(client, url, body, **headers):
    return client.post(
        url, orjson.dumps(body), content_type="application/json", headers=headers or None
    )


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
    assert buffer.prediction_buffers_compact(baseline_of=quality_baseline) == 1
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


def test_batch_detail(api_as, viewer, version):
    batch = InferenceBatchFactory(model_version=version)
    response = api_as(viewer).get(reverse("api:batch-detail", kwargs={"pk": batch.pk}))
    assert response.status_code == 200
    assert response.json()["quality"]["totals"]["out_of_range"] == 3


# --- text PostgreSQL cannot store ------------------------------------------------------------


def test_a_nul_character_in_a_category_is_a_400_naming_the_field(api_as, owner, monitor):
    version = monitor.model_version  # profiled reference: unseen categories are quoted
    rows = records(3)
    rows[1]["features"]["c"] = "a\x00b"
    response = post_json(api_as(owner), batches_url(version), {"records": rows})
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["field"] == "records[1]"
    assert error["message"].startswith("records[1]: feature 'c': contains a NUL character")
    assert not InferenceBatch.objects.exists()
    assert not list(Path(settings.DATA_ROOT).glob("batches/**/*.parquet"))
    skipped = post_json(
        api_as(owner), batches_url(version), {"records": rows, "skip_bad_rows": True}
    )
    assert skipped.status_code == 201 and skipped.json()["skipped_rows"] == 1


def test_a_nul_character_in_an_uploaded_file_is_a_400_naming_the_row(api_as, owner, version):
    url = reverse("api:version-batch-upload", kwargs={"version_pk": version.pk})
    content = b"x,c,score\n1,a,0.1\n2,b\x00,0.2\n"
    response = api_as(owner).post(url, {"file": io.BytesIO(content)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "line 3: feature 'c': contains a NUL character"
    )
    assert not InferenceBatch.objects.exists() and leftover_uploads() == []
    labels = reverse("api:version-label-list", kwargs={"version_pk": version.pk})
    bad = post_json(api_as(owner), labels, {"labels": [{"prediction_id": "p\x00", "label": 1}]})
    assert (
        bad.status_code == 400
        and "'prediction_id': contains a NUL" in bad.json()["error"]["message"]
    )
    assert not LabelBatch.objects.exists()
