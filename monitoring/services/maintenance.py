"""Housekeeping the periodic tasks do: requeue lost jobs, sweep files no row refers to."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from monitoring import storage
from monitoring.models import DriftRun, InferenceBatch, JobStatus, LabelBatch, ReferenceDataset
from monitoring.services._common import dispatch
from monitoring.services.references import PROFILE_STALE_AFTER
from monitoring.services.runs import RUN_STALE_AFTER

LOST_AFTER = timedelta(minutes=10)
ORPHAN_AFTER_SECONDS = 3600


def jobs_requeue_stale() -> int:
    """Queue again jobs whose message was lost (pending too long) or whose worker vanished
    (running past the time limit). The task claims them with the usual conditional update,
    which also fails a job that used up its attempts."""
    now = timezone.now()
    requeued = 0
    for model, task, stale_after in (
        (ReferenceDataset, "reference_profile_build", PROFILE_STALE_AFTER),
        (DriftRun, "drift_run_execute", RUN_STALE_AFTER),
    ):
        lost = model.objects.filter(status=JobStatus.PENDING, queued_at__lt=now - LOST_AFTER)
        lost_ids = list(lost.values_list("pk", flat=True)[:500])
        model.objects.filter(pk__in=lost_ids).update(queued_at=now)
        abandoned_ids = list(
            model.objects.filter(
                status=JobStatus.RUNNING, started_at__lt=now - stale_after
            ).values_list("pk", flat=True)[:500]
        )
        for pk in lost_ids + abandoned_ids:
            dispatch(task, pk)
            requeued += 1
    return requeued


def orphan_files_sweep(*, days: int = 2, older_than_seconds: int = ORPHAN_AFTER_SECONDS) -> int:
    """Remove batch and label files that no row refers to (a process killed between the
    durable write and the commit). Paths are dated, so only the last ``days`` days are read."""
    root = storage.data_root()
    cutoff = time.time() - older_than_seconds
    removed = 0
    today = timezone.now()
    for kind, model in (("batches", InferenceBatch), ("labels", LabelBatch)):
        for back in range(days):
            day = today - timedelta(days=back)
            candidates = {}
            for path in root.glob(f"{kind}/v*/{day:%Y/%m/%d}/*.parquet"):
                try:
                    if path.stat().st_mtime < cutoff:
                        candidates[str(path.relative_to(root))] = path
                except FileNotFoundError:
                    continue
            if not candidates:
                continue
            known = set(
                model.objects.filter(data_path__in=list(candidates)).values_list(
                    "data_path", flat=True
                )
            )
            for relative, path in candidates.items():
                if relative not in known:
                    path.unlink(missing_ok=True)
                    removed += 1
    return removed + storage.sweep_temporary_files()
