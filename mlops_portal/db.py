"""Database expressions shared by the apps."""

from __future__ import annotations

from django.db.models import Aggregate, CharField


class CommaJoined(Aggregate):
    """Values joined by commas, in no particular order: GROUP_CONCAT on SQLite, STRING_AGG on
    PostgreSQL (Django 5.2 has no portable string aggregate). Only for values without commas
    (slugs, role names)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "STRING_AGG(%(expressions)s, ',')"
        return self.as_sql(compiler, connection, template=template, **extra_context)
