"""/metrics: Prometheus text for admins or the scrape token; figures read from the database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from monitoring.models import JobStatus
from tests.monitoring.factories import DriftRunFactory, InferenceBatchFactory, MonitorFactory

pytestmark = pytest.mark.django_db


def sample(text: str, name: str, **labels) -> float:
    label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{label_text}}}" if labels else "")) + r" (\S+)$"
    match = re.search(pattern, text, re.M)
    assert match, f"{name} {labels} missing from:\n{text}"
    return float(match.group(1))


@pytest.fixture
def figures(version):
    InferenceBatchFactory(model_version=version, row_count=120, skipped_rows=3)
    InferenceBatchFactory(model_version=version, row_count=30)
    monitor = MonitorFactory(reference__model_version=version)
    now = timezone.now()
    for seconds in (0.2, 3, 45):
        DriftRunFactory(
            monitor=monitor, started_at=now, finished_at=now + timedelta(seconds=seconds)
        )
    DriftRunFactory(monitor=monitor, status=JobStatus.FAILED, dataset_drift=True)
    DriftRunFactory(
        monitor=monitor, status=JobStatus.PENDING, queued_at=now - timedelta(seconds=90)
    )
    return monitor


def test_admin_reads_prometheus_text(api_as, admin_user, figures):
    response = api_as(admin_user).get(reverse("metrics"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.content.decode()
    assert sample(text, "mlops_portal_ingested_rows_total", model="churn", version="1") == 150
    assert sample(text, "mlops_portal_skipped_rows_total", model="churn", version="1") == 3
    assert sample(text, "mlops_portal_drift_runs", status="succeeded") == 3
    assert sample(text, "mlops_portal_drift_runs", status="failed") == 1
    assert sample(text, "mlops_portal_drift_run_duration_seconds_bucket", le="1") == 1
    assert sample(text, "mlops_portal_drift_run_duration_seconds_bucket", le="5") == 2
    assert sample(text, "mlops_portal_drift_run_duration_seconds_bucket", le="+Inf") == 3
    assert sample(text, "mlops_portal_drift_run_duration_seconds_sum") == pytest.approx(48.2)
    lag = sample(text, "mlops_portal_task_queue_lag_seconds", job="drift_run")
    assert 90 <= lag < 200
    assert sample(text, "mlops_portal_jobs_waiting", job="drift_run") == 1
    assert "# TYPE mlops_portal_drift_run_duration_seconds histogram" in text


def test_scrape_token_grants_access_without_a_user(settings, figures):
    settings.PORTAL_METRICS_TOKEN = "s3cret-scrape"
    client = APIClient()
    ok = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer s3cret-scrape")
    assert ok.status_code == 200 and b"mlops_portal_drift_runs" in ok.content
    wrong = client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 401
    assert client.get(reverse("metrics")).status_code == 401


def test_no_token_configured_means_no_token_works(settings, figures):
    settings.PORTAL_METRICS_TOKEN = ""
    response = APIClient().get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 401


def test_other_roles_are_refused(api_as, data_scientist, viewer):
    for user in (data_scientist, viewer):
        assert api_as(user).get(reverse("metrics")).status_code == 403


@pytest.mark.parametrize("batches", [2, 30])
def test_scrape_cost_does_not_grow_with_batches(
    api_as, admin_user, version, batches, django_assert_max_num_queries
):
    for _ in range(batches):
        InferenceBatchFactory(model_version=version, row_count=5)
    client = api_as(admin_user)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("metrics")).status_code == 200


def test_failed_notification_deliveries_are_on_the_metrics_endpoint(
    api_as, admin_user, monkeypatch
):
    from notifications import services as notifications
    from notifications.models import Channel, Delivery

    channel = Channel.objects.create(name="ops", kind="email", address="ops@example.com")
    monkeypatch.setattr("notifications.dispatch.deliveries_send", lambda ids: None)
    notifications.notify(
        event_type="alert.firing", severity="info", subject="x", channels=[channel]
    )
    Delivery.objects.update(status="failed")
    text = api_as(admin_user).get(reverse("metrics")).content.decode()
    assert sample(text, "mlops_portal_notification_deliveries", status="failed") == 1
    assert (
        sample(text, "mlops_portal_notification_deliveries_failed", channel="ops", kind="email")
        == 1
    )
