"""Beat entries for the monitoring housekeeping tasks (idempotent: get-or-create by name).

Per-monitor entries are not created here: the monitor services create, change and delete them
together with each monitor.
"""

import json

from django.db import migrations
from django.utils import timezone

TASKS = (
    ("monitoring: compact prediction buffers", "monitoring.prediction_buffers_compact", 60),
    ("monitoring: requeue lost jobs", "monitoring.jobs_requeue_stale", 300),
    ("monitoring: sweep orphan files", "monitoring.files_sweep", 3600),
)


def create_tasks(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, task, seconds in TASKS:
        schedule, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        PeriodicTask.objects.get_or_create(
            name=name,
            defaults={
                "task": task,
                "interval": schedule,
                "args": json.dumps([]),
                "kwargs": json.dumps({}),
                "enabled": True,
                "description": "Registered by the monitoring app.",
            },
        )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_tasks(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_tasks, remove_tasks)]
