"""The monitoring API as a client sees it: references, monitors, runs, backfills."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from governance.audit import AuditEvent
from monitoring.models import DriftRun, Monitor, ReferenceDataset
from tests.monitoring.factories import (
    BackfillFactory,
    DriftRunFactory,
    FeatureDriftFactory,
    InferenceBatchFactory,
    MonitorFactory,
    ReferenceDatasetFactory,
    parquet_upload,
)

pytestmark = pytest.mark.django_db


# --- reference data --------------------------------------------------------------------------


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


def test_a_monitor_is_calibrated_unless_told_otherwise(api_as, owner, version):
    reference = ReferenceDatasetFactory(model_version=version)
    client = api_as(owner)
    body = {"model_version": version.pk, "reference": reference.pk}
    created = client.post(reverse("api:monitor-list"), {**body, "name": "a"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["preset"] == "calibrated"
    assert created.json()["effect_threshold"] == pytest.approx(0.1)
    parity = client.post(
        reverse("api:monitor-list"),
        {**body, "name": "b", "preset": "evidently", "preset_overrides": {"c": "calibrated"}},
        format="json",
    )
    assert parity.status_code == 201, parity.json()
    assert parity.json()["preset_overrides"] == {"c": "calibrated"}
    before = Monitor.objects.count()
    for bad, field in (
        ({"preset": "lenient"}, "preset"),
        ({"preset_overrides": {"x": "lenient"}}, "preset_overrides"),
        ({"effect_threshold": 1.5}, "effect_threshold"),
        ({"min_sample_size": 0}, "min_sample_size"),
    ):
        refused = client.post(
            reverse("api:monitor-list"), {**body, "name": "c", **bad}, format="json"
        )
        assert refused.status_code == 400 and refused.json()["error"]["field"] == field, bad
    assert Monitor.objects.count() == before


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
        response = client.get(reverse("api:version-batch-list", kwargs={"version_pk": version.pk}))
    assert response.json()["count"] == rows


# --- filters ---------------------------------------------------------------------------------


def test_monitor_list_filters_are_the_filtersets(api_as, viewer, version):
    reference = ReferenceDatasetFactory(model_version=version)
    MonitorFactory(reference=reference, name="daily-churn", description="the churn check")
    MonitorFactory(reference=reference, name="hourly", enabled=False)
    client = api_as(viewer)

    def names(**params):
        response = client.get(reverse("api:monitor-list"), params)
        assert response.status_code == 200, response.json()
        return [item["name"] for item in response.json()["results"]]

    assert names(search="churn check") == ["daily-churn"]
    assert names(search=version.model.name) == ["daily-churn", "hourly"]
    assert names(enabled="false") == ["hourly"]
    assert names(model_version=version.pk, model=version.model.name) == ["daily-churn", "hourly"]
    refused = client.get(reverse("api:monitor-list"), {"enabled": "maybe"})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "enabled"


def test_run_and_backfill_lists_filter_by_monitor(api_as, viewer, version):
    first, second = (
        MonitorFactory(reference=ReferenceDatasetFactory(model_version=version)) for _ in "ab"
    )
    run = DriftRunFactory(monitor=first)
    DriftRunFactory(monitor=second)
    backfill = BackfillFactory(monitor=first)
    BackfillFactory(monitor=second)
    client = api_as(viewer)
    runs = client.get(reverse("api:drift-run-list"), {"monitor": first.pk}).json()["results"]
    assert [item["id"] for item in runs] == [run.pk]
    backfills = client.get(reverse("api:backfill-list"), {"monitor": first.pk}).json()
    assert [item["id"] for item in backfills["results"]] == [backfill.pk]
    assert client.get(reverse("api:drift-run-list"), {"monitor": "x"}).status_code == 400
