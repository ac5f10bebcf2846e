"""The audit trail's integrity: checkpoints outside the database, verification runs, and the
alert when the chain is found broken."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import mail_admins, send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance import audit, checkpoints
from governance.audit import AuditEvent
from governance.models import AuditVerification
from governance.roles import Role

logger = logging.getLogger(__name__)

VERIFICATION_FAILED_ACTION = "governance.audit.verification_failed"


def audit_checkpoint_create(*, actor=None) -> dict | None:
    """Anchor the chain's head outside the database: one signed line appended to the
    checkpoint log (flushed to disk) and an event in the chain naming it, under the chain lock,
    so no event is half-written meanwhile. Nothing is written when no event was added since the
    last checkpoint. Checkpoint numbers are never reused (the next is one past the highest in
    the log or in the chain)."""
    with transaction.atomic():
        audit.chain_lock()
        head = AuditEvent.objects.order_by("-sequence").values("sequence", "hash", "action").first()
        if head is None or head["action"] == checkpoints.CHECKPOINT_ACTION:
            return None
        log = checkpoints.log_read()
        last = log.last
        if last is not None and last.sequence == head["sequence"]:
            return None
        number = 1 + max(
            [entry.checkpoint for entry in log.entries]
            + checkpoints.checkpoint_numbers_recorded()
            + [0]
        )
        entry = checkpoints.entry_make(
            number=number,
            sequence=head["sequence"],
            head_hash=head["hash"],
            at=timezone.now(),
            prev_mac=last.mac if last else checkpoints.NO_MAC,
        )
        audit.record(
            action=checkpoints.CHECKPOINT_ACTION,
            actor=actor,
            target_type=checkpoints.CHECKPOINT_TARGET_TYPE,
            target_id=str(number),
            target_label=f"checkpoint #{number} at event #{head['sequence']}",
            changes=audit.created(
                {
                    "checkpoint": number,
                    "sequence": head["sequence"],
                    "head_hash": head["hash"],
                    "mac": entry["mac"],
                }
            ),
        )
        # Last, once everything else has succeeded: the line is on disk before the event
        # commits, so an event naming a checkpoint proves the log held it.
        checkpoints.log_append(entry)
    return entry


def audit_verification_run(
    *, trigger: str = AuditVerification.Trigger.SCHEDULE
) -> tuple[AuditVerification, checkpoints.IntegrityReport]:
    """Check the chain against every checkpoint and keep the result. The first run that finds
    the chain broken (or broken in a new way) records an event and alerts the admins."""
    report = checkpoints.verify()
    previous = AuditVerification.objects.order_by("-ran_at", "-pk").first()
    summary = report.summary()
    with transaction.atomic():
        run = AuditVerification(
            ran_at=timezone.now(),
            trigger=trigger,
            intact=report.intact,
            code=report.code,
            problem=report.problem,
            checked=report.checked,
            head_sequence=report.head_sequence,
            head_hash=report.head_hash,
            checkpoints_checked=report.checkpoints_checked,
            details={"problems": summary["problems"]},
        )
        run.full_clean()
        run.save()
        newly_broken = not report.intact and (
            previous is None or previous.intact or previous.code != report.code
        )
        if newly_broken:
            audit.record(
                action=VERIFICATION_FAILED_ACTION,
                target_type="governance.auditverification",
                target_id=str(run.pk),
                target_label=f"audit chain check: {report.code}",
                changes=audit.created({"code": report.code, "problem": report.problem}),
            )
            transaction.on_commit(lambda: audit_integrity_alert_send(report=report))
    if not report.intact:
        logger.error("Audit chain check failed (%s): %s", report.code, report.problem)
    return run, report


def audit_integrity_alert_send(*, report: checkpoints.IntegrityReport) -> None:
    """Tell the admins the audit trail is broken: the error log, the site admins (ADMINS) and
    every active user with the admin role who has an email address. The one place a
    notification service will take over."""
    subject = f"Audit trail check failed: {report.code}"
    lines = [f"- [{p.code}] {p.message}" for p in report.problems]
    body = (
        "The audit trail of the MLOps Portal no longer matches itself or its checkpoints:\n\n"
        + "\n".join(lines)
        + f"\n\nHead of the chain: event #{report.head_sequence} {report.head_hash}\n"
        "Run `manage.py verify_audit` for the full report, and compare the checkpoint log with "
        "its copies outside this server."
    )
    logger.error("%s\n%s", subject, body)
    recipients = sorted(
        set(
            get_user_model()
            .objects.filter(Q(groups__name=Role.ADMIN.value) | Q(is_superuser=True), is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    try:
        mail_admins(subject, body)
        if recipients:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:
        logger.exception("The audit alert could not be emailed.")
