"""Celery tasks of the governance app: thin, idempotent, each calls one service.

Beat runs them from django-celery-beat entries made by a data migration: a checkpoint of the
audit chain every ten minutes (nothing is written when no event was added) and a verification
of the chain against every checkpoint every hour (admins are alerted when it breaks).
"""

from __future__ import annotations

from governance import services
from mlops_portal.celery import portal_task


@portal_task("governance.audit_checkpoint", soft_time_limit=300)
def audit_checkpoint() -> None:
    services.audit_checkpoint_create()


@portal_task("governance.audit_verify", soft_time_limit=3600)
def audit_verify() -> None:
    services.audit_verification_run()
