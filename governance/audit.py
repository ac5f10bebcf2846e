"""Tamper-evident audit trail: an append-only, hash-chained log of every change.

Services call :func:`record` inside the transaction of the change it describes, so a rolled-back
change leaves no event and a committed change always has one. Each event's hash covers a
canonical serialization of the event and the previous event's hash; :func:`verify` walks the
chain and names the first event that does not fit.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_KEY = 0x4D4C4F5053  # any constant shared by every writer of the chain


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only: update is refused.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only: delete is refused.")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only: update is refused.")

    def bulk_create(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are only written by governance.audit.record().")


class AuditEvent(models.Model):
    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.CharField(max_length=45, null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only: update is refused.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only: delete is refused.")

    def compute_hash(self) -> str:
        return event_hash(self)


def canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_payload(event: AuditEvent) -> bytes:
    """The exact bytes that are hashed: sorted keys, no whitespace, UTC microsecond time."""
    payload = {
        "sequence": event.sequence,
        "occurred_at": canonical_time(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "changes": event.changes,
        "request_id": event.request_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical_payload(event)).hexdigest()


# --- request context: who and from where, set by the middleware, read by record() -------------


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""


_NO_REQUEST = RequestContext()  # commands, tasks and tests run outside any request
_request_context: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "audit_request_context", default=None
)


def client_ip(request) -> str | None:
    if settings.PORTAL_TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) and remembers where it came from."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_context.set(
            RequestContext(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            _request_context.reset(token)
        response["X-Request-ID"] = request_id
        return response


# --- writing ---------------------------------------------------------------------------------


def _json_safe(changes: dict | None) -> dict:
    """Round-trip through JSON so the hashed value is exactly what the database returns."""
    return json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder, sort_keys=True))


def chain_lock() -> None:
    """Serialize appends (and checkpoints) so concurrent writers never fork the chain.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: transactions begin IMMEDIATE
    (settings), so the database write lock is already held.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])


def target_type_of(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def record(
    *,
    action: str,
    actor=None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    changes: dict | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it describes."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction of the change.")
    if target is not None:
        target_type = target_type or target_type_of(target)
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)
    context = _request_context.get() or _NO_REQUEST
    chain_lock()
    last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        sequence=sequence,
        occurred_at=timezone.now(),
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_label=str(target_label)[:255],
        changes=_json_safe(changes),
        request_id=context.request_id,
        ip=context.ip,
        user_agent=context.user_agent,
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    return event


def diff(before: dict, after: dict) -> dict:
    """``{"field": {"before": x, "after": y}}`` for the fields whose value changed."""
    changed = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changed[key] = {"before": before.get(key), "after": after.get(key)}
    return changed


def created(after: dict) -> dict:
    return {key: {"before": None, "after": value} for key, value in sorted(after.items())}


# --- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    intact: bool
    checked: int
    first_bad_sequence: int | None = None
    first_bad_id: int | None = None
    problem: str = ""


def verify(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the whole chain in order; stop at the first event whose hash or link is wrong."""
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    events = AuditEvent.objects.order_by("sequence").iterator(chunk_size=chunk_size)
    for event in events:
        problem = ""
        if event.sequence != expected_sequence:
            problem = f"sequence {event.sequence} where {expected_sequence} was expected"
        elif event.prev_hash != expected_prev:
            problem = "prev_hash does not match the hash of the event before it"
        elif event_hash(event) != event.hash:
            problem = "hash does not match the event's content (the event was altered)"
        if problem:
            return ChainReport(False, checked, event.sequence, event.pk, problem)
        checked += 1
        expected_prev = event.hash
        expected_sequence += 1
    return ChainReport(True, checked)


# --- authentication events -------------------------------------------------------------------


def _record_auth_event(
    action: str, *, actor=None, username: str = "", changes: dict | None = None
) -> None:
    with transaction.atomic():
        record(
            action=action,
            actor=actor,
            target_type="auth.user",
            target_id=str(actor.pk) if actor is not None else "",
            target_label=username or (actor.get_username() if actor is not None else ""),
            changes=changes,
        )


LOCKOUT_ACTION = "auth.login.locked_out"


def _record_lockout(username: str, ip: str | None, failures: int) -> None:
    """One event per lockout: requests already past the throttle when the limit was reached
    (concurrent guesses) find the event of the lockout they belong to, under the chain lock."""
    since = timezone.now() - (getattr(settings, "AXES_COOLOFF_TIME", None) or timedelta(0))
    with transaction.atomic():
        chain_lock()
        recorded = AuditEvent.objects.filter(action=LOCKOUT_ACTION, occurred_at__gte=since).filter(
            models.Q(target_label=username) | models.Q(changes__ip__after=ip)
        )
        if recorded.exists():
            return
        record(
            action=LOCKOUT_ACTION,
            target_type="auth.user",
            target_label=username,
            changes={
                "failures": {"before": None, "after": failures},
                "ip": {"before": None, "after": ip},
            },
        )


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    _record_auth_event("auth.login.succeeded", actor=user)


def on_user_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        _record_auth_event("auth.logout", actor=user)


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """One event per failed login until the login throttle (django-axes, whose receiver runs
    first) locks the username or the address out; then one event for the lockout, with the
    count of failures that caused it. Attempts refused during a lockout write nothing, so a
    guessing flood cannot grow the trail without bound."""
    username = str(credentials.get("username", ""))[:150]
    if request is not None and getattr(request, "axes_locked_out", False):
        failures = getattr(request, "axes_failures_since_start", None)
        if failures is None:
            return  # refused while locked out: the throttle counted it
        _record_lockout(username, getattr(request, "axes_ip_address", None), failures)
        return
    _record_auth_event("auth.login.failed", username=username)
