from django.urls import path
from rest_framework.routers import SimpleRouter

from monitoring.api import views

router = SimpleRouter()
router.register("monitors", views.MonitorApi, basename="monitor")
router.register("drift-runs", views.DriftRunApi, basename="drift-run")
router.register("backfills", views.BackfillApi, basename="backfill")

urlpatterns = [
    path(
        "versions/<int:version_pk>/references/",
        views.VersionReferenceListApi.as_view(),
        name="version-reference-list",
    ),
    path("references/<int:pk>/", views.ReferenceDetailApi.as_view(), name="reference-detail"),
    path(
        "versions/<int:version_pk>/batches/",
        views.VersionBatchListApi.as_view(),
        name="version-batch-list",
    ),
    path(
        "versions/<int:version_pk>/batches/upload/",
        views.VersionBatchUploadApi.as_view(),
        name="version-batch-upload",
    ),
    path("batches/<int:pk>/", views.BatchDetailApi.as_view(), name="batch-detail"),
    path(
        "versions/<int:version_pk>/predictions/",
        views.VersionPredictionApi.as_view(),
        name="version-prediction-log",
    ),
    path(
        "versions/<int:version_pk>/labels/",
        views.VersionLabelListApi.as_view(),
        name="version-label-list",
    ),
    path(
        "versions/<int:version_pk>/labels/upload/",
        views.VersionLabelUploadApi.as_view(),
        name="version-label-upload",
    ),
    *router.urls,
]
