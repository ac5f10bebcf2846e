"""SQLite refuses UPDATE and DELETE on the audit table with triggers, as PostgreSQL already does;
PostgreSQL also refuses TRUNCATE. The owner of the table can still lift them (on PostgreSQL the
running portal should not be the owner: see MIGRATE_DATABASE_URL in docs/operations.md)."""

from django.db import migrations

TABLE = "governance_auditevent"

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: DELETE refused'); END""",
)
SQLITE_DROP = (f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")

# The row trigger (UPDATE, DELETE) and its function come from migration 0002; TRUNCATE fires no
# row trigger, so it gets a statement trigger of its own.
POSTGRES_TRIGGER = (
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()""",
)
POSTGRES_DROP = (f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",)


def _run(schema_editor, statements: dict) -> None:
    for statement in statements.get(schema_editor.connection.vendor, ()):
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGER})


def remove(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_roles_and_append_only_trigger")]

    operations = [migrations.RunPython(install, remove)]
