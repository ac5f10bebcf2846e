"""Governance models. The audit trail lives in governance.audit (the bottom layer)."""

from django.db import models

from governance.audit import AuditEvent

__all__ = ["AuditEvent", "AuditVerification"]


class AuditVerification(models.Model):
    """One run of the chain check against its checkpoints (periodic task, command, page)."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule"
        COMMAND = "command"

    ran_at = models.DateTimeField(db_index=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    intact = models.BooleanField()
    code = models.CharField(max_length=40, blank=True)
    problem = models.TextField(blank=True)
    checked = models.PositiveBigIntegerField()
    head_sequence = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64, blank=True)
    checkpoints_checked = models.PositiveIntegerField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-ran_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M} {'intact' if self.intact else self.code}"
