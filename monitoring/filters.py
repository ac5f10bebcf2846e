"""Monitoring's list filters, defined once: the selectors apply them for the pages
(``request.GET``) and the API (``request.query_params``) alike, and the API documents them."""

from __future__ import annotations

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from mlops_portal.api.base import StrictFilterSet, UtcIsoDateTimeFilter, search_filter
from monitoring.models import Backfill, DriftRun, JobStatus, Monitor


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


class MonitorFilter(StrictFilterSet):
    search = search_filter("name", "description", "model_version__model__name")
    model_version = IdFilter(field_name="model_version_id")
    model = django_filters.CharFilter(field_name="model_version__model__name")
    enabled = TrueFalseFilter()

    class Meta:
        model = Monitor
        fields: list[str] = []


class DriftRunFilter(StrictFilterSet):
    monitor = IdFilter(field_name="monitor_id")
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)
    dataset_drift = TrueFalseFilter()
    since = UtcIsoDateTimeFilter(field_name="window_end", lookup_expr="gt")
    until = UtcIsoDateTimeFilter(field_name="window_start", lookup_expr="lt")

    class Meta:
        model = DriftRun
        fields: list[str] = []


class BackfillFilter(StrictFilterSet):
    monitor = IdFilter(field_name="monitor_id")

    class Meta:
        model = Backfill
        fields: list[str] = []
