"""The notifications' list filters, defined once: selectors apply them for pages and the API."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from mlops_portal.api.base import StrictFilterSet, search_filter
from notifications.models import (
    Channel,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    InboxEntry,
    Severity,
)

# The same two small filters as monitoring.filters (notifications may not import monitoring).


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.Filter):
    """A row id: a whole number in the database's range (anything else is a 400, not a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "enum": ["true", "false"]})
class TrueFalseFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false`` only (django-filter's BooleanFilter quietly ignores other text)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", (("true", "true"), ("false", "false")))
        kwargs.setdefault("coerce", lambda value: value == "true")
        super().__init__(*args, **kwargs)


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
