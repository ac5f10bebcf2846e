from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_periodic_maintenance_tasks"),
    ]

    operations = [
        migrations.RenameField(
            model_name="monitor", old_name="drift_share", new_name="drift_share_threshold"
        ),
    ]
