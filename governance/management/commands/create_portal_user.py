import os

from django.core.management.base import BaseCommand, CommandError

from governance import services
from governance.roles import Role
from mlops_portal.errors import PortalError


class Command(BaseCommand):
    help = (
        "Create a portal user with one or more roles, optionally printing a new API token. "
        "The password comes from --password or the PORTAL_USER_PASSWORD environment variable."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            choices=[role.value for role in Role],
            help="Repeat for several roles.",
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None)
        parser.add_argument("--token", action="store_true", help="Create and print an API token.")

    def handle(self, *args, **options):
        password = options["password"] or os.environ.get("PORTAL_USER_PASSWORD")
        try:
            user = services.portal_user_create(
                username=options["username"],
                email=options["email"],
                password=password,
                roles=options["role"],
            )
            self.stdout.write(f"Created {user.username} with roles {', '.join(options['role'])}.")
            if options["token"]:
                _instance, token = services.api_token_create(user=user, actor=user)
                self.stdout.write(f"API token (shown once): {token}")
        except PortalError as error:
            raise CommandError(error.message) from error
