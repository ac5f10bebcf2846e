"""A real Celery worker (solo pool) for the killed-worker delivery test. A claim normally goes
stale after ``CLAIM_TIMEOUT`` (3 minutes, longer than the task's hard time limit); with
``PORTAL_TEST_CLAIM_TIMEOUT_SECONDS`` set, this worker uses that many seconds instead so the test
does not wait minutes for a dead worker's claim to run out. Nothing else is changed."""

import os
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlops_portal.settings")
django.setup()

from mlops_portal.celery import app  # noqa: E402
from notifications.services import delivery  # noqa: E402

if claim_seconds := os.environ.get("PORTAL_TEST_CLAIM_TIMEOUT_SECONDS"):
    delivery.CLAIM_TIMEOUT = timedelta(seconds=float(claim_seconds))

app.worker_main(
    ["worker", "--pool", "solo", "--loglevel", "WARNING", "--without-mingle", "--without-gossip"]
)
