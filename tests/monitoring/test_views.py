"""Monitoring pages: charts with their numbers, forms that go through the services."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from monitoring.models import Monitor, ReferenceDataset
from tests.monitoring.factories import (
    DriftRunFactory,
    FeatureDriftFactory,
    InferenceBatchFactory,
    MonitorFactory,
    ReferenceDatasetFactory,
)

pytestmark = pytest.mark.django_db


def figure(response, key: str) -> dict:
    match = re.search(
        rf'<script id="{key}-figure" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no {key} figure on the page"
    return json.loads(match.group(1))


@pytest.fixture
def monitor_with_history(version):
    monitor = MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    for index in range(4):
        drifted = index == 3
        run = DriftRunFactory(
            monitor=monitor,
            dataset_drift=drifted,
            drift_share=0.67 if drifted else 0.0,
            n_drifted=2 if drifted else 0,
            performance={"n": 40, "accuracy": 0.8 - index / 20, "roc_auc": 0.9},
            labelled_rows=40,
        )
        FeatureDriftFactory(run=run, feature="x", severity=3.0 if drifted else 0.2, drifted=drifted)
        FeatureDriftFactory(
            run=run,
            feature="c",
            column_type="categorical",
            method="chisquare",
            severity=0.1,
            reference_histogram={"edges": None, "values": ["a", "b"], "counts": [60, 40]},
            current_histogram={"edges": None, "values": ["a", "b"], "counts": [30, 70]},
        )
    InferenceBatchFactory(model_version=version)
    return monitor


def test_monitor_page_draws_every_chart_with_its_numbers(web_as, viewer, monitor_with_history):
    response = web_as(viewer).get(reverse("monitor-detail", args=[monitor_with_history.pk]))
    assert response.status_code == 200
    share = figure(response, "drift-share")
    assert share["data"][0]["y"] == [0.0, 0.0, 0.0, 0.67]
    assert share["layout"]["shapes"][0]["y0"] == 0.5  # the threshold line
    heatmap = figure(response, "heatmap")
    assert heatmap["data"][0]["y"] == ["c", "x"] and heatmap["data"][0]["z"][1][3] == 3.0
    distribution = figure(response, "distribution")
    assert [trace["name"] for trace in distribution["data"]] == ["Reference", "Current"]
    assert distribution["data"][1]["y"] == pytest.approx([6 / 12, 6 / 12])  # latest run, "x"
    assert figure(response, "quality")["data"][0]["y"] == [1]
    performance = figure(response, "performance")
    assert [trace["name"] for trace in performance["data"]] == ["accuracy", "roc_auc"]
    html = response.content.decode()
    assert 'id="drift-share-graph"' in html and "The numbers (4 rows)" in html
    assert "plotly.min.js" in html


def test_distribution_chart_follows_the_selected_run_and_feature(
    web_as, viewer, monitor_with_history
):
    first_run = monitor_with_history.runs.order_by("window_end").first()
    url = reverse("monitor-detail", args=[monitor_with_history.pk])
    response = web_as(viewer).get(url, {"run": first_run.pk, "feature": "c"})
    distribution = figure(response, "distribution")
    assert distribution["data"][0]["x"] == ["a", "b"]
    assert distribution["data"][1]["y"] == pytest.approx([0.3, 0.7])


def test_every_chart_downloads_as_csv(web_as, viewer, monitor_with_history):
    client = web_as(viewer)
    response = client.get(reverse("monitor-chart-csv", args=[monitor_with_history.pk, "heatmap"]))
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["window_end", "feature", "method"] and len(rows) == 1 + 8
    for key in ("drift-share", "distribution", "quality", "performance"):
        assert (
            client.get(
                reverse("monitor-chart-csv", args=[monitor_with_history.pk, key])
            ).status_code
            == 200
        )
    assert (
        client.get(reverse("monitor-chart-csv", args=[monitor_with_history.pk, "nope"])).status_code
        == 404
    )


def test_run_page_lists_features_and_draws_the_selected_one(web_as, viewer, monitor_with_history):
    run = monitor_with_history.runs.order_by("-window_end").first()
    url = reverse("drift-run-page", args=[monitor_with_history.pk, run.pk])
    response = web_as(viewer).get(url, {"feature": "c"})
    assert response.status_code == 200
    assert figure(response, "distribution")["data"][0]["x"] == ["a", "b"]
    other = MonitorFactory(reference=monitor_with_history.reference)
    wrong = web_as(viewer).get(reverse("drift-run-page", args=[other.pk, run.pk]))
    assert wrong.status_code == 404


def test_a_monitor_without_runs_explains_what_to_do(web_as, owner, version):
    monitor = MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    response = web_as(owner).get(reverse("monitor-detail", args=[monitor.pk]))
    assert response.status_code == 200
    assert b"No completed runs yet: run now or backfill." in response.content
    assert b"Run now" in response.content


def test_registry_pages_show_the_latest_monitor_status(web_as, viewer, monitor_with_history):
    version = monitor_with_history.model_version
    page = web_as(viewer).get(reverse("version-detail", args=[version.model.name, version.version]))
    html = page.content.decode()
    assert 'id="monitoring-summary"' in html and monitor_with_history.name in html
    assert '<span class="badge risk-high">drift</span>' in html and "67%" in html
    model_page = web_as(viewer).get(reverse("model-detail", args=[version.model.name]))
    assert monitor_with_history.name in model_page.content.decode()


def test_create_a_monitor_from_the_form(web_as, owner, version):
    reference = ReferenceDatasetFactory(model_version=version)
    url = reverse("monitor-create", args=[version.model.name, version.version])
    client = web_as(owner)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "name": "daily-check",
            "reference": reference.pk,
            "window_seconds": 86400,
            "schedule_kind": "interval",
            "interval_seconds": 3600,
            "features": "x, c",
            "drift_share_threshold": 0.5,
            "method_overrides": "{}",
            "threshold_overrides": '{"x": 0.01}',
            "enabled": "on",
        },
    )
    monitor = Monitor.objects.get(name="daily-check")
    assert response.status_code == 302 and response["Location"].endswith(f"/monitors/{monitor.pk}/")
    assert monitor.features == ["x", "c"] and monitor.threshold_overrides == {"x": 0.01}
    assert PeriodicTask.objects.filter(pk=monitor.periodic_task_id, enabled=True).exists()


def test_a_form_error_from_the_service_is_shown_on_its_field(web_as, owner, version):
    reference = ReferenceDatasetFactory(model_version=version)
    url = reverse("monitor-create", args=[version.model.name, version.version])
    response = web_as(owner).post(
        url,
        {
            "name": "bad",
            "reference": reference.pk,
            "window_seconds": 3600,
            "schedule_kind": "interval",
            "interval_seconds": 600,
            "features": "x, ghost",
            "drift_share_threshold": 0.5,
        },
    )
    assert response.status_code == 200
    assert "features: &#x27;ghost&#x27; is not a profiled column" in response.content.decode()
    assert not Monitor.objects.exists()


def test_edit_and_delete_from_the_pages(web_as, owner, version):
    monitor = MonitorFactory(reference=ReferenceDatasetFactory(model_version=version))
    client = web_as(owner)
    page = client.get(reverse("monitor-edit", args=[monitor.pk]))
    assert page.status_code == 200 and b'value="3600"' in page.content
    client.post(reverse("monitor-delete", args=[monitor.pk]))
    assert not Monitor.objects.exists()


def test_reference_upload_leads_to_its_progress_page(web_as, owner, version):
    url = reverse("reference-upload", args=[version.model.name, version.version])
    file = io.BytesIO(b"x,c,score\n1.0,a,0.3\n2.0,b,0.6\n")
    file.name = "train.csv"
    response = web_as(owner).post(url, {"file": file, "name": "train"})
    reference = ReferenceDataset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reference-page", args=[reference.pk])
    page = web_as(owner).get(response["Location"])
    assert b"data-poll-url" in page.content and b"<progress" in page.content


# --- query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 50])
def test_pages_use_a_fixed_number_of_queries(
    web_as, viewer, version, n, django_assert_max_num_queries
):
    reference = ReferenceDatasetFactory(model_version=version, rows=50)
    monitors = [MonitorFactory(reference=reference) for _ in range(n)]
    for run_index in range(n):
        run = DriftRunFactory(monitor=monitors[0])
        FeatureDriftFactory(run=run, feature="x")
        FeatureDriftFactory(run=run, feature="c")
        InferenceBatchFactory(
            model_version=version, first_timestamp=run.window_start + timedelta(minutes=run_index)
        )
    client = web_as(viewer)
    client.get(reverse("monitor-list"))  # warm the session and role caches
    pages = [
        (reverse("monitor-list"), 5),
        # +1 on monitor, version and model pages: their open alerts (one query)
        (reverse("monitor-detail", args=[monitors[0].pk]), 12),
        (reverse("version-monitoring", args=[version.model.name, version.version]), 12),
        (reverse("version-detail", args=[version.model.name, version.version]), 14),
        (reverse("model-detail", args=[version.model.name]), 12),
    ]
    for url, limit in pages:
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200


def test_the_monitor_list_page_filters_as_the_api_does(web_as, viewer, version):
    reference = ReferenceDatasetFactory(model_version=version)
    MonitorFactory(reference=reference, name="daily-churn", description="the churn check")
    MonitorFactory(reference=reference, name="hourly")
    page = web_as(viewer).get(reverse("monitor-list"), {"search": "churn check", "model": ""})
    assert page.status_code == 200
    assert b"daily-churn" in page.content and b"hourly" not in page.content
