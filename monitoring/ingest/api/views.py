"""Ingest REST API: production batches, labels and single predictions, under the model version
they feed (``/versions/<id>/batches/`` ...).

JSON endpoints accept ``application/json`` only, upload ones ``multipart/form-data`` only,
streamed to the data root with the size limit applied while the bytes arrive. Production
batches are summarised against a quality baseline that the URL conf passes in
(``as_view(baseline_of=...)``): ingest does not know where references live.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.response import Response

from governance.roles import Action
from mlops_portal.api.base import PortalApi, validated
from monitoring.ingest import selectors, storage
from monitoring.ingest.api import serializers as s
from monitoring.ingest.api.parsers import JSONBody, OrjsonBodyParser, UploadParser
from monitoring.ingest.models import InferenceBatch
from monitoring.ingest.quality import BaselineLookup
from monitoring.ingest.services import batches, buffer
from monitoring.ingest.services.batch_store import IngestResult
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


def _ingest_response(result: IngestResult, serializer_class) -> Response:
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
        rows = selector(user=self.request.user, model_version=self.version())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializer_class(page, many=True).data)


class QualityBaselineMixin:
    """Production batches: the service measures each one against ``baseline_of(version)``."""

    baseline_of: BaselineLookup | None = None

    def ingest_arguments(self, version) -> dict:
        if self.baseline_of is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs as_view(baseline_of=...).")
        return {"baseline": self.baseline_of(version)}


class VersionIngestApi(VersionScopedMixin, PortalApi, generics.GenericAPIView):
    """Stores what is posted for the version under the URL as a batch of ``kind``."""

    kind = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.kind is not None:  # for the schema; requests use the selectors
            cls.queryset = cls.kind.batch_class.objects.none()

    def ingest_arguments(self, version) -> dict:
        """What else the service takes for this version (nothing, unless a mixin says)."""
        return {}


class VersionFileIngestApi(UploadApiMixin, VersionIngestApi):
    """POST a CSV or Parquet file (multipart field ``file``)."""

    required_actions = {"post": Action.DATA_INGEST}

    def post(self, request, version_pk: int):
        version = self.version()
        data = validated(s.FileUploadInputSerializer, request.data)
        upload = data["file"]
        with storage.uploaded_path(upload) as path:
            result = batches.batch_ingest_file(
                kind=self.kind,
                actor=request.user,
                model_version=version,
                path=path,
                filename=upload.name or "",
                skip_bad_rows=data["skip_bad_rows"],
                idempotency_key=request.headers.get("Idempotency-Key", ""),
                **self.ingest_arguments(version),
            )
        return _ingest_response(result, self.serializer_class)


def file_ingest_endpoint(output):
    """Documents a file ingest view and names the serializer of its answer."""

    def decorate(view_class):
        view_class.serializer_class = output
        return extend_schema_view(
            post=extend_schema(
                request={"multipart/form-data": s.FileUploadInputSerializer},
                parameters=[IDEMPOTENCY_KEY],
                responses={201: output, 200: output},
                extensions=SIGNATURE_CHECKED,
            )
        )(view_class)

    return decorate


class VersionJsonIngestApi(VersionIngestApi):
    """GET lists the version's batches (``list_selector``); POST sends one as JSON, its rows
    under the kind's ``rows_field`` (as ``input_serializer`` reads them)."""

    parser_classes = [OrjsonBodyParser]
    required_actions = {"get": Action.MONITOR_VIEW, "post": Action.DATA_INGEST}
    list_selector = None
    input_serializer = None

    def get(self, request, version_pk: int):
        return self.version_page(self.list_selector, self.serializer_class)

    def post(self, request, version_pk: int):
        version = self.version()
        value, sha256 = _json_body(request)
        data = validated(self.input_serializer, value)
        result = batches.batch_ingest_records(
            kind=self.kind,
            actor=request.user,
            model_version=version,
            rows=data[self.kind.rows_field],
            skip_bad_rows=data["skip_bad_rows"],
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            request_sha256=sha256,
            **self.ingest_arguments(version),
        )
        return _ingest_response(result, self.serializer_class)


def json_ingest_endpoint(request, output):
    """Documents a JSON ingest view and names the serializers of its input and its answer."""

    def decorate(view_class):
        view_class.input_serializer = request
        view_class.serializer_class = output
        return extend_schema_view(
            get=extend_schema(responses=output(many=True)),
            post=extend_schema(
                request=request,
                parameters=[IDEMPOTENCY_KEY],
                responses={201: output, 200: output},
                extensions=SIGNATURE_CHECKED,
            ),
        )(view_class)

    return decorate


# --- JSON: production batches and labels -----------------------------------------------------


@json_ingest_endpoint(s.RecordsInputSerializer, s.BatchOutputSerializer)
class VersionBatchListIngestApi(QualityBaselineMixin, VersionJsonIngestApi):
    """A model version's production batches; POST sends one as JSON records."""

    kind = batches.PRODUCTION
    list_selector = staticmethod(selectors.batch_list)


@json_ingest_endpoint(s.LabelsInputSerializer, s.LabelBatchOutputSerializer)
class VersionLabelListIngestApi(VersionJsonIngestApi):
    """Ground-truth label batches; POST ``{"labels": [{"prediction_id", "label"}]}``."""

    kind = batches.LABELS
    list_selector = staticmethod(selectors.label_batch_list)


# --- files: production batches and labels ----------------------------------------------------


@file_ingest_endpoint(s.BatchOutputSerializer)
class VersionBatchUploadApi(QualityBaselineMixin, VersionFileIngestApi):
    """POST a CSV or Parquet file of production rows (multipart field ``file``)."""

    kind = batches.PRODUCTION


@file_ingest_endpoint(s.LabelBatchOutputSerializer)
class VersionLabelUploadApi(VersionFileIngestApi):
    """POST a CSV or Parquet file with the columns ``prediction_id`` and ``label``."""

    kind = batches.LABELS


# --- one batch, one prediction ---------------------------------------------------------------


class BatchDetailApi(PortalApi, generics.GenericAPIView):
    """One stored batch with its data-quality summary."""

    queryset = InferenceBatch.objects.none()  # for the schema; requests use the selectors

    required_actions = {"get": Action.MONITOR_VIEW}
    serializer_class = s.BatchOutputSerializer

    def get(self, request, pk: int):
        return Response(s.BatchOutputSerializer(selectors.batch_get(user=request.user, pk=pk)).data)


class VersionPredictionApi(VersionScopedMixin, PortalApi, generics.GenericAPIView):
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
        accepted = buffer.prediction_buffer_append(
            actor=request.user, model_version=version, record=dict(data)
        )
        return Response(
            s.PredictionAcceptedSerializer(accepted).data, status=status.HTTP_202_ACCEPTED
        )
