"""Governance reads: the audit log and its integrity (only for roles allowed to see them) and
tokens."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from governance import checkpoints
from governance.audit import AuditEvent
from governance.models import AuditVerification
from governance.roles import Action, require


def audit_event_list(*, user, filters: dict | None = None) -> QuerySet[AuditEvent]:
    require(user, Action.AUDIT_VIEW)
    events = AuditEvent.objects.all().order_by("-sequence")
    filters = filters or {}
    if filters.get("action"):
        events = events.filter(action__startswith=filters["action"])
    if filters.get("actor"):
        events = events.filter(actor_username=filters["actor"])
    if filters.get("target_type"):
        events = events.filter(target_type=filters["target_type"])
    if filters.get("target_id"):
        events = events.filter(target_id=str(filters["target_id"]))
    if filters.get("since"):
        events = events.filter(occurred_at__gte=filters["since"])
    if filters.get("until"):
        events = events.filter(occurred_at__lt=filters["until"])
    return events


def object_history(*, user, target_type: str, target_id) -> QuerySet[AuditEvent]:
    return audit_event_list(user=user, filters={"target_type": target_type, "target_id": target_id})


def audit_integrity_report(*, user) -> checkpoints.IntegrityReport:
    """The chain checked now, against every checkpoint (a full walk of the table)."""
    require(user, Action.AUDIT_VIEW)
    return checkpoints.verify()


def audit_verification_latest(*, user) -> AuditVerification | None:
    """The last recorded run (the periodic task or ``verify_audit``)."""
    require(user, Action.AUDIT_VIEW)
    return AuditVerification.objects.order_by("-ran_at", "-pk").first()


def api_token_list(*, user) -> QuerySet[AuthToken]:
    """The user's tokens, newest first; ``expired`` marks those authentication now refuses."""
    expired = ExpressionWrapper(Q(expiry__lt=timezone.now()), output_field=BooleanField())
    return AuthToken.objects.filter(user=user).annotate(expired=expired).order_by("-created")
