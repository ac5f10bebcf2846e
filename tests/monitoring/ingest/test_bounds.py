"""Uploads are bounded before they are read: rows and decoded size, 413 naming the limit."""

from __future__ import annotations

import io
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from monitoring.ingest.models import InferenceBatch, LabelBatch
from monitoring.ingest.schema import files
from tests.monitoring.factories import feature_table, parquet_upload
from tests.monitoring.ingest.test_api import leftover_uploads

pytestmark = pytest.mark.django_db


def upload_url(version, name="api:version-batch-upload"):
    return reverse(name, kwargs={"version_pk": version.pk})


def assert_refused_naming(response, setting: str):
    assert response.status_code == 413, response.json()
    error = response.json()["error"]
    assert error["code"] == "too_large" and error["field"] == "file"
    assert setting in error["message"]
    assert not InferenceBatch.objects.exists() and not LabelBatch.objects.exists()
    assert leftover_uploads() == []


def test_a_parquet_file_over_the_row_limit_is_refused_from_its_footer(
    api_as, owner, version, settings, monkeypatch
):
    settings.PORTAL_MAX_UPLOAD_ROWS = 1000

    def no_reading(*_args, **_kwargs):
        raise AssertionError("the rows were read")

    monkeypatch.setattr(files, "_read_parquet", no_reading)
    response = api_as(owner).post(
        upload_url(version), {"file": parquet_upload(5000)}, format="multipart"
    )
    assert_refused_naming(response, "PORTAL_MAX_UPLOAD_ROWS")
    assert "5,000 rows, more than the limit of 1,000" in response.json()["error"]["message"]


def test_a_file_whose_pages_decode_past_the_limit_is_stopped_while_read(
    api_as, owner, version, settings
):
    """Dictionary encoding: a footer of a few kilobytes for 20 MB of text once decoded."""
    settings.PORTAL_MAX_UPLOAD_DECODED_BYTES = 1024 * 1024
    table = feature_table(2000)
    long_text = pa.array(["a" * 10_000] * 2000)
    table = table.set_column(table.column_names.index("c"), "c", long_text)
    stream = io.BytesIO()
    pq.write_table(table, stream, use_dictionary=True)
    stream.seek(0)
    stream.name = "bomb.parquet"
    footer = pq.ParquetFile(io.BytesIO(stream.getvalue())).metadata
    assert footer.row_group(0).total_byte_size < settings.PORTAL_MAX_UPLOAD_DECODED_BYTES
    response = api_as(owner).post(upload_url(version), {"file": stream}, format="multipart")
    assert_refused_naming(response, "PORTAL_MAX_UPLOAD_DECODED_BYTES")


def test_a_csv_file_over_the_row_limit_is_refused_before_it_is_parsed(
    api_as, owner, version, settings
):
    settings.PORTAL_MAX_UPLOAD_ROWS = 2
    content = b"x,c,score\n" + b"1,a,0.1\n" * 3
    response = api_as(owner).post(
        upload_url(version), {"file": io.BytesIO(content)}, format="multipart"
    )
    assert_refused_naming(response, "PORTAL_MAX_UPLOAD_ROWS")
    at_limit = b"x,c,score\n" + b"1,a,0.1\n" * 2
    accepted = api_as(owner).post(
        upload_url(version), {"file": io.BytesIO(at_limit)}, format="multipart"
    )
    assert accepted.status_code == 201 and accepted.json()["row_count"] == 2


def test_label_files_have_the_same_bounds(api_as, owner, version, settings):
    settings.PORTAL_MAX_UPLOAD_ROWS = 2
    content = b"prediction_id,label\n" + b"".join(b"p-%d,1\n" % i for i in range(3))
    response = api_as(owner).post(
        upload_url(version, "api:version-label-upload"),
        {"file": io.BytesIO(content)},
        format="multipart",
    )
    assert_refused_naming(response, "PORTAL_MAX_UPLOAD_ROWS")


# The largest accepted upload, as measured (benchmarks/ingest.py, docs/operations.md): 10 M rows
# were read, checked and stored in 16.5 s; PORTAL_MAX_UPLOAD_BYTES arrive in 43 s at 100 Mbit/s.
SECONDS_PER_MILLION_ROWS = 1.65
SLOWEST_CLIENT_BYTES_PER_SECOND = 100e6 / 8
HEADROOM = 2  # a busy machine (the measurement ran alone on 2 cores)


def test_the_web_timeout_fits_the_largest_upload(settings):
    procfile = (settings.BASE_DIR / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    found = re.search(r"--timeout \$\{WEB_TIMEOUT:-(\d+)\}", web)
    assert found, "the web command sets --timeout from WEB_TIMEOUT"
    largest = (
        settings.PORTAL_MAX_UPLOAD_ROWS / 1e6 * SECONDS_PER_MILLION_ROWS
        + settings.PORTAL_MAX_UPLOAD_BYTES / SLOWEST_CLIENT_BYTES_PER_SECOND
    )
    assert int(found.group(1)) >= HEADROOM * largest
