from django.core.management.base import BaseCommand, CommandError

from governance import audit


class Command(BaseCommand):
    help = "Walk the audit hash chain; exit 0 only when every event is intact and linked."

    def handle(self, *args, **options):
        report = audit.verify()
        if report.intact:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events."))
            return
        raise CommandError(
            f"Audit chain broken at event #{report.first_bad_sequence} (id {report.first_bad_id}): "
            f"{report.problem}. {report.checked} events before it are intact.",
            returncode=1,
        )
