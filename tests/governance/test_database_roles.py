"""Least privilege on PostgreSQL: the portal's own role may add and read audit events, nothing
more. Runs in the CI's PostgreSQL pass, where the portal is the app role and an owner role
migrated the schema (DATABASE_URL and MIGRATE_DATABASE_URL)."""

import pytest
from django.db import DatabaseError, connection, transaction

from governance import audit
from governance.audit import AuditEvent
from tests.governance.conftest import separate_owner


@pytest.fixture
def app_role(db):
    if separate_owner() is None:
        pytest.skip("needs PostgreSQL with an app role (DATABASE_URL) and an owner (MIGRATE_…)")
    with transaction.atomic():
        audit.record(action="test.event", target_type="test.thing", target_id="1")
    return connection.settings_dict["USER"]


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE governance_auditevent",
        "UPDATE governance_auditevent SET action = 'tampered'",
        "DELETE FROM governance_auditevent",
        "ALTER TABLE governance_auditevent DISABLE TRIGGER USER",
        "DROP TRIGGER governance_auditevent_append_only ON governance_auditevent",
        "DROP TABLE governance_auditevent",
    ],
)
def test_the_app_role_is_refused_changing_the_audit_table(app_role, statement):
    with (
        pytest.raises(DatabaseError, match=r"permission denied|must be (the )?owner"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="test.event").exists()
    assert audit.verify().intact


def test_the_app_role_adds_and_reads_events_and_owns_nothing(app_role):
    assert AuditEvent.objects.filter(action="test.event").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'governance_auditevent'")
        [owner] = cursor.fetchone()
        cursor.execute("SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user")
        superuser, createdb = cursor.fetchone()
    assert owner != app_role
    assert (superuser, createdb) == (False, False)
