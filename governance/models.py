"""Governance models. The audit trail lives in governance.audit (the bottom layer)."""

from governance.audit import AuditEvent

__all__ = ["AuditEvent"]
