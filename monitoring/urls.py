from django.urls import include, path

from monitoring import views
from monitoring.alerts import urls as alert_urls
from monitoring.api.metrics import UnsafeMetricsApi
from monitoring.ingest import views as ingest_views
from monitoring.selectors import quality_baseline

urlpatterns = [
    path("metrics", UnsafeMetricsApi.as_view(), name="metrics"),
    path("", include(alert_urls)),
    path("monitors/", views.monitor_list, name="monitor-list"),
    path("monitors/<int:pk>/", views.monitor_detail, name="monitor-detail"),
    path("monitors/<int:pk>/edit/", views.monitor_edit, name="monitor-edit"),
    path("monitors/<int:pk>/delete/", views.monitor_delete, name="monitor-delete"),
    path("monitors/<int:pk>/run/", views.monitor_run_now, name="monitor-run-now"),
    path("monitors/<int:pk>/backfill/", views.monitor_backfill, name="monitor-backfill"),
    path("monitors/<int:pk>/runs/<int:run_pk>/", views.drift_run_page, name="drift-run-page"),
    path(
        "monitors/<int:pk>/export/<slug:chart>.csv",
        views.monitor_chart_csv,
        name="monitor-chart-csv",
    ),
    path(
        "models/<slug:name>/versions/<int:number>/monitoring/",
        views.version_monitoring,
        name="version-monitoring",
    ),
    path(
        "models/<slug:name>/versions/<int:number>/monitoring/new-monitor/",
        views.monitor_create,
        name="monitor-create",
    ),
    path(
        "models/<slug:name>/versions/<int:number>/monitoring/references/",
        views.reference_upload,
        name="reference-upload",
    ),
    path(
        "models/<slug:name>/versions/<int:number>/monitoring/batches/",
        ingest_views.batch_upload,
        {"baseline_of": quality_baseline},
        name="batch-upload",
    ),
    path(
        "models/<slug:name>/versions/<int:number>/monitoring/labels/",
        ingest_views.label_upload,
        name="label-upload",
    ),
    path("monitoring/references/<int:pk>/", views.reference_page, name="reference-page"),
    path(
        "monitoring/references/<int:pk>/requeue/",
        views.reference_requeue,
        name="reference-requeue",
    ),
]
