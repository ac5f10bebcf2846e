from django.core.management.base import BaseCommand

from governance import services


class Command(BaseCommand):
    help = (
        "Append a signed checkpoint of the audit chain's head to the checkpoint log outside the "
        "database (PORTAL_AUDIT_CHECKPOINT_LOG); nothing is written when no event was added."
    )

    def handle(self, *args, **options):
        entry = services.audit_checkpoint_create()
        if entry is None:
            self.stdout.write("No new events since the last checkpoint: nothing written.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Checkpoint #{entry['checkpoint']}: event #{entry['sequence']} "
                f"{entry['head_hash']} at {entry['at']}."
            )
        )
