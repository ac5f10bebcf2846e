"""Celery tasks of the governance app: thin, idempotent, each calls one service.

Beat runs them from django-celery-beat entries made by a data migration: a checkpoint of the
audit chain every ten minutes (nothing is written when no event was added) and a verification
of the chain against every checkpoint every hour (admins are alerted when it breaks).
"""

from __future__ import annotations

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError

from governance import services


def governance_task(name: str, *, soft_time_limit: int):
    return shared_task(
        name=f"governance.{name}",
        base=DjangoTask,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
        soft_time_limit=soft_time_limit,
        time_limit=soft_time_limit + 60,
        autoretry_for=(OperationalError, InterfaceError),
        retry_backoff=True,
        retry_backoff_max=300,
        retry_jitter=True,
        max_retries=3,
    )


@governance_task("audit_checkpoint", soft_time_limit=300)
def audit_checkpoint() -> None:
    services.audit_checkpoint_create()


@governance_task("audit_verify", soft_time_limit=3600)
def audit_verify() -> None:
    services.audit_verification_run()
