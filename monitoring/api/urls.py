from django.urls import path
from rest_framework.routers import SimpleRouter

from monitoring.alerts.api import urls as alert_urls
from monitoring.api import views
from monitoring.ingest.api import views as ingest
from monitoring.selectors import quality_baseline

router = SimpleRouter()
router.register("monitors", views.MonitorApi, basename="monitor")
router.register("drift-runs", views.DriftRunApi, basename="drift-run")
router.register("backfills", views.BackfillApi, basename="backfill")

urlpatterns = [
    path(
        "versions/<int:version_pk>/references/",
        views.VersionReferenceListUploadApi.as_view(),
        name="version-reference-list",
    ),
    path("references/<int:pk>/", views.ReferenceDetailApi.as_view(), name="reference-detail"),
    path(
        "versions/<int:version_pk>/batches/",
        ingest.VersionBatchListIngestApi.as_view(baseline_of=quality_baseline),
        name="version-batch-list",
    ),
    path(
        "versions/<int:version_pk>/batches/upload/",
        ingest.VersionBatchUploadApi.as_view(baseline_of=quality_baseline),
        name="version-batch-upload",
    ),
    path("batches/<int:pk>/", ingest.BatchDetailApi.as_view(), name="batch-detail"),
    path(
        "versions/<int:version_pk>/predictions/",
        ingest.VersionPredictionApi.as_view(),
        name="version-prediction-log",
    ),
    path(
        "versions/<int:version_pk>/labels/",
        ingest.VersionLabelListIngestApi.as_view(),
        name="version-label-list",
    ),
    path(
        "versions/<int:version_pk>/labels/upload/",
        ingest.VersionLabelUploadApi.as_view(),
        name="version-label-upload",
    ),
    *router.urls,
    *alert_urls.urlpatterns,
]
