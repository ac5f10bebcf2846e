"""Registry objects in Django's admin, read-only: every change must go through the services
(UI or API) so that it is validated and lands in the audit trail."""

from django.contrib import admin

from registry.models import DatasetVersion, ModelVersion, RegisteredModel, Tag


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegisteredModel)
class RegisteredModelAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner_group", "task_type", "risk_tier", "created_at")
    list_filter = ("task_type", "risk_tier", "owner_group")
    search_fields = ("name", "description")


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = ("model", "version", "stage", "framework", "created_by", "created_at")
    list_filter = ("stage", "framework")
    search_fields = ("model__name", "run_id", "code_commit")
    list_select_related = ("model", "created_by")


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ReadOnlyAdmin):
    list_display = ("name", "version", "row_count", "created_by", "created_at")
    search_fields = ("name", "version", "description")


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    search_fields = ("name",)
