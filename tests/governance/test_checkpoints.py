"""Checkpoints anchor the audit chain outside the database: deleting its tail, truncating it,
appending forged events where checkpointed ones were, rewriting it whole with the project's own
hash function, and tampering with the checkpoint log are each detected and named."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction

from governance import audit, checkpoints, services, tasks
from governance.audit import AuditEvent
from governance.models import AuditVerification
from tests.governance.conftest import owner_cursor, owner_execute, tampering

pytestmark = tampering


def _events(count: int, action: str = "test.event") -> None:
    for n in range(count):
        with transaction.atomic():
            audit.record(action=action, target_type="test.thing", target_id=str(n))


def _checkpoint() -> dict:
    entry = services.audit_checkpoint_create()
    assert entry is not None
    return entry


def _head() -> int:
    return AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def _problems() -> list[str]:
    return [problem.code for problem in checkpoints.verify().problems]


def _verify_audit_fails_with(code: str) -> str:
    with pytest.raises(CommandError, match=f"Audit chain broken \\({code}\\)") as error:
        call_command("verify_audit")
    assert error.value.returncode == 1
    return str(error.value)


def _log_lines() -> list[str]:
    return checkpoints.log_path().read_text().splitlines()


def _log_write(lines: list[str]) -> None:
    checkpoints.log_path().write_text("".join(f"{line}\n" for line in lines))


@pytest.fixture
def anchored(tamper_db):
    """25 events, then a checkpoint of them (its own event is #26)."""
    _events(25)
    return _checkpoint()


# --- writing checkpoints ---------------------------------------------------------------------


def test_a_checkpoint_is_a_signed_line_outside_the_database_and_an_event(db, settings, capsys):
    _events(3)
    call_command("audit_checkpoint")
    assert "Checkpoint #1: event #3" in capsys.readouterr().out
    [line] = _log_lines()
    entry = json.loads(line)
    head = AuditEvent.objects.get(sequence=3)
    assert (entry["checkpoint"], entry["sequence"], entry["head_hash"]) == (1, 3, head.hash)
    assert entry["mac"] == checkpoints.mac(entry, settings.PORTAL_AUDIT_KEY.encode())
    assert str(checkpoints.log_path()).startswith(str(settings.DATA_ROOT))
    event = AuditEvent.objects.get(sequence=4)
    assert (event.action, event.target_id) == (checkpoints.CHECKPOINT_ACTION, "1")
    assert checkpoints.verify().intact


def test_no_new_event_no_new_checkpoint(db, capsys):
    _events(2)
    _checkpoint()
    call_command("audit_checkpoint")
    assert "nothing written" in capsys.readouterr().out
    assert len(_log_lines()) == 1


def test_the_log_location_is_configurable(db, settings, tmp_path):
    settings.PORTAL_AUDIT_CHECKPOINT_LOG = str(tmp_path / "worm" / "audit.jsonl")
    _events(1)
    _checkpoint()
    assert (tmp_path / "worm" / "audit.jsonl").read_text().count("\n") == 1


def test_checkpoint_lines_are_also_logged_for_shipping(db, caplog):
    _events(1)
    with caplog.at_level("INFO", logger="portal.audit.checkpoint"):
        entry = _checkpoint()
    assert entry["mac"] in caplog.text


def test_checkpoint_numbers_are_never_reused(tamper_db):
    _events(2)
    _checkpoint()
    _events(2)
    _checkpoint()
    _log_write(_log_lines()[:1])  # someone cuts the log back to its first line
    _events(1)
    assert _checkpoint()["checkpoint"] == 3


def test_the_periodic_task_writes_a_checkpoint(db):
    _events(2)
    tasks.audit_checkpoint()
    assert len(_log_lines()) == 1


# --- the chain against its checkpoints -------------------------------------------------------


def test_deleting_the_last_event_is_named(anchored):
    owner_execute("DELETE FROM governance_auditevent WHERE sequence = %s", [_head()])
    assert audit.verify().intact  # what the chain alone says
    assert "tail_deleted" in _verify_audit_fails_with("tail_deleted")


def test_deleting_the_last_20_events_is_named(anchored):
    owner_execute("DELETE FROM governance_auditevent WHERE sequence > %s", [_head() - 20])
    message = _verify_audit_fails_with("tail_deleted")
    assert "events #7–#25" in message


def test_deleting_every_event_is_named(anchored):
    owner_execute("DELETE FROM governance_auditevent")
    assert audit.verify().intact
    _verify_audit_fails_with("table_truncated")


def test_a_forged_event_appended_where_a_checkpointed_one_was_is_named(anchored):
    owner_execute("DELETE FROM governance_auditevent WHERE sequence >= 25")
    _events(2, action="forged.approval")  # correct hashes, linked to event #24
    assert audit.verify().intact
    message = _verify_audit_fails_with("forged_append")
    assert "Event #25" in message


def test_a_backdated_event_appended_after_the_last_checkpoint_is_named(anchored):
    _events(1, action="forged.approval")
    forged = AuditEvent.objects.get(sequence=_head())
    forged.occurred_at -= timedelta(hours=2)
    forged.prev_hash = AuditEvent.objects.get(sequence=forged.sequence - 1).hash
    owner_execute(
        "UPDATE governance_auditevent SET occurred_at = %s, hash = %s WHERE sequence = %s",
        [forged.occurred_at, audit.event_hash(forged), forged.sequence],
    )
    assert audit.verify().intact
    assert "backdated" in _verify_audit_fails_with("forged_append")


def test_a_chain_rewritten_with_the_projects_own_hash_function_is_named(anchored):
    rewritten, prev = [], audit.GENESIS_HASH
    for event in AuditEvent.objects.order_by("sequence"):
        if event.sequence == 3:
            event.target_label = "an innocent-looking change"
        event.prev_hash = prev
        event.hash = prev = audit.event_hash(event)
        rewritten.append(event)
    with owner_cursor() as cursor:
        for event in rewritten:
            cursor.execute(
                "UPDATE governance_auditevent SET target_label = %s, prev_hash = %s, hash = %s "
                "WHERE sequence = %s",
                [event.target_label, event.prev_hash, event.hash, event.sequence],
            )
    assert audit.verify().intact
    assert "rewritten" in _verify_audit_fails_with("chain_rewritten")


# --- the checkpoint log itself ---------------------------------------------------------------


@pytest.fixture
def three_checkpoints(tamper_db):
    for _ in range(3):
        _events(2)
        _checkpoint()
    return _log_lines()


def test_a_checkpoint_removed_from_the_middle_of_the_log_is_named(three_checkpoints):
    first, _second, third = three_checkpoints
    _log_write([first, third])
    assert "#2 is missing" in _verify_audit_fails_with("checkpoint_missing")


def test_a_log_cut_after_its_last_checkpoint_is_named(three_checkpoints):
    _log_write(three_checkpoints[:2])
    assert "recorded in the chain" in _verify_audit_fails_with("checkpoint_missing")


def test_reordered_checkpoints_are_named(three_checkpoints):
    first, second, third = three_checkpoints
    _log_write([first, third, second])
    _verify_audit_fails_with("checkpoint_reordered")


def test_a_forged_checkpoint_is_named(three_checkpoints):
    entry = json.loads(three_checkpoints[1])
    entry["head_hash"] = "f" * 64
    _log_write([three_checkpoints[0], json.dumps(entry), three_checkpoints[2]])
    assert "#2" in _verify_audit_fails_with("checkpoint_forged")


def test_a_checkpoint_signed_with_another_key_is_forged(three_checkpoints):
    entry = json.loads(three_checkpoints[2])
    entry["checkpoint"] = 4
    entry["key_id"] = checkpoints.key_id(b"a key the attacker chose")
    entry["mac"] = checkpoints.mac(entry, b"a key the attacker chose")
    _log_write([*three_checkpoints, json.dumps(entry)])
    _verify_audit_fails_with("checkpoint_forged")


def test_an_old_key_still_verifies_its_lines(three_checkpoints, settings):
    old = settings.PORTAL_AUDIT_KEY
    settings.PORTAL_AUDIT_KEY = "a-new-key-after-rotation-0123456789abcdef"
    assert "checkpoint_forged" in _problems()
    settings.PORTAL_AUDIT_OLD_KEYS = [old]
    assert checkpoints.verify().intact


def test_a_deleted_checkpoint_log_is_named(three_checkpoints):
    checkpoints.log_path().unlink()
    _verify_audit_fails_with("checkpoint_log_missing")


# --- verification runs: the page, the API, the periodic task ---------------------------------


def test_verify_audit_reports_the_head_and_the_last_checkpoint(anchored, capsys):
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "Audit chain intact: 26 events, head #26" in out
    assert f"last: checkpoint #1 at event #25 ({anchored['at']})" in out
    assert AuditVerification.objects.get().trigger == "command"


def test_the_verify_page_shows_head_last_checkpoint_and_last_run(client, approver, anchored):
    tasks.audit_verify()
    client.force_login(approver)
    page = client.get("/audit/verify/").content.decode()
    head = AuditEvent.objects.order_by("-sequence").first()
    assert head.hash in page
    assert f'#1: event #25 <code class="hash">{anchored["head_hash"]}</code>' in page
    assert "Verification last ran" in page
    assert "(schedule): intact" in page


def test_the_verify_page_names_each_problem(client, approver, anchored):
    owner_execute("DELETE FROM governance_auditevent WHERE sequence > 20")
    client.force_login(approver)
    page = client.get("/audit/verify/").content.decode()
    assert "<code>tail_deleted</code>" in page


def test_the_api_reports_the_check_with_checkpoints(api_as, approver, anchored):
    body = api_as(approver).get("/api/v1/audit/events/verify/").json()
    assert body["intact"] is True
    assert body["last_checkpoint"]["checkpoint"] == 1
    assert body["head_sequence"] == 26
    assert body["last_verification"] is None
    owner_execute("DELETE FROM governance_auditevent WHERE sequence > 20")
    body = api_as(approver).get("/api/v1/audit/events/verify/").json()
    assert (body["intact"], body["code"]) == (False, "tail_deleted")
    assert body["problems"][0]["code"] == "tail_deleted"


def test_a_broken_chain_alerts_the_admins_once(
    anchored, make_user, settings, caplog, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    make_user("admin", username="alice", email="alice@example.com")
    make_user("viewer", username="vic2", email="vic@example.com")
    tasks.audit_verify()
    assert mail.outbox == []
    owner_execute("DELETE FROM governance_auditevent WHERE sequence > 20")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.audit_verify()
    assert sorted(to for message in mail.outbox for to in message.to) == [
        "alice@example.com",
        "ops@example.com",
    ]
    assert "tail_deleted" in mail.outbox[0].subject
    assert "Audit chain check failed (tail_deleted)" in caplog.text
    with django_capture_on_commit_callbacks(execute=True):
        tasks.audit_verify()  # still broken the same way: no new alert
    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action="governance.audit.verification_failed").count() == 1
    assert [run.intact for run in AuditVerification.objects.order_by("pk")] == [True, False, False]
