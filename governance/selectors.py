"""Governance reads: the audit log (only for roles allowed to see it) and tokens."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from governance.audit import AuditEvent
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


def api_token_list(*, user) -> QuerySet[AuthToken]:
    """The user's tokens, newest first; ``expired`` marks those authentication now refuses."""
    expired = ExpressionWrapper(Q(expiry__lt=timezone.now()), output_field=BooleanField())
    return AuthToken.objects.filter(user=user).annotate(expired=expired).order_by("-created")
