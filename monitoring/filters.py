"""Monitoring's list filters, defined once: the selectors apply them for the pages
(``request.GET``) and the API (``request.query_params``) alike, and the API documents them."""

from __future__ import annotations

import django_filters

from mlops_portal.api.base import (
    IdFilter,
    StrictFilterSet,
    TrueFalseFilter,
    UtcIsoDateTimeFilter,
    search_filter,
)
from monitoring.models import Backfill, DriftRun, JobStatus, Monitor


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
