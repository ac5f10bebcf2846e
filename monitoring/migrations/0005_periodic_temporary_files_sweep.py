"""A beat entry sweeping DATA_ROOT/tmp every 2 minutes, so the upload a killed web worker left
behind (up to PORTAL_MAX_UPLOAD_BYTES) is gone within minutes, not hours. Files still held by a
live process are never removed (see monitoring.ingest.storage)."""

import json

from django.db import migrations
from django.utils import timezone

NAME = "monitoring: sweep temporary files"
EVERY_SECONDS = 120


def create_task(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    schedule, _ = IntervalSchedule.objects.get_or_create(every=EVERY_SECONDS, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "monitoring.files_sweep",
            "interval": schedule,
            "args": json.dumps([]),
            "kwargs": json.dumps({"temporary_only": True}),
            "enabled": True,
            "description": "Registered by the monitoring app.",
        },
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0004_alerts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_task, remove_task)]
