"""The Celery application: configured from Django settings (``CELERY_*``)."""

import os
from pathlib import Path

from celery import Celery, shared_task
from celery.contrib.django.task import DjangoTask
from celery.signals import worker_init
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mlops_portal.settings")

app = Celery("mlops_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_dirs() -> None:
    """The filesystem broker needs its folders before anyone sends or consumes."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for folder in settings.CELERY_BROKER_DIRS:
            Path(folder).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _prepare_worker(**_kwargs) -> None:
    ensure_broker_dirs()


def portal_task(
    name: str,
    *,
    soft_time_limit: int = 1800,
    max_retries: int = 3,
    hard_limit_margin: int = 60,
    retry_backoff_max: int = 300,
):
    """The one task decorator: a thin task that is safe to run twice, acknowledged late (a
    worker lost mid-task hands it back), with soft and hard time limits, and retried with
    backoff and jitter when the database is briefly unavailable."""
    return shared_task(
        name=str(name),
        base=DjangoTask,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
        soft_time_limit=soft_time_limit,
        time_limit=soft_time_limit + hard_limit_margin,
        autoretry_for=(OperationalError, InterfaceError),
        retry_backoff=True,
        retry_backoff_max=retry_backoff_max,
        retry_jitter=True,
        max_retries=max_retries,
    )
