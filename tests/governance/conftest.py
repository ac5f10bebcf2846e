"""Helpers that play someone who holds the database owner's rights (the attacker the
checkpoints defend against): they lift the append-only triggers and change the table."""

import os
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection

from governance import database

AUDIT = database.AUDIT_TABLE


def separate_owner() -> dict | None:
    """The owner's connection settings when the portal runs as another role (PostgreSQL)."""
    return database.schema_owner_settings() if connection.vendor == "postgresql" else None


# With a separate owner role (the CI's PostgreSQL pass runs the portal as the app role) the owner
# works on its own connection, which sees only committed rows and would wait for the locks of
# the test's open transaction: tests that tamper then run with real commits.
OWNER_APART = os.environ.get("DATABASE_URL", "").startswith("postgres") and bool(
    os.environ.get("MIGRATE_DATABASE_URL")
)
tampering = pytest.mark.django_db(transaction=OWNER_APART)


@pytest.fixture
def tamper_db(db):
    """Database access for tests marked ``tampering``."""
    return db


@contextmanager
def owner_cursor():
    """A cursor with the owner's rights and the append-only triggers lifted."""
    owner = separate_owner()
    if owner is None:
        with database.append_only_triggers_lifted(connection), connection.cursor() as cursor:
            yield cursor
        return
    with (
        psycopg.connect(
            dbname=connection.settings_dict["NAME"],
            user=owner["USER"],
            password=owner.get("PASSWORD") or None,
            host=owner.get("HOST") or None,
            port=owner.get("PORT") or None,
            autocommit=True,
        ) as raw,
        raw.cursor() as cursor,
    ):
        cursor.execute("SET lock_timeout = '20s'")
        cursor.execute(f"ALTER TABLE {AUDIT} DISABLE TRIGGER USER")
        try:
            yield cursor
        finally:
            cursor.execute(f"ALTER TABLE {AUDIT} ENABLE TRIGGER USER")


def owner_execute(sql: str, params=()) -> None:
    with owner_cursor() as cursor:
        cursor.execute(sql, list(params))
