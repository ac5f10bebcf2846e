"""Prometheus text exposition of the portal's monitoring figures.

Everything is read from the database (so every web process reports the same numbers, and they
survive restarts): rows ingested per model version, drift runs by status and their durations,
the lag of jobs waiting for a worker; plus, best effort, the broker's queue length and the
single-prediction buffer's size.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.utils import timezone

from monitoring.ingest.models import InferenceBatch
from monitoring.ingest.services.buffer import buffered_bytes
from monitoring.models import DriftRun, JobStatus, Monitor, ReferenceDataset
from monitoring.selectors import with_latest_run
from notifications.metrics import exposition_lines as notification_exposition_lines

logger = logging.getLogger("monitoring")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
QUEUE = "celery"


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(value)}"' for key, value in labels.items()) + "}"


class Exposition:
    def __init__(self):
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, value, **labels) -> None:
        text = repr(value) if isinstance(value, float) else str(int(value or 0))
        self.lines.append(f"{name}{_labels(**labels)} {text}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _ingest(out: Exposition) -> None:
    per_version = (
        InferenceBatch.objects.values("model_version__model__name", "model_version__version")
        .annotate(rows=Sum("row_count"), skipped=Sum("skipped_rows"), batches=Count("pk"))
        .order_by("model_version__model__name", "model_version__version")
    )
    families = (
        ("mlops_portal_ingested_rows_total", "rows", "Production rows stored, per model version."),
        ("mlops_portal_skipped_rows_total", "skipped", "Bad rows skipped on request at ingest."),
        ("mlops_portal_ingested_batches_total", "batches", "Production batches stored."),
    )
    for name, key, help_text in families:
        out.family(name, "counter", help_text)
        for row in per_version:
            out.sample(
                name,
                row[key],
                model=row["model_version__model__name"],
                version=row["model_version__version"],
            )


def _runs(out: Exposition) -> None:
    counts = dict(DriftRun.objects.values_list("status").annotate(n=Count("pk")).order_by())
    out.family("mlops_portal_drift_runs", "gauge", "Drift runs by status.")
    for status in JobStatus.values:
        out.sample("mlops_portal_drift_runs", counts.get(status, 0), status=status)

    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    finished = DriftRun.objects.filter(
        status=JobStatus.SUCCEEDED, started_at__isnull=False, finished_at__isnull=False
    ).annotate(duration=duration)
    aggregates = {
        f"le_{index}": Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
        for index, bound in enumerate(DURATION_BUCKETS)
    }
    totals = finished.aggregate(count=Count("pk"), total=Sum("duration"), **aggregates)
    name = "mlops_portal_drift_run_duration_seconds"
    out.family(name, "histogram", "Duration of successful drift runs.")
    for index, bound in enumerate(DURATION_BUCKETS):
        out.sample(f"{name}_bucket", totals[f"le_{index}"], le=f"{bound:g}")
    out.sample(f"{name}_bucket", totals["count"], le="+Inf")
    total = totals["total"]
    out.sample(f"{name}_sum", float(total.total_seconds()) if total else 0.0)
    out.sample(f"{name}_count", totals["count"])


def _lag(out: Exposition) -> None:
    now = timezone.now()
    out.family(
        "mlops_portal_task_queue_lag_seconds",
        "gauge",
        "Age of the oldest job waiting for a worker (0 when none waits).",
    )
    waiting = {}
    for job, job_class in (("drift_run", DriftRun), ("reference_profile", ReferenceDataset)):
        row = job_class.objects.filter(status=JobStatus.PENDING).aggregate(
            oldest=Min("queued_at"), n=Count("pk")
        )
        lag = (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0
        out.sample("mlops_portal_task_queue_lag_seconds", max(lag, 0.0), job=job)
        waiting[job] = row["n"]
    out.family("mlops_portal_jobs_waiting", "gauge", "Jobs queued and not started yet.")
    for job, count in waiting.items():
        out.sample("mlops_portal_jobs_waiting", count, job=job)


def _monitors(out: Exposition) -> None:
    monitors = with_latest_run(Monitor.objects.select_related("model_version__model"))
    out.family(
        "mlops_portal_monitor_dataset_drift",
        "gauge",
        "1 when the monitor's latest run found dataset drift (absent before its first run).",
    )
    for monitor in monitors:
        if monitor.latest_dataset_drift is None:
            continue
        out.sample(
            "mlops_portal_monitor_dataset_drift",
            int(monitor.latest_dataset_drift),
            monitor=monitor.name,
            model=monitor.model_version.model.name,
            version=monitor.model_version.version,
        )


def broker_queue_length(queue: str = QUEUE) -> int:
    """Messages waiting in ``queue`` on the configured broker (0 when the queue does not exist
    yet). Raises when the broker cannot be reached."""
    from mlops_portal.celery import app

    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
        try:
            declared = connection.default_channel.queue_declare(queue=queue, passive=True)
        except connection.channel_errors:
            return 0  # never declared, or emptied and removed (Redis drops empty lists)
        return int(declared.message_count)


def _broker(out: Exposition) -> None:
    out.family("mlops_portal_broker_up", "gauge", "1 when the Celery broker answered.")
    try:
        length = broker_queue_length()
    except Exception as exc:  # a scrape must not fail because the broker is away
        logger.warning("metrics: broker unavailable: %s", exc)
        out.sample("mlops_portal_broker_up", 0)
        return
    out.sample("mlops_portal_broker_up", 1)
    out.family("mlops_portal_broker_queue_length", "gauge", "Messages waiting in the queue.")
    out.sample("mlops_portal_broker_queue_length", length, queue=QUEUE)


def exposition(*, include_broker: bool = True) -> str:
    out = Exposition()
    _ingest(out)
    _runs(out)
    _lag(out)
    _monitors(out)
    out.family(
        "mlops_portal_prediction_buffer_bytes", "gauge", "Single predictions not compacted yet."
    )
    out.sample("mlops_portal_prediction_buffer_bytes", buffered_bytes())
    out.lines += notification_exposition_lines()
    if include_broker:
        _broker(out)
    return out.text()
