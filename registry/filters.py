"""The registry's list filters, defined once: selectors apply them for the pages and the API."""

from __future__ import annotations

import django_filters

from mlops_portal.api.base import StrictFilterSet, search_filter
from registry.models import DatasetVersion, ModelVersion, RegisteredModel, RiskTier, Stage, TaskType


class ModelFilter(StrictFilterSet):
    search = search_filter("name", "description")
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    owner = django_filters.CharFilter(field_name="owner_group__name")
    tag = django_filters.CharFilter(field_name="tags__name", distinct=True)
    task_type = django_filters.ChoiceFilter(choices=TaskType.choices)
    risk_tier = django_filters.ChoiceFilter(choices=RiskTier.choices)
    stage = django_filters.ChoiceFilter(
        choices=Stage.choices, field_name="versions__stage", distinct=True
    )

    class Meta:
        model = RegisteredModel
        fields: list[str] = []


class VersionFilter(StrictFilterSet):
    search = search_filter("model__name", "description", "run_id")
    model = django_filters.CharFilter(field_name="model__name")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    owner = django_filters.CharFilter(field_name="model__owner_group__name")
    tag = django_filters.CharFilter(field_name="model__tags__name", distinct=True)

    class Meta:
        model = ModelVersion
        fields: list[str] = []


class DatasetFilter(StrictFilterSet):
    search = search_filter("name", "version", "description")
    name = django_filters.CharFilter(field_name="name")
    owner = django_filters.CharFilter(field_name="owner_group__name")

    class Meta:
        model = DatasetVersion
        fields: list[str] = []
