"""The demo seed gives churn-classifier v2 a monitor with history, drift and performance."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from mlops_portal.management.commands._monitoring_demo import DRIFT_FROM_DAY, seed_monitoring_demo
from monitoring.ingest.models import InferenceBatch, LabelBatch
from monitoring.ingest.services.buffer import buffered_bytes
from monitoring.models import DriftRun, JobStatus, Monitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return seed_monitoring_demo()


def test_demo_monitor_has_drift_in_the_later_days(demo):
    runs = list(
        DriftRun.objects.filter(monitor=demo, status=JobStatus.SUCCEEDED).order_by("window_start")
    )
    assert len(runs) == 14 and not any(run.is_partial for run in runs)
    early, late = runs[: DRIFT_FROM_DAY - 1], runs[-4:]
    assert not any(run.dataset_drift for run in early)
    assert all(run.dataset_drift for run in late)
    drifted = set(late[-1].features.filter(drifted=True).values_list("feature", flat=True))
    assert {"monthly_charges", "contract"} <= drifted
    assert runs[0].performance["roc_auc"] > 0.6 and runs[0].labelled_rows > 500
    assert InferenceBatch.objects.filter(model_version=demo.model_version).count() == 14
    assert LabelBatch.objects.count() == 1 and buffered_bytes() > 0


def test_demo_is_idempotent(demo):
    counts = (Monitor.objects.count(), DriftRun.objects.count(), InferenceBatch.objects.count())
    assert seed_monitoring_demo().pk == demo.pk
    assert counts == (
        Monitor.objects.count(),
        DriftRun.objects.count(),
        InferenceBatch.objects.count(),
    )


def test_demo_monitor_page_renders(demo, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="bob"))
    response = client.get(reverse("monitor-detail", args=[demo.pk]))
    assert response.status_code == 200
    for key in ("drift-share", "heatmap", "distribution", "quality", "performance"):
        assert f'id="{key}-graph"' in response.content.decode()
