"""A real Celery worker (solo pool: the task runs in this very process) for the killed-worker
test. With ``PORTAL_TEST_HOLD_DIR`` set, each drift run it computes reports progress, marks
``held-<run id>`` in that folder and waits there for a ``release`` file that the test never
writes: the test kills this process with SIGKILL while the run is held mid-task."""

import os
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlops_portal.settings")
django.setup()

from mlops_portal.celery import app  # noqa: E402
from monitoring.services import run_execution  # noqa: E402

HOLD_DIR = os.environ.get("PORTAL_TEST_HOLD_DIR")

if HOLD_DIR:
    compute = run_execution._compute

    def held(run):
        run_execution.job_progress(run, 20, "held by the test")
        Path(HOLD_DIR, f"held-{run.pk}").touch()
        while not Path(HOLD_DIR, "release").exists():  # a condition, not a timing
            time.sleep(0.05)
        compute(run)

    run_execution._compute = held

app.worker_main(
    ["worker", "--pool", "solo", "--loglevel", "WARNING", "--without-mingle", "--without-gossip"]
)
