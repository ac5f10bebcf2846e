from django.contrib import admin

from governance.audit import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only, even for administrators."""

    list_display = ("sequence", "occurred_at", "actor_username", "action", "target_label", "ip")
    list_filter = ("action", "target_type")
    search_fields = ("actor_username", "action", "target_label", "request_id")
    ordering = ("-sequence",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
