"""The audit log's filters, defined once: the selector applies them for the page, the CSV
export and the API alike."""

from __future__ import annotations

import django_filters

from governance.audit import AuditEvent
from mlops_portal.api.base import StrictFilterSet, UtcIsoDateTimeFilter, search_filter


class AuditEventFilter(StrictFilterSet):
    search = search_filter("action", "actor_username", "target_label")
    action = django_filters.CharFilter(
        field_name="action", lookup_expr="startswith", label="Action prefix, e.g. registry."
    )
    actor = django_filters.CharFilter(field_name="actor_username", label="Username of the actor.")
    target_type = django_filters.CharFilter(label="e.g. registry.registeredmodel")
    target_id = django_filters.CharFilter()
    since = UtcIsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="gte", label="From this time on (ISO 8601)."
    )
    until = UtcIsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="lt", label="Before this time (ISO 8601)."
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []
