"""SQLite refuses UPDATE and DELETE on the audit table with triggers, as PostgreSQL already does;
PostgreSQL also refuses TRUNCATE. The owner of the table can still lift them (on PostgreSQL the
running portal should not be the owner: see MIGRATE_DATABASE_URL in docs/operations.md)."""

from django.db import migrations

from governance import database


def install(apps, schema_editor):
    database.append_only_triggers_install(schema_editor.connection)


def remove(apps, schema_editor):
    database.append_only_triggers_remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_roles_and_append_only_trigger")]

    operations = [migrations.RunPython(install, remove)]
