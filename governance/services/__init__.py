"""Governance writes. Accounts (API tokens, users) and the audit trail's integrity
(checkpoints, verification runs, the alert when the chain is broken)."""

from governance.services.accounts import api_token_create, api_token_revoke, portal_user_create
from governance.services.audit_integrity import (
    audit_checkpoint_create,
    audit_integrity_alert_send,
    audit_verification_run,
)

__all__ = [
    "api_token_create",
    "api_token_revoke",
    "audit_checkpoint_create",
    "audit_integrity_alert_send",
    "audit_verification_run",
    "portal_user_create",
]
