"""The notifications' list filters, defined once: selectors apply them for pages and the API."""

from __future__ import annotations

import django_filters

from mlops_portal.api.base import IdFilter, StrictFilterSet, TrueFalseFilter, search_filter
from notifications.models import (
    Channel,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    InboxEntry,
    Severity,
)


class InboxFilter(StrictFilterSet):
    unread = TrueFalseFilter(
        field_name="read_at", lookup_expr="isnull", label="Only unread (true) or read (false)."
    )
    severity = django_filters.ChoiceFilter(
        field_name="notification__severity", choices=Severity.choices
    )
    event_type = django_filters.CharFilter(
        field_name="notification__event_type",
        lookup_expr="startswith",
        label="Event types starting with this (alert., alert.firing).",
    )
    model = django_filters.CharFilter(field_name="notification__model__name")

    class Meta:
        model = InboxEntry
        fields: list[str] = []


class ChannelFilter(StrictFilterSet):
    search = search_filter("name")
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices)
    enabled = TrueFalseFilter()

    class Meta:
        model = Channel
        fields: list[str] = []


class DeliveryFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices)
    channel = IdFilter(field_name="channel_id")
    notification = IdFilter(field_name="notification_id")
    event_type = django_filters.CharFilter(
        field_name="notification__event_type", lookup_expr="startswith"
    )

    class Meta:
        model = Delivery
        fields: list[str] = []
