"""Monitoring objects in Django's admin, read-only: changes go through the services (UI or API)
so that they are validated, kept in step with celery-beat and audited."""

from django.contrib import admin

from monitoring.ingest.models import InferenceBatch, LabelBatch
from monitoring.models import Backfill, DriftRun, Monitor, ReferenceDataset


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Monitor)
class MonitorAdmin(ReadOnlyAdmin):
    list_display = ("name", "model_version", "window_seconds", "schedule_kind", "enabled")
    list_filter = ("enabled", "schedule_kind")
    search_fields = ("name", "model_version__model__name")
    list_select_related = ("model_version__model",)


@admin.register(ReferenceDataset)
class ReferenceDatasetAdmin(ReadOnlyAdmin):
    list_display = ("name", "model_version", "status", "row_count", "created_at")
    list_filter = ("status",)
    list_select_related = ("model_version__model",)


@admin.register(DriftRun)
class DriftRunAdmin(ReadOnlyAdmin):
    list_display = ("monitor", "window_start", "window_end", "status", "dataset_drift")
    list_filter = ("status", "dataset_drift", "trigger")
    list_select_related = ("monitor",)


@admin.register(InferenceBatch)
class InferenceBatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "model_version", "source", "row_count", "skipped_rows", "created_at")
    list_filter = ("source",)
    list_select_related = ("model_version__model",)


@admin.register(LabelBatch)
class LabelBatchAdmin(ReadOnlyAdmin):
    list_display = ("pk", "model_version", "source", "row_count", "created_at")
    list_select_related = ("model_version__model",)


@admin.register(Backfill)
class BackfillAdmin(ReadOnlyAdmin):
    list_display = ("monitor", "windows", "status", "runs_finished", "created_at")
    list_select_related = ("monitor",)
