"""Monitoring REST API: thin views that validate, call one service or selector, serialize.

Ingestion endpoints hang under the model version they feed (``/versions/<id>/batches/`` ...);
JSON ones accept ``application/json`` only, upload ones ``multipart/form-data`` only, streamed
to the data root with the size limit applied while the bytes arrive.
"""

from __future__ import annotations

from pathlib import Path

import django_filters
from django import forms
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.roles import Action
from mlops_portal.api.base import (
    PortalApiMixin,
    StrictFilterSet,
    UtcIsoDateTimeFilter,
    validated,
)
from monitoring import selectors, storage
from monitoring.api import serializers as s
from monitoring.api.parsers import JSONBody, OrjsonBodyParser, UploadParser
from monitoring.models import (
    Backfill,
    DriftRun,
    InferenceBatch,
    JobStatus,
    LabelBatch,
    Monitor,
    ReferenceDataset,
)
from monitoring.services import batches, buffer, monitors, references, runs
from registry.selectors import version_get_by_id

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Retries with the same key and body return the first batch; a different body "
    "with a used key is refused with 409.",
)


SIGNATURE_CHECKED = {
    # The body's rows are checked against the model version's signature, which an OpenAPI
    # schema cannot express: schema-valid rows may still get a 400 naming the mismatch.
    "x-validated-against-signature": True
}


def _json_body(request) -> tuple[object, str]:
    data = request.data
    if isinstance(data, JSONBody):
        return data.value, data.sha256
    return data, ""


def _ingest_response(result: batches.IngestResult, serializer_class) -> Response:
    body = serializer_class(result.batch).data
    if result.replayed:
        return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})
    return Response(body, status=status.HTTP_201_CREATED)


class UploadApiMixin:
    """Upload endpoints: multipart only, files streamed under DATA_ROOT with the size limit."""

    parser_classes = [UploadParser]

    def initialize_request(self, request, *args, **kwargs):
        storage.use_data_root_uploads(request)
        return super().initialize_request(request, *args, **kwargs)


class VersionScopedMixin:
    """Endpoints under ``/versions/<id>/``: no filters or ordering."""

    filter_backends = []

    def version(self):
        return version_get_by_id(user=self.request.user, pk=self.kwargs["version_pk"])

    def version_page(self, selector, serializer_class) -> Response:
        """One page of what ``selector`` lists for this version, serialized."""
        rows = selector(user=self.request.user, filters={"model_version": self.version().pk})
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializer_class(page, many=True).data)


class VersionFileIngestApi(
    UploadApiMixin, VersionScopedMixin, PortalApiMixin, generics.GenericAPIView
):
    """POST a CSV or Parquet file (multipart field ``file``) to ``ingest_file``, a service with
    the signature of ``batches.inference_batch_ingest_file``."""

    required_actions = {"post": Action.DATA_INGEST}
    ingest_file = None

    def post(self, request, version_pk: int):
        version = self.version()
        data = validated(s.FileUploadInputSerializer, request.data)
        upload = data["file"]
        try:
            result = self.ingest_file(
                actor=request.user,
                model_version=version,
                path=Path(upload.temporary_file_path()),
                filename=upload.name or "",
                skip_bad_rows=data["skip_bad_rows"],
                idempotency_key=request.headers.get("Idempotency-Key", ""),
            )
        finally:
            upload.close()
        return _ingest_response(result, self.serializer_class)


def _file_ingest_schema(output):
    return extend_schema_view(
        post=extend_schema(
            request={"multipart/form-data": s.FileUploadInputSerializer},
            parameters=[IDEMPOTENCY_KEY],
            responses={201: output, 200: output},
            extensions=SIGNATURE_CHECKED,
        )
    )


class VersionJsonIngestApi(VersionScopedMixin, PortalApiMixin, generics.GenericAPIView):
    """GET lists the version's batches (``list_selector``); POST sends one as JSON to
    ``ingest_records``, a service taking the list under the name ``items`` (as
    ``input_serializer`` reads it), like ``batches.inference_batch_ingest_records``."""

    parser_classes = [OrjsonBodyParser]
    required_actions = {"get": Action.MONITOR_VIEW, "post": Action.DATA_INGEST}
    list_selector = None
    input_serializer = None
    items = ""
    ingest_records = None

    def get(self, request, version_pk: int):
        return self.version_page(self.list_selector, self.serializer_class)

    def post(self, request, version_pk: int):
        version = self.version()
        value, sha256 = _json_body(request)
        data = validated(self.input_serializer, value)
        result = self.ingest_records(
            actor=request.user,
            model_version=version,
            skip_bad_rows=data["skip_bad_rows"],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            request_sha256=sha256,
            **{self.items: data[self.items]},
        )
        return _ingest_response(result, self.serializer_class)


def _json_ingest_schema(request, output):
    return extend_schema_view(
        get=extend_schema(responses=output(many=True)),
        post=extend_schema(
            request=request,
            parameters=[IDEMPOTENCY_KEY],
            responses={201: output, 200: output},
            extensions=SIGNATURE_CHECKED,
        ),
    )


# --- reference data --------------------------------------------------------------------------


class VersionReferenceListApi(
    UploadApiMixin, VersionScopedMixin, PortalApiMixin, generics.GenericAPIView
):
    """A model version's reference datasets; POST uploads one (CSV or Parquet, multipart)."""

    queryset = ReferenceDataset.objects.none()  # for the schema; requests use the selectors

    required_actions = {"get": Action.MONITOR_VIEW, "post": Action.MONITOR_CONFIGURE}
    serializer_class = s.ReferenceOutputSerializer

    @extend_schema(responses=s.ReferenceOutputSerializer(many=True))
    def get(self, request, version_pk: int):
        return self.version_page(selectors.reference_list, s.ReferenceOutputSerializer)

    @extend_schema(
        request={"multipart/form-data": s.ReferenceUploadInputSerializer},
        responses={201: s.ReferenceOutputSerializer},
        extensions=SIGNATURE_CHECKED,
    )
    def post(self, request, version_pk: int):
        version = self.version()
        data = validated(s.ReferenceUploadInputSerializer, request.data)
        upload = data["file"]
        try:
            reference = references.reference_dataset_create(
                actor=request.user,
                model_version=version,
                upload_path=Path(upload.temporary_file_path()),
                filename=upload.name or "",
                name=data["name"],
            )
        finally:
            upload.close()
        reference = selectors.reference_get(user=request.user, pk=reference.pk)
        return Response(s.ReferenceOutputSerializer(reference).data, status=status.HTTP_201_CREATED)


class ReferenceDetailApi(PortalApiMixin, generics.GenericAPIView):
    """One reference dataset, with its profiling status and progress (poll this)."""

    queryset = ReferenceDataset.objects.none()  # for the schema; requests use the selectors

    required_actions = {"get": Action.MONITOR_VIEW}
    serializer_class = s.ReferenceOutputSerializer

    def get(self, request, pk: int):
        reference = selectors.reference_get(user=request.user, pk=pk)
        return Response(s.ReferenceOutputSerializer(reference).data)


# --- production batches ----------------------------------------------------------------------


@_json_ingest_schema(s.RecordsInputSerializer, s.BatchOutputSerializer)
class VersionBatchListApi(VersionJsonIngestApi):
    """A model version's production batches; POST sends one as JSON records."""

    queryset = InferenceBatch.objects.none()  # for the schema; requests use the selectors
    serializer_class = s.BatchOutputSerializer
    list_selector = staticmethod(selectors.batch_list)
    input_serializer = s.RecordsInputSerializer
    items = "records"
    ingest_records = staticmethod(batches.inference_batch_ingest_records)


@_file_ingest_schema(s.BatchOutputSerializer)
class VersionBatchUploadApi(VersionFileIngestApi):
    """POST a CSV or Parquet file of production rows (multipart field ``file``)."""

    queryset = InferenceBatch.objects.none()  # for the schema; requests use the selectors
    serializer_class = s.BatchOutputSerializer
    ingest_file = staticmethod(batches.inference_batch_ingest_file)


class BatchDetailApi(PortalApiMixin, generics.GenericAPIView):
    """One stored batch with its data-quality summary."""

    queryset = InferenceBatch.objects.none()  # for the schema; requests use the selectors

    required_actions = {"get": Action.MONITOR_VIEW}
    serializer_class = s.BatchOutputSerializer

    def get(self, request, pk: int):
        return Response(s.BatchOutputSerializer(selectors.batch_get(user=request.user, pk=pk)).data)


class VersionPredictionApi(VersionScopedMixin, PortalApiMixin, generics.GenericAPIView):
    """POST one prediction (as a serving app would); buffered and stored within a minute."""

    queryset = InferenceBatch.objects.none()  # for the schema; requests use the selectors

    parser_classes = [OrjsonBodyParser]
    required_actions = {"post": Action.DATA_INGEST}
    serializer_class = s.PredictionAcceptedSerializer

    @extend_schema(
        request=s.PredictionInputSerializer,
        responses={202: s.PredictionAcceptedSerializer},
        extensions=SIGNATURE_CHECKED,
    )
    def post(self, request, version_pk: int):
        version = self.version()
        value, _sha256 = _json_body(request)
        data = validated(s.PredictionInputSerializer, value)
        accepted = buffer.prediction_log(
            actor=request.user, model_version=version, record=dict(data)
        )
        return Response(
            s.PredictionAcceptedSerializer(accepted).data, status=status.HTTP_202_ACCEPTED
        )


# --- labels ----------------------------------------------------------------------------------


@_json_ingest_schema(s.LabelsInputSerializer, s.LabelBatchOutputSerializer)
class VersionLabelListApi(VersionJsonIngestApi):
    """Ground-truth label batches; POST ``{"labels": [{"prediction_id", "label"}]}``."""

    queryset = LabelBatch.objects.none()  # for the schema; requests use the selectors
    serializer_class = s.LabelBatchOutputSerializer
    list_selector = staticmethod(selectors.label_batch_list)
    input_serializer = s.LabelsInputSerializer
    items = "labels"
    ingest_records = staticmethod(batches.label_batch_ingest_records)


@_file_ingest_schema(s.LabelBatchOutputSerializer)
class VersionLabelUploadApi(VersionFileIngestApi):
    """POST a CSV or Parquet file with the columns ``prediction_id`` and ``label``."""

    queryset = LabelBatch.objects.none()  # for the schema; requests use the selectors
    serializer_class = s.LabelBatchOutputSerializer
    ingest_file = staticmethod(batches.label_batch_ingest_file)


# --- monitors, runs, backfills ---------------------------------------------------------------


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
    model_version = IdFilter(field_name="model_version_id")
    model = django_filters.CharFilter(field_name="model_version__model__name")
    enabled = TrueFalseFilter()

    class Meta:
        model = Monitor
        fields = []


@extend_schema_view(
    list=extend_schema(responses=s.MonitorOutputSerializer(many=True)),
    retrieve=extend_schema(responses=s.MonitorOutputSerializer),
    create=extend_schema(
        request=s.MonitorCreateInputSerializer, responses={201: s.MonitorOutputSerializer}
    ),
    partial_update=extend_schema(
        request=s.MonitorUpdateInputSerializer, responses=s.MonitorOutputSerializer
    ),
    destroy=extend_schema(responses={204: None}),
    run=extend_schema(request=None, responses={202: s.DriftRunOutputSerializer}),
    backfill=extend_schema(
        request=s.BackfillInputSerializer, responses={202: s.BackfillOutputSerializer}
    ),
)
class MonitorApi(
    PortalApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Drift monitors; their celery-beat schedule follows every change."""

    queryset = Monitor.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.MonitorOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = MonitorFilter
    search_fields = ["name", "description", "model_version__model__name"]
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
        return selectors.monitor_list(user=self.request.user)

    def _output(self, monitor: Monitor) -> dict:
        return s.MonitorOutputSerializer(
            selectors.monitor_get(user=self.request.user, pk=monitor.pk)
        ).data

    def create(self, request):
        data = validated(s.MonitorCreateInputSerializer, request.data)
        monitor = monitors.monitor_create(actor=request.user, **data)
        return Response(self._output(monitor), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        monitor = self.get_object()
        data = validated(s.MonitorUpdateInputSerializer, request.data)
        monitor = monitors.monitor_update(actor=request.user, monitor=monitor, **data)
        return Response(self._output(monitor))

    def destroy(self, request, pk=None):
        monitors.monitor_delete(actor=request.user, monitor=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        run = runs.drift_run_now(actor=request.user, monitor=self.get_object())
        run = selectors.drift_run_get(user=request.user, pk=run.pk)
        return Response(s.DriftRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["post"])
    def backfill(self, request, pk=None):
        monitor = self.get_object()
        data = validated(s.BackfillInputSerializer, request.data)
        backfill = runs.drift_backfill_request(
            actor=request.user, monitor=monitor, windows=data["windows"]
        )
        backfill = selectors.backfill_get(user=request.user, pk=backfill.pk)
        return Response(s.BackfillOutputSerializer(backfill).data, status=status.HTTP_202_ACCEPTED)


class DriftRunFilter(StrictFilterSet):
    monitor = IdFilter(field_name="monitor_id")
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)
    dataset_drift = TrueFalseFilter()
    since = UtcIsoDateTimeFilter(field_name="window_end", lookup_expr="gt")
    until = UtcIsoDateTimeFilter(field_name="window_start", lookup_expr="lt")

    class Meta:
        model = DriftRun
        fields = []


@extend_schema_view(
    list=extend_schema(responses=s.DriftRunOutputSerializer(many=True)),
    retrieve=extend_schema(responses=s.DriftRunOutputSerializer),
    features=extend_schema(responses=s.FeatureDriftOutputSerializer(many=True)),
)
class DriftRunApi(
    PortalApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Drift runs (one per monitor and window) with status, progress and the dataset verdict."""

    queryset = DriftRun.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.DriftRunOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = DriftRunFilter
    ordering_fields = ["window_end", "window_start", "finished_at"]
    required_actions = {
        "list": Action.MONITOR_VIEW,
        "retrieve": Action.MONITOR_VIEW,
        "features": Action.MONITOR_VIEW,
    }

    def get_queryset(self):
        return selectors.drift_run_list(user=self.request.user)

    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def features(self, request, pk=None):
        run = selectors.drift_run_get(user=request.user, pk=self.get_object().pk)
        return Response(s.FeatureDriftOutputSerializer(run.features.all(), many=True).data)


class BackfillFilter(StrictFilterSet):
    monitor = IdFilter(field_name="monitor_id")

    class Meta:
        model = Backfill
        fields = []


@extend_schema_view(
    list=extend_schema(responses=s.BackfillOutputSerializer(many=True)),
    retrieve=extend_schema(responses=s.BackfillOutputSerializer),
)
class BackfillApi(
    PortalApiMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Backfill requests and their progress."""

    queryset = Backfill.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = s.BackfillOutputSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_class = BackfillFilter
    ordering_fields = ["created_at", "finished_at"]
    required_actions = {"list": Action.MONITOR_VIEW, "retrieve": Action.MONITOR_VIEW}

    def get_queryset(self):
        return selectors.backfill_list(user=self.request.user)
