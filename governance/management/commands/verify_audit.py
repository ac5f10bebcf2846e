from django.core.management.base import BaseCommand, CommandError

from governance import services
from governance.models import AuditVerification


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain and check it against every checkpoint in the checkpoint log; "
        "exit 0 only when every event is intact and linked and every checkpoint matches."
    )

    def handle(self, *args, **options):
        _run, report = services.audit_verification_run(trigger=AuditVerification.Trigger.COMMAND)
        last = report.last_checkpoint
        anchored = (
            f"checkpoint #{last.checkpoint} at event #{last.sequence} ({last.at})"
            if last
            else "no checkpoint yet"
        )
        if report.intact:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Audit chain intact: {report.checked} events, head #{report.head_sequence} "
                    f"{report.head_hash}; {report.checkpoints_checked} checkpoints match "
                    f"(last: {anchored})."
                )
            )
            return
        for problem in report.problems:
            self.stderr.write(f"[{problem.code}] {problem.message}")
        raise CommandError(
            f"Audit chain broken ({report.code}): {report.problem}",
            returncode=1,
        )
