"""Governance reads: the audit log and its integrity (only for roles allowed to see them) and
tokens."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from governance import checkpoints
from governance.audit import AuditEvent
from governance.filters import AuditEventFilter
from governance.models import AuditVerification
from governance.roles import Action, require


def audit_event_list(*, user, filters=None) -> QuerySet[AuditEvent]:
    """Newest first, narrowed by :class:`~governance.filters.AuditEventFilter` (a bad value is
    a 400 naming its filter)."""
    require(user, Action.AUDIT_VIEW)
    return AuditEventFilter.apply(filters, AuditEvent.objects.order_by("-sequence"))


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
