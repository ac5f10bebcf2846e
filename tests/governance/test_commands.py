"""Management commands an operator relies on."""

import pytest
from django.core.management import CommandError, call_command
from knox.models import AuthToken

from governance.audit import AuditEvent
from registry.models import ModelVersion, RegisteredModel


def test_create_portal_user_with_roles_and_a_token(db, capsys):
    call_command("create_portal_user", "ops", "--role", "approver", "--role", "viewer", "--token")
    out = capsys.readouterr().out
    assert "Created ops with roles approver, viewer" in out
    token = out.strip().splitlines()[-1].split(": ")[1]
    stored = AuthToken.objects.get(user__username="ops")
    assert token.startswith(stored.token_key)
    assert AuditEvent.objects.filter(action="governance.user.created", target_label="ops").exists()


def test_create_portal_user_refuses_a_duplicate(db):
    call_command("create_portal_user", "ops", "--role", "viewer")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_portal_user", "ops", "--role", "viewer")


def test_seed_demo_is_idempotent(db, capsys):
    call_command("seed_demo")
    counts = (RegisteredModel.objects.count(), ModelVersion.objects.count())
    events = AuditEvent.objects.count()
    call_command("seed_demo")
    assert (RegisteredModel.objects.count(), ModelVersion.objects.count()) == counts
    assert AuditEvent.objects.count() == events
    assert "nothing added" in capsys.readouterr().out
    assert ModelVersion.objects.filter(stage="Production").count() == counts[0]
