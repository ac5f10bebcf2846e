"""Housekeeping of the data root: what killed processes leave behind is gone within minutes,
and nothing still in use is touched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from monitoring import tasks
from monitoring.ingest import storage
from monitoring.ingest.services import files

pytestmark = pytest.mark.django_db

KILLED_UPLOAD = """
import sys
import django
django.setup()
from monitoring.ingest.storage import DataRootUploadedFile
upload = DataRootUploadedFile("big.parquet", "application/octet-stream", 0, None)
upload.write(b"x" * (1 << 20))
upload.flush()
print(upload.temporary_file_path(), flush=True)
sys.stdin.read()  # held open until killed
"""


def age(path: Path, seconds: int) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def upload_of_a_killed_process() -> Path:
    """A web worker killed mid-upload (SIGKILL: no cleanup code runs)."""
    env = os.environ | {
        "PORTAL_DATA_ROOT": str(settings.DATA_ROOT),
        "DJANGO_SETTINGS_MODULE": "mlops_portal.settings",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_UPLOAD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd=settings.BASE_DIR,
        text=True,
    )
    try:
        path = Path(child.stdout.readline().strip())
        assert path.is_file() and storage._in_use(path)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    return path


def test_a_killed_uploads_file_is_removed_within_minutes_and_live_ones_are_kept():
    killed = upload_of_a_killed_process()
    age(killed, 3 * 60)
    live = storage.DataRootUploadedFile("live.csv", "text/csv", 0, None)
    live.write(b"x,c\n")
    live.flush()
    live_path = Path(live.temporary_file_path())
    age(live_path, 24 * 3600)  # a slow client: old, but its process still holds it
    fresh = storage.tmp_dir() / "fresh.upload"
    fresh.write_bytes(b"just made")  # not yet held by its maker: a grace period applies
    try:
        assert files.temporary_files_sweep() == 1
        assert not killed.exists()
        assert live_path.exists() and fresh.exists()
    finally:
        live.close()
        fresh.unlink()


def test_a_temporary_parquet_file_is_held_while_written(tmp_path, monkeypatch):
    seen = []

    def write_table(table, stream, **_kwargs):
        seen.append(storage._in_use(Path(stream.name)))
        stream.write(b"PAR1")

    monkeypatch.setattr(storage.pq, "write_table", write_table)
    storage.write_parquet(None, "batches/v1/2026/01/01/a.parquet")
    assert seen == [True]
    assert not [p for p in storage.tmp_dir().iterdir() if p.suffix == storage.TMP_SUFFIX]


def test_the_temporary_sweep_runs_every_two_minutes(tmp_path):
    entry = PeriodicTask.objects.get(name="monitoring: sweep temporary files")
    assert entry.task == tasks.files_sweep.name and entry.enabled
    assert entry.interval.every * {"seconds": 1, "minutes": 60}[entry.interval.period] <= 300
    kwargs = json.loads(entry.kwargs)
    assert kwargs == {"temporary_only": True}
    abandoned = storage.tmp_dir() / "abandoned.upload"
    abandoned.write_bytes(b"x")
    age(abandoned, 10 * 60)
    tasks.files_sweep.apply(kwargs=kwargs).get()
    assert not abandoned.exists()
