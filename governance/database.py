"""What the ORM cannot say about the audit table, each in one named function.

- Append-only triggers: SQLite and PostgreSQL refuse ``UPDATE`` and ``DELETE`` on the table (and
  PostgreSQL ``TRUNCATE``) for every database user, the owner included.
- Least privilege on PostgreSQL: the schema owner (``MIGRATE_DATABASE_URL``) runs migrations and
  grants the app role (``DATABASE_URL``) ``INSERT`` and ``SELECT`` only on the audit table, so the
  running portal can neither change, remove, truncate nor un-trigger its events.
- Commands that change the schema or empty every table (``migrate``, ``flush``) run as the owner.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

AUDIT_TABLE = "governance_auditevent"


def _audit_table_exists(connection) -> bool:
    with connection.cursor() as cursor:
        return AUDIT_TABLE in connection.introspection.table_names(cursor)


@contextmanager
def append_only_triggers_lifted(connection):
    """For ``flush`` only (it empties every table, as test isolation does): the triggers are
    lifted for the statement and put back whatever happens. Only the owner of the table (on
    SQLite: whoever may write the file) can do this; the app role cannot."""
    if not _audit_table_exists(connection):
        yield
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {AUDIT_TABLE} ENABLE TRIGGER USER")
        return
    # SQLite cannot disable a trigger: drop the table's triggers and re-create them from the
    # definitions the migrations stored (sqlite_master keeps each one's CREATE statement).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [AUDIT_TABLE],
        )
        triggers = cursor.fetchall()
        for name, _definition in triggers:
            cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, definition in triggers:
                cursor.execute(definition)


def schema_owner_settings() -> dict | None:
    """The migration role's connection settings (``MIGRATE_DATABASE_URL``), when it differs
    from the app role's."""
    owner = getattr(settings, "MIGRATE_DATABASE", None)
    if not owner or owner.get("USER") == settings.DATABASES[DEFAULT_DB_ALIAS].get("USER"):
        return None
    return owner


_CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


@contextmanager
def as_schema_owner(alias: str = DEFAULT_DB_ALIAS):
    """Run the block with the default connection logged in as the schema owner (same database
    name, so the test database too), then back as the app role. A no-op without a separate
    owner role."""
    owner = schema_owner_settings()
    connection = connections[alias]
    if owner is None or alias != DEFAULT_DB_ALIAS or connection.vendor != "postgresql":
        yield connection
        return
    if connection.in_atomic_block:
        raise RuntimeError("Cannot switch to the schema owner inside a transaction.")
    saved = {key: connection.settings_dict.get(key) for key in _CREDENTIALS}
    connection.close()
    connection.settings_dict.update({key: owner.get(key) for key in _CREDENTIALS})
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def app_role_default_privileges(connection, app_role: str) -> None:
    """Before migrating: every table and sequence the owner creates from now on is usable by
    the app role (plain data access, no DDL), so migrations' data steps work either way."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE "
            f"ON TABLES TO {quote(app_role)}"
        )
        cursor.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE "
            f"ON SEQUENCES TO {quote(app_role)}"
        )


def app_role_privileges_grant(connection, app_role: str) -> None:
    """After migrating: the app role reads and writes every table except the audit trail, where
    it may only add and read events (no UPDATE, DELETE, TRUNCATE, TRIGGER or REFERENCES; not
    being the owner, it cannot ALTER or DROP the table or its triggers either)."""
    role = connection.ops.quote_name(app_role)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        )
        cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"REVOKE ALL ON {AUDIT_TABLE} FROM PUBLIC")
        cursor.execute(f"REVOKE ALL ON {AUDIT_TABLE} FROM {role}")
        cursor.execute(f"GRANT SELECT, INSERT ON {AUDIT_TABLE} TO {role}")


def app_role_is_owner_member(connection, app_role: str) -> bool:
    """Whether the app role inherits the owner's rights (then least privilege is void)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_has_role(%s, current_user, 'MEMBER')", [app_role])
        return bool(cursor.fetchone()[0])
