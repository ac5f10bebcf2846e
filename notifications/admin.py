"""Notification rows in Django's admin, read-only: every change goes through the services (UI
or API) so that it is validated and audited. A webhook channel's secret is never shown."""

from django.contrib import admin

from notifications.models import (
    Channel,
    Delivery,
    InboxEntry,
    Notification,
    OutboundAllowEntry,
    Subscription,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event_type", "severity", "subject", "model")
    list_filter = ("severity", "event_type")
    search_fields = ("subject", "summary", "dedupe_key")
    list_select_related = ("model",)


@admin.register(InboxEntry)
class InboxEntryAdmin(ReadOnlyAdmin):
    list_display = ("notification", "user", "read_at", "created_at")
    list_select_related = ("notification", "user")


@admin.register(Channel)
class ChannelAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "enabled", "created_by", "created_at")
    list_filter = ("kind", "enabled")
    exclude = ("secret_encrypted",)


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("user", "channel", "model", "min_severity", "email")
    list_select_related = ("user", "channel", "model")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "target_label",
        "kind",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("target_label", "last_error", "message_id")


@admin.register(OutboundAllowEntry)
class OutboundAllowEntryAdmin(ReadOnlyAdmin):
    list_display = ("value", "note", "created_by", "created_at")
