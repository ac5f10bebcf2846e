"""Housekeeping of the data root: files that no row refers to, temporary files left behind."""

from __future__ import annotations

import time
from datetime import timedelta

from django.utils import timezone

from monitoring.ingest import storage
from monitoring.ingest.services.batches import LABELS, PRODUCTION

ORPHAN_AFTER_SECONDS = 3600


def orphan_files_sweep(*, days: int = 2, older_than_seconds: int = ORPHAN_AFTER_SECONDS) -> int:
    """Remove batch and label files that no row refers to (a process killed between the
    durable write and the commit). Paths are dated, so only the last ``days`` days are read."""
    root = storage.data_root()
    cutoff = time.time() - older_than_seconds
    removed = 0
    today = timezone.now()
    for kind in (PRODUCTION, LABELS):
        for back in range(days):
            day = today - timedelta(days=back)
            candidates = {}
            for path in root.glob(f"{kind.folder}/v*/{day:%Y/%m/%d}/*.parquet"):
                try:
                    if path.stat().st_mtime < cutoff:
                        candidates[str(path.relative_to(root))] = path
                except FileNotFoundError:
                    continue
            if not candidates:
                continue
            known = set(
                kind.batch_class.objects.filter(data_path__in=list(candidates)).values_list(
                    "data_path", flat=True
                )
            )
            for relative, path in candidates.items():
                if relative not in known:
                    path.unlink(missing_ok=True)
                    removed += 1
    return removed + storage.sweep_stray_temporary_files() + storage.sweep_temporary_files()


def temporary_files_sweep() -> int:
    """Remove the uploads and temporary files that killed processes left under
    ``DATA_ROOT/tmp`` (nobody holds them); files in use are kept. Cheap: one folder."""
    return storage.sweep_temporary_files()
