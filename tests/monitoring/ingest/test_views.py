"""Upload pages: files of production rows and labels posted from a version's monitoring page."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from monitoring.ingest.models import InferenceBatch, LabelBatch
from tests.monitoring.factories import ReferenceDatasetFactory

pytestmark = pytest.mark.django_db


def upload(client, version, content: bytes, *, route="batch-upload", name="batch.csv", **extra):
    file = io.BytesIO(content)
    file.name = name
    url = reverse(route, args=[version.model.name, version.version])
    return client.post(url, {"file": file}, **extra)


def test_upload_a_batch_from_the_version_page(web_as, owner, version):
    response = upload(web_as(owner), version, b"x,c,score\n1.0,a,0.3\n2.0,b,0.6\n", follow=True)
    assert InferenceBatch.objects.get().row_count == 2
    assert b"Stored 2 rows." in response.content


def test_a_bad_upload_shows_the_problem_and_stores_nothing(web_as, owner, version):
    response = upload(web_as(owner), version, b"x,c,score\nnope,a,0.3\n", follow=True)
    assert "line 2: feature &#x27;x&#x27;: expected a number" in response.content.decode()
    assert not InferenceBatch.objects.exists()


def test_an_oversized_page_upload_gets_413(web_as, owner, version, settings):
    settings.PORTAL_MAX_UPLOAD_BYTES = 1000
    response = upload(web_as(owner), version, b"x,c,score\n" + b"1.0,a,0.3\n" * 500)
    assert response.status_code == 413
    assert b"larger than the limit of 1,000 bytes" in response.content
    assert not InferenceBatch.objects.exists()


def test_a_page_upload_is_checked_against_the_latest_reference(web_as, owner, version):
    ReferenceDatasetFactory(model_version=version)
    upload(web_as(owner), version, b"x,c,score\n1.0,zzz,0.3\n")
    quality = InferenceBatch.objects.get().quality
    assert quality["reference_id"] is not None and quality["totals"]["unseen_categories"] == 1


def test_upload_labels_from_the_version_page(web_as, owner, version):
    content = b"prediction_id,label\np-1,1\np-2,0\n"
    response = upload(
        web_as(owner), version, content, route="label-upload", name="labels.csv", follow=True
    )
    assert LabelBatch.objects.get().row_count == 2
    assert b"Stored 2 labels." in response.content
