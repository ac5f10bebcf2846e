"""``flush`` empties every table, the audit trail included: it is for tests and throw-away
databases. It runs as the schema owner with the audit table's append-only triggers lifted for
the statement (the app role could do neither)."""

from django.core.management.commands import flush
from django.db import connections

from governance import database


class Command(flush.Command):
    def handle(self, **options):
        alias = options["database"]
        with (
            database.as_schema_owner(alias),
            database.append_only_triggers_lifted(connections[alias]),
        ):
            return super().handle(**options)
