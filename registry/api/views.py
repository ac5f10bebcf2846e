"""Registry REST API: thin views that validate, call one service or selector, serialize."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from governance.roles import Action
from mlops_portal.api.base import (
    PortalApi,
    validated,
)
from registry import selectors, services
from registry.api import serializers
from registry.filters import DatasetFilter, ModelFilter, VersionFilter
from registry.models import DatasetVersion, ModelVersion, RegisteredModel

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

    @extend_schema(parameters=[DEPTH], responses=serializers.LineageOutputSerializer)
    @action(detail=True, methods=["get"])
    def lineage(self, request, pk=None):
        graph = selectors.lineage_graph(
            user=request.user, root=self.get_object(), depth=_depth(request)
        )
        return Response(graph.as_dict())


@extend_schema_view(
    list=extend_schema(responses=serializers.ModelOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.ModelOutputSerializer),
    create=extend_schema(
        request=serializers.ModelCreateInputSerializer,
        responses={201: serializers.ModelOutputSerializer},
    ),
    partial_update=extend_schema(
        request=serializers.ModelUpdateInputSerializer, responses=serializers.ModelOutputSerializer
    ),
)
class ModelApi(
    PortalApi,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Registered models, looked up by name."""

    queryset = RegisteredModel.objects.none()  # for the schema; requests use get_queryset()
    lookup_field = "name"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    serializer_class = serializers.ModelOutputSerializer
    filterset_class = ModelFilter
    ordering_fields = ["name", "created_at", "updated_at", "risk_tier"]
    required_actions = {
        "list": Action.MODEL_VIEW,
        "retrieve": Action.MODEL_VIEW,
        "create": Action.MODEL_CREATE,
        "partial_update": Action.MODEL_EDIT,
    }

    def get_queryset(self):
        return selectors.model_list(user=self.request.user, filters=self.list_filters())

    def _output(self, name: str) -> dict:
        return serializers.ModelOutputSerializer(
            selectors.model_get(user=self.request.user, name=name)
        ).data

    def create(self, request):
        data = validated(serializers.ModelCreateInputSerializer, request.data)
        model = services.model_create(actor=request.user, **data)
        return Response(self._output(model.name), status=status.HTTP_201_CREATED)

    def partial_update(self, request, name=None):
        model = selectors.model_get(user=request.user, name=name)
        data = validated(serializers.ModelUpdateInputSerializer, request.data)
        services.model_update(actor=request.user, model=model, **data)
        return Response(self._output(model.name))


@extend_schema_view(
    list=extend_schema(responses=serializers.VersionOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.VersionOutputSerializer),
    create=extend_schema(
        request=serializers.VersionCreateInputSerializer,
        responses={201: serializers.VersionOutputSerializer},
    ),
    partial_update=extend_schema(
        request=serializers.VersionUpdateInputSerializer,
        responses=serializers.VersionOutputSerializer,
    ),
    stage=extend_schema(
        request=serializers.StageChangeInputSerializer,
        responses=serializers.VersionOutputSerializer,
    ),
)
class ModelVersionApi(
    PortalApi,
    LineageMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Model versions with their lineage; stage changes go through ``/stage/``."""

    queryset = ModelVersion.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = serializers.VersionOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = VersionFilter
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
        return selectors.version_list(user=self.request.user, filters=self.list_filters())

    def _output(self, pk: int) -> dict:
        return serializers.VersionOutputSerializer(
            selectors.version_get_by_id(user=self.request.user, pk=pk)
        ).data

    def retrieve(self, request, pk=None):
        return Response(self._output(int(pk)))

    def create(self, request):
        data = validated(serializers.VersionCreateInputSerializer, request.data)
        version = services.model_version_create(actor=request.user, **data)
        output = serializers.VersionOutputSerializer(version)
        return Response(output.data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        version = self.get_object()
        data = validated(serializers.VersionUpdateInputSerializer, request.data)
        version = services.model_version_update(actor=request.user, version=version, **data)
        return Response(self._output(version.pk))

    @action(detail=True, methods=["post"])
    def stage(self, request, pk=None):
        version = self.get_object()
        data = validated(serializers.StageChangeInputSerializer, request.data)
        version = services.model_version_stage_set(actor=request.user, version=version, **data)
        return Response(self._output(version.pk))


@extend_schema_view(
    list=extend_schema(responses=serializers.DatasetOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.DatasetOutputSerializer),
    create=extend_schema(
        request=serializers.DatasetCreateInputSerializer,
        responses={201: serializers.DatasetOutputSerializer},
    ),
    partial_update=extend_schema(
        request=serializers.DatasetUpdateInputSerializer,
        responses=serializers.DatasetOutputSerializer,
    ),
)
class DatasetVersionApi(
    PortalApi,
    LineageMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Dataset versions (training, validation, reference data) and their lineage."""

    queryset = DatasetVersion.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = serializers.DatasetOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = DatasetFilter
    ordering_fields = ["name", "created_at"]
    required_actions = {
        "list": Action.MODEL_VIEW,
        "retrieve": Action.MODEL_VIEW,
        "lineage": Action.MODEL_VIEW,
        "create": Action.DATASET_CREATE,
        "partial_update": Action.DATASET_EDIT,
    }

    def get_queryset(self):
        return selectors.dataset_list(user=self.request.user, filters=self.list_filters())

    def _output(self, dataset):
        return serializers.DatasetOutputSerializer(
            selectors.dataset_get(user=self.request.user, pk=dataset.pk)
        ).data

    def create(self, request):
        data = validated(serializers.DatasetCreateInputSerializer, request.data)
        dataset = services.dataset_version_create(actor=request.user, **data)
        return Response(self._output(dataset), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        dataset = self.get_object()
        data = validated(serializers.DatasetUpdateInputSerializer, request.data)
        dataset = services.dataset_version_update(actor=request.user, dataset=dataset, **data)
        return Response(self._output(dataset))
