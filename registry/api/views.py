"""Registry REST API: thin views that validate, call one service or selector, serialize."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from governance.roles import Action
from mlops_portal.api.base import PortalApiMixin, StrictFilterSet, validated
from registry import selectors, services
from registry.api import serializers as s
from registry.models import (
    DatasetVersion,
    ModelVersion,
    RegisteredModel,
    RiskTier,
    Stage,
    TaskType,
)


class ModelFilter(StrictFilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    owner = django_filters.CharFilter(field_name="owner_group__name")
    tag = django_filters.CharFilter(field_name="tags__name")
    task_type = django_filters.ChoiceFilter(choices=TaskType.choices)
    risk_tier = django_filters.ChoiceFilter(choices=RiskTier.choices)
    stage = django_filters.ChoiceFilter(
        choices=Stage.choices, field_name="versions__stage", distinct=True
    )


class VersionFilter(StrictFilterSet):
    model = django_filters.CharFilter(field_name="model__name")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    owner = django_filters.CharFilter(field_name="model__owner_group__name")
    tag = django_filters.CharFilter(field_name="model__tags__name", distinct=True)


class DatasetFilter(StrictFilterSet):
    name = django_filters.CharFilter(field_name="name")
    owner = django_filters.CharFilter(field_name="owner_group__name")


DEPTH = OpenApiParameter(
    "depth",
    {"type": "integer", "minimum": 1, "maximum": 50},
    description="Hops to follow each way (1-50, default 10).",
)


def _depth(request) -> int:
    raw = request.query_params.get("depth", "10")
    if not (raw.isdigit() and 1 <= int(raw) <= 50):
        raise ValidationError({"depth": [f"Must be an integer from 1 to 50, got {raw!r}."]})
    return int(raw)


class LineageMixin:
    """``GET …/{id}/lineage/``: the object's upstream and downstream graph."""

    @extend_schema(parameters=[DEPTH], responses=s.LineageOutputSerializer)
    @action(detail=True, methods=["get"])
    def lineage(self, request, pk=None):
        graph = selectors.lineage_graph(
            user=request.user, root=self.get_object(), depth=_depth(request)
        )
        return Response(graph.as_dict())


@extend_schema_view(
    list=extend_schema(responses=s.ModelOutputSerializer(many=True)),
    retrieve=extend_schema(responses=s.ModelOutputSerializer),
    create=extend_schema(
        request=s.ModelCreateInputSerializer, responses={201: s.ModelOutputSerializer}
    ),
    partial_update=extend_schema(
        request=s.ModelUpdateInputSerializer, responses=s.ModelOutputSerializer
    ),
)
class ModelApi(
    PortalApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Registered models, looked up by name."""

    queryset = RegisteredModel.objects.none()  # for the schema; requests use get_queryset()
    lookup_field = "name"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    serializer_class = s.ModelOutputSerializer
    filterset_class = ModelFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at", "risk_tier"]
    required_actions = {
        "list": Action.MODEL_VIEW,
        "retrieve": Action.MODEL_VIEW,
        "create": Action.MODEL_CREATE,
        "partial_update": Action.MODEL_EDIT,
    }

    def get_queryset(self):
        return selectors.model_rows(user=self.request.user)  # list and retrieve render rows

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(s.ModelOutputSerializer(page, many=True).data)

    def _output(self, name: str) -> dict:
        return s.ModelOutputSerializer(
            selectors.model_row_get(user=self.request.user, name=name)
        ).data

    def create(self, request):
        data = validated(s.ModelCreateInputSerializer, request.data)
        model = services.model_create(actor=request.user, **data)
        return Response(self._output(model.name), status=status.HTTP_201_CREATED)

    def partial_update(self, request, name=None):
        model = selectors.model_get(user=request.user, name=name)
        data = validated(s.ModelUpdateInputSerializer, request.data)
        services.model_update(actor=request.user, model=model, **data)
        return Response(self._output(model.name))


@extend_schema_view(
    list=extend_schema(responses=s.VersionOutputSerializer(many=True)),
    retrieve=extend_schema(responses=s.VersionOutputSerializer),
    create=extend_schema(
        request=s.VersionCreateInputSerializer, responses={201: s.VersionOutputSerializer}
    ),
    partial_update=extend_schema(
        request=s.VersionUpdateInputSerializer, responses=s.VersionOutputSerializer
    ),
    stage=extend_schema(request=s.StageChangeInputSerializer, responses=s.VersionOutputSerializer),
)
class ModelVersionApi(
    PortalApiMixin,
    LineageMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Model versions with their lineage; stage changes go through ``/stage/``."""

    queryset = ModelVersion.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.VersionOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = VersionFilter
    search_fields = ["model__name", "description", "run_id"]
    ordering_fields = ["created_at", "version", "stage"]
    required_actions = {
        "list": Action.MODEL_VIEW,
        "retrieve": Action.MODEL_VIEW,
        "lineage": Action.MODEL_VIEW,
        "create": Action.VERSION_CREATE,
        "partial_update": Action.VERSION_EDIT,
        "stage": Action.VERSION_STAGE_CHANGE,
    }

    def get_queryset(self):
        return selectors.version_list(user=self.request.user)

    def _output(self, pk: int) -> dict:
        version, lineage = selectors.version_detail(user=self.request.user, pk=pk)
        return s.VersionOutputSerializer(version, context={"lineage": lineage}).data

    def retrieve(self, request, pk=None):
        return Response(self._output(int(pk)))

    def create(self, request):
        data = validated(s.VersionCreateInputSerializer, request.data)
        version = services.model_version_create(actor=request.user, **data)
        # The service returns the version with what the output needs; no second read.
        output = s.VersionOutputSerializer(version, context={"lineage": data})
        return Response(output.data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        version = self.get_object()
        data = validated(s.VersionUpdateInputSerializer, request.data)
        version = services.model_version_update(actor=request.user, version=version, **data)
        return Response(self._output(version.pk))

    @action(detail=True, methods=["post"])
    def stage(self, request, pk=None):
        version = self.get_object()
        data = validated(s.StageChangeInputSerializer, request.data)
        version = services.model_version_stage_set(actor=request.user, version=version, **data)
        return Response(self._output(version.pk))


@extend_schema_view(
    list=extend_schema(responses=s.DatasetOutputSerializer(many=True)),
    retrieve=extend_schema(responses=s.DatasetOutputSerializer),
    create=extend_schema(
        request=s.DatasetCreateInputSerializer, responses={201: s.DatasetOutputSerializer}
    ),
    partial_update=extend_schema(
        request=s.DatasetUpdateInputSerializer, responses=s.DatasetOutputSerializer
    ),
)
class DatasetVersionApi(
    PortalApiMixin,
    LineageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Dataset versions (training, validation, reference data) and their lineage."""

    queryset = DatasetVersion.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.DatasetOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = DatasetFilter
    search_fields = ["name", "version", "description"]
    ordering_fields = ["name", "created_at"]
    required_actions = {
        "list": Action.MODEL_VIEW,
        "retrieve": Action.MODEL_VIEW,
        "lineage": Action.MODEL_VIEW,
        "create": Action.DATASET_CREATE,
        "partial_update": Action.DATASET_EDIT,
    }

    def get_queryset(self):
        return selectors.dataset_list(user=self.request.user)

    def _output(self, dataset):
        return s.DatasetOutputSerializer(
            selectors.dataset_get(user=self.request.user, pk=dataset.pk)
        ).data

    def create(self, request):
        data = validated(s.DatasetCreateInputSerializer, request.data)
        dataset = services.dataset_version_create(actor=request.user, **data)
        return Response(self._output(dataset), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        dataset = self.get_object()
        data = validated(s.DatasetUpdateInputSerializer, request.data)
        dataset = services.dataset_version_update(actor=request.user, dataset=dataset, **data)
        return Response(self._output(dataset))
