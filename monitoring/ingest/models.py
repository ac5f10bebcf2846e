"""What ingest stores: one row per immutable Parquet file of production rows or of labels.

The rows are metadata; the data stays in the file under ``settings.DATA_ROOT`` that
``data_path`` names (relative to that root, see ``monitoring.ingest.storage``). They belong to
the monitoring app (``monitoring.models`` imports them), so their tables keep its label.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from monitoring.fields import person_field
from registry.models import ModelVersion, RegisteredModel


def _one_batch_per_idempotency_key(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["model_version", "idempotency_key"], condition=~Q(idempotency_key=""), name=name
    )


class BatchSource(models.TextChoices):
    JSON = "json", "JSON records"
    CSV = "csv", "CSV file"
    PARQUET = "parquet", "Parquet file"
    BUFFER = "buffer", "Compacted single predictions"


class IngestedBatch(models.Model):
    """What every ingested batch records: its file, what the file holds, who sent it, and the
    idempotency key that makes a client's retry return it instead of a copy."""

    idempotency_key = models.CharField(max_length=200, blank=True)
    request_sha256 = models.CharField(max_length=64, blank=True)
    data_path = models.CharField(max_length=500)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveBigIntegerField()
    skipped_rows = models.PositiveBigIntegerField(default=0)
    skip_reasons = models.JSONField(default=list, blank=True)
    created_by = person_field()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def ownership_root(self) -> RegisteredModel:
        return self.model_version.model


class InferenceBatch(IngestedBatch):
    """An immutable Parquet file of production rows, committed only after the file is durable."""

    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="inference_batches"
    )
    source = models.CharField(max_length=10, choices=BatchSource.choices)
    quality = models.JSONField(default=dict, blank=True)
    first_timestamp = models.DateTimeField()
    last_timestamp = models.DateTimeField()

    class Meta(IngestedBatch.Meta):
        constraints = [_one_batch_per_idempotency_key("one_batch_per_idempotency_key")]
        indexes = [models.Index(fields=["model_version", "first_timestamp", "last_timestamp"])]

    def __str__(self) -> str:
        return f"batch {self.pk} of {self.model_version} ({self.row_count} rows)"


class LabelBatch(IngestedBatch):
    """Ground-truth labels by prediction id, stored as an immutable Parquet file."""

    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="label_batches"
    )
    source = models.CharField(max_length=10, choices=BatchSource.choices[:3])

    class Meta(IngestedBatch.Meta):
        constraints = [_one_batch_per_idempotency_key("one_label_batch_per_idempotency_key")]

    def __str__(self) -> str:
        return f"labels {self.pk} of {self.model_version} ({self.row_count} rows)"
