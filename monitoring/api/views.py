"""Monitoring REST API: thin views that validate, call one service or selector, serialize.

The ingest endpoints (production batches, labels, predictions) are ``monitoring.ingest.api``;
reference uploads here hang under the model version like them and stream their file the same
way.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.roles import Action
from mlops_portal.api.base import (
    PortalApi,
    validated,
)
from monitoring import selectors
from monitoring.api import serializers
from monitoring.filters import BackfillFilter, DriftRunFilter, MonitorFilter
from monitoring.ingest import storage
from monitoring.ingest.api.views import SIGNATURE_CHECKED, UploadApiMixin, VersionScopedMixin
from monitoring.models import Backfill, DriftRun, Monitor, ReferenceDataset
from monitoring.services import monitors, references, scheduling

# --- reference data --------------------------------------------------------------------------


class VersionReferenceListUploadApi(
    UploadApiMixin, VersionScopedMixin, PortalApi, generics.GenericAPIView
):
    """A model version's reference datasets; POST uploads one (CSV or Parquet, multipart)."""

    queryset = ReferenceDataset.objects.none()  # for the schema; requests use the selectors

    required_actions = {"get": Action.MONITOR_VIEW, "post": Action.MONITOR_CONFIGURE}
    serializer_class = serializers.ReferenceOutputSerializer

    @extend_schema(responses=serializers.ReferenceOutputSerializer(many=True))
    def get(self, request, version_pk: int):
        return self.version_page(selectors.reference_list, serializers.ReferenceOutputSerializer)

    @extend_schema(
        request={"multipart/form-data": serializers.ReferenceUploadInputSerializer},
        responses={201: serializers.ReferenceOutputSerializer},
        extensions=SIGNATURE_CHECKED,
    )
    def post(self, request, version_pk: int):
        version = self.version()
        data = validated(serializers.ReferenceUploadInputSerializer, request.data)
        upload = data["file"]
        with storage.uploaded_path(upload) as path:
            reference = references.reference_dataset_create(
                actor=request.user,
                model_version=version,
                upload_path=path,
                filename=upload.name or "",
                name=data["name"],
            )
        reference = selectors.reference_get(user=request.user, pk=reference.pk)
        return Response(
            serializers.ReferenceOutputSerializer(reference).data, status=status.HTTP_201_CREATED
        )


class ReferenceDetailApi(PortalApi, generics.GenericAPIView):
    """One reference dataset, with its profiling status and progress (poll this)."""

    queryset = ReferenceDataset.objects.none()  # for the schema; requests use the selectors

    required_actions = {"get": Action.MONITOR_VIEW}
    serializer_class = serializers.ReferenceOutputSerializer

    def get(self, request, pk: int):
        reference = selectors.reference_get(user=request.user, pk=pk)
        return Response(serializers.ReferenceOutputSerializer(reference).data)


# --- monitors, runs, backfills ---------------------------------------------------------------


class ListRetrieveApi(
    PortalApi,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Rows by id, and lists that the selector filters by ``filterset_class`` (documented
    here, applied there) and the ordering shapes."""

    lookup_value_regex = r"[0-9]+"


@extend_schema_view(
    list=extend_schema(responses=serializers.MonitorOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.MonitorOutputSerializer),
    create=extend_schema(
        request=serializers.MonitorCreateInputSerializer,
        responses={201: serializers.MonitorOutputSerializer},
    ),
    partial_update=extend_schema(
        request=serializers.MonitorUpdateInputSerializer,
        responses=serializers.MonitorOutputSerializer,
    ),
    destroy=extend_schema(responses={204: None}),
    run=extend_schema(request=None, responses={202: serializers.DriftRunOutputSerializer}),
    backfill=extend_schema(
        request=serializers.BackfillInputSerializer,
        responses={202: serializers.BackfillOutputSerializer},
    ),
)
class MonitorApi(ListRetrieveApi):
    """Drift monitors; their celery-beat schedule follows every change."""

    queryset = Monitor.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = serializers.MonitorOutputSerializer
    filterset_class = MonitorFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    required_actions = {
        "list": Action.MONITOR_VIEW,
        "retrieve": Action.MONITOR_VIEW,
        "create": Action.MONITOR_CONFIGURE,
        "partial_update": Action.MONITOR_CONFIGURE,
        "destroy": Action.MONITOR_CONFIGURE,
        "run": Action.MONITOR_CONFIGURE,
        "backfill": Action.MONITOR_CONFIGURE,
    }

    def get_queryset(self):
        return selectors.monitor_list(user=self.request.user, filters=self.list_filters())

    def _output(self, monitor: Monitor) -> dict:
        return serializers.MonitorOutputSerializer(
            selectors.monitor_get(user=self.request.user, pk=monitor.pk)
        ).data

    def create(self, request):
        data = validated(serializers.MonitorCreateInputSerializer, request.data)
        monitor = monitors.monitor_create(actor=request.user, **data)
        return Response(self._output(monitor), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        monitor = self.get_object()
        data = validated(serializers.MonitorUpdateInputSerializer, request.data)
        monitor = monitors.monitor_update(actor=request.user, monitor=monitor, **data)
        return Response(self._output(monitor))

    def destroy(self, request, pk=None):
        monitors.monitor_delete(actor=request.user, monitor=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        run = scheduling.drift_run_now(actor=request.user, monitor=self.get_object())
        run = selectors.drift_run_get(user=request.user, pk=run.pk)
        return Response(
            serializers.DriftRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED
        )

    @action(detail=True, methods=["post"])
    def backfill(self, request, pk=None):
        monitor = self.get_object()
        data = validated(serializers.BackfillInputSerializer, request.data)
        backfill = scheduling.drift_backfill_request(
            actor=request.user, monitor=monitor, windows=data["windows"]
        )
        backfill = selectors.backfill_get(user=request.user, pk=backfill.pk)
        return Response(
            serializers.BackfillOutputSerializer(backfill).data, status=status.HTTP_202_ACCEPTED
        )


@extend_schema_view(
    list=extend_schema(responses=serializers.DriftRunOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.DriftRunOutputSerializer),
    features=extend_schema(responses=serializers.FeatureDriftOutputSerializer(many=True)),
)
class DriftRunApi(ListRetrieveApi):
    """Drift runs (one per monitor and window) with status, progress and the dataset verdict."""

    queryset = DriftRun.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = serializers.DriftRunOutputSerializer
    filterset_class = DriftRunFilter
    ordering_fields = ["window_end", "window_start", "finished_at"]
    required_actions = {
        "list": Action.MONITOR_VIEW,
        "retrieve": Action.MONITOR_VIEW,
        "features": Action.MONITOR_VIEW,
    }

    def get_queryset(self):
        return selectors.drift_run_list(user=self.request.user, filters=self.list_filters())

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def features(self, request, pk=None):
        run = selectors.drift_run_get(user=request.user, pk=self.get_object().pk)
        return Response(
            serializers.FeatureDriftOutputSerializer(run.features.all(), many=True).data
        )


@extend_schema_view(
    list=extend_schema(responses=serializers.BackfillOutputSerializer(many=True)),
    retrieve=extend_schema(responses=serializers.BackfillOutputSerializer),
)
class BackfillApi(ListRetrieveApi):
    """Backfill requests and their progress."""

    queryset = Backfill.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = serializers.BackfillOutputSerializer
    filterset_class = BackfillFilter
    ordering_fields = ["created_at", "finished_at"]
    required_actions = {"list": Action.MONITOR_VIEW, "retrieve": Action.MONITOR_VIEW}

    def get_queryset(self):
        return selectors.backfill_list(user=self.request.user, filters=self.list_filters())
