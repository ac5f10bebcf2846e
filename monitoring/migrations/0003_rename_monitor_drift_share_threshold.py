import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_periodic_maintenance_tasks"),
    ]

    operations = [
        migrations.RenameField(
            model_name="monitor", old_name="drift_share", new_name="drift_share_threshold"
        ),
        migrations.AlterField(
            model_name="monitor",
            name="drift_share_threshold",
            field=models.FloatField(
                default=0.5,
                help_text="Dataset drift when at least this share of the tested features drifts.",
                validators=[
                    django.core.validators.MinValueValidator(0.01),
                    django.core.validators.MaxValueValidator(1.0),
                ],
            ),
        ),
    ]
