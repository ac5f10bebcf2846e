"""The audit trail: one event per write with the right diff, append-only, verifiable chain."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from governance import audit
from governance.audit import AppendOnlyError, AuditEvent
from registry import services
from registry.models import RegisteredModel
from tests.conftest import requires_postgres
from tests.governance.conftest import owner_execute, tampering


def _events_since(sequence: int):
    return list(AuditEvent.objects.filter(sequence__gt=sequence).order_by("sequence"))


def _last_sequence() -> int:
    last = AuditEvent.objects.order_by("-sequence").first()
    return last.sequence if last else 0


@pytest.fixture
def owned_model(data_scientist):
    return services.model_create(actor=data_scientist, name="fraud-scorer", tags=["payments"])


def test_model_create_records_one_event_with_the_new_values(data_scientist):
    start = _last_sequence()
    model = services.model_create(
        actor=data_scientist, name="churn", risk_tier="high", tags=["b", "a"]
    )
    [event] = _events_since(start)
    assert event.action == "registry.model.created"
    assert event.actor_username == "dana"
    assert (event.target_type, event.target_id) == ("registry.registeredmodel", str(model.pk))
    assert event.changes["risk_tier"] == {"before": None, "after": "high"}
    assert event.changes["tags"] == {"before": None, "after": ["a", "b"]}


def test_model_update_records_only_the_changed_fields(data_scientist, owned_model):
    start = _last_sequence()
    services.model_update(actor=data_scientist, model=owned_model, description="now with docs")
    [event] = _events_since(start)
    assert event.action == "registry.model.updated"
    assert event.changes == {"description": {"before": "", "after": "now with docs"}}


def test_an_update_that_changes_nothing_records_nothing(data_scientist, owned_model):
    start = _last_sequence()
    services.model_update(actor=data_scientist, model=owned_model, description="")
    assert _events_since(start) == []


def test_version_create_and_stage_change_each_record_one_event(
    data_scientist, admin_user, owned_model
):
    start = _last_sequence()
    version = services.model_version_create(
        actor=data_scientist, model=owned_model, metrics={"auc": 0.9}
    )
    services.model_version_stage_set(actor=admin_user, version=version, stage="Staging")
    created, staged = _events_since(start)
    assert created.action == "registry.model_version.created"
    assert created.changes["metrics"]["after"] == {"auc": 0.9}
    assert staged.action == "registry.model_version.stage_changed"
    assert staged.actor_username == "root-admin"
    assert staged.changes["stage"] == {"before": "None", "after": "Staging"}


def test_promotion_with_archive_records_both_stage_changes(admin_user, data_scientist, owned_model):
    first = services.model_version_create(actor=data_scientist, model=owned_model)
    second = services.model_version_create(actor=data_scientist, model=owned_model)
    services.model_version_stage_set(actor=admin_user, version=first, stage="Production")
    start = _last_sequence()
    services.model_version_stage_set(
        actor=admin_user, version=second, stage="Production", archive_existing=True
    )
    archived, promoted = _events_since(start)
    assert (archived.target_id, archived.changes["stage"]["after"]) == (str(first.pk), "Archived")
    assert (promoted.target_id, promoted.changes["stage"]["after"]) == (
        str(second.pk),
        "Production",
    )


def test_dataset_create_records_its_lineage(data_scientist):
    raw = services.dataset_version_create(actor=data_scientist, name="raw", version="1")
    start = _last_sequence()
    services.dataset_version_create(
        actor=data_scientist, name="clean", version="1", derived_from=[raw]
    )
    [event] = _events_since(start)
    assert event.changes["derived_from"] == {"before": None, "after": [raw.pk]}


def test_a_failed_write_leaves_no_event(data_scientist, owned_model):
    start = _last_sequence()
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do; nothing may remain
        services.model_create(actor=data_scientist, name=owned_model.name)
    assert _events_since(start) == []


def test_a_rolled_back_transaction_takes_its_event_with_it(data_scientist):
    start = _last_sequence()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.model_create(actor=data_scientist, name="doomed")
        raise RuntimeError("caller fails after the service returned")
    assert _events_since(start) == []
    assert not RegisteredModel.objects.filter(name="doomed").exists()


def test_record_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit.record(action="test.outside")


def test_orm_update_and_delete_are_refused(owned_model):
    event = AuditEvent.objects.first()
    event.action = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_chain_links_every_event_to_the_one_before(data_scientist, owned_model):
    services.model_update(actor=data_scientist, model=owned_model, description="x")
    events = list(AuditEvent.objects.order_by("sequence"))
    assert events[0].prev_hash == audit.GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
        assert after.sequence == before.sequence + 1
    assert audit.verify().intact


def _tamper(sequence: int, sql_set: str, params) -> None:
    """A raw UPDATE, as someone holding the table owner's rights would do it (bypassing the ORM
    and lifting the append-only triggers)."""
    owner_execute(
        f"UPDATE governance_auditevent SET {sql_set} WHERE sequence = %s", [*params, sequence]
    )


@tampering
def test_verify_audit_names_the_first_altered_event(tamper_db, data_scientist, owned_model):
    for n in range(3):
        services.model_update(actor=data_scientist, model=owned_model, description=f"d{n}")
    target = AuditEvent.objects.order_by("sequence")[2]
    _tamper(target.sequence, "target_label = %s", ["innocent-looking"])

    report = audit.verify()
    assert not report.intact
    assert report.first_bad_sequence == target.sequence
    with pytest.raises(CommandError, match=f"event_altered.*#{target.sequence}") as error:
        call_command("verify_audit")
    assert error.value.returncode == 1


@tampering
def test_verify_audit_detects_a_rewritten_hash_by_the_broken_link(
    tamper_db, data_scientist, owned_model
):
    services.model_update(actor=data_scientist, model=owned_model, description="d")
    first, second = AuditEvent.objects.order_by("sequence")[:2]
    # Recompute the altered event's own hash: the next event's link still gives it away.
    first.target_label = "forged"
    _tamper(first.sequence, "target_label = %s, hash = %s", ["forged", first.compute_hash()])
    report = audit.verify()
    assert (report.intact, report.first_bad_sequence) == (False, second.sequence)


def test_verify_audit_exits_zero_on_an_intact_chain(owned_model, capsys):
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out


def test_logins_and_failed_logins_are_audited(client, make_user):
    make_user("viewer", username="vera")
    start = _last_sequence()
    client.post("/accounts/login/", {"username": "vera", "password": "wrong"})
    client.post("/accounts/login/", {"username": "vera", "password": "pw-for-tests"})
    client.post("/accounts/logout/")
    actions = [(e.action, e.target_label) for e in _events_since(start)]
    assert actions == [
        ("auth.login.failed", "vera"),
        ("auth.login.succeeded", "vera"),
        ("auth.logout", "vera"),
    ]


def test_events_carry_request_id_ip_and_user_agent(api_as, data_scientist):
    start = _last_sequence()
    response = api_as(data_scientist).post(
        "/api/v1/models/",
        {"name": "via-api"},
        format="json",
        HTTP_USER_AGENT="pytest-agent",
        HTTP_X_REQUEST_ID="req-123",
    )
    assert response.status_code == 201
    [event] = _events_since(start)
    assert (event.request_id, event.ip, event.user_agent) == (
        "req-123",
        "127.0.0.1",
        "pytest-agent",
    )
    assert response["X-Request-ID"] == "req-123"


@pytest.mark.parametrize(
    "statement",
    ["UPDATE governance_auditevent SET action = 'x'", "DELETE FROM governance_auditevent"],
)
def test_the_database_refuses_raw_update_and_delete(owned_model, statement):
    """SQLite and PostgreSQL alike, whoever the database user is, while the triggers stand."""
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert audit.verify().intact


@requires_postgres
def test_postgres_refuses_truncate_even_for_the_owner(owned_model):
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE governance_auditevent")
    assert audit.verify().intact
