"""``migrate`` as the schema owner when ``MIGRATE_DATABASE_URL`` names one (PostgreSQL): the
owner creates and alters the tables, then grants the app role (``DATABASE_URL``) plain data
access, and on the audit trail only INSERT and SELECT. Without it, Django's own ``migrate``."""

from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

from governance import database


class Command(migrate.Command):
    def handle(self, *args, **options):
        alias = options["database"]
        owner = database.schema_owner_settings()
        if owner is None or alias != DEFAULT_DB_ALIAS or connections[alias].vendor != "postgresql":
            return super().handle(*args, **options)
        app_role = connections[alias].settings_dict["USER"]
        with database.as_schema_owner(alias) as connection:
            if database.app_role_is_owner_member(connection, app_role):
                raise CommandError(
                    f"The app role {app_role!r} is a member of the schema owner's role, so it "
                    "holds every right of the owner: give the app its own role."
                )
            database.app_role_default_privileges(connection, app_role)
            result = super().handle(*args, **options)
            database.app_role_privileges_grant(connection, app_role)
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"Granted {app_role!r} data access; on the audit trail INSERT and SELECT only."
                )
        return result
