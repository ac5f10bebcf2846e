from django.db import migrations, models
from django.db.models import Count, Max, Q


def fill_figures(apps, schema_editor):
    """Compute the new columns for models registered before them."""
    RegisteredModel = apps.get_model("registry", "RegisteredModel")
    ModelVersion = apps.get_model("registry", "ModelVersion")
    figures = ModelVersion.objects.values("model_id").annotate(
        total=Count("pk"), production=Max("version", filter=Q(stage="Production"))
    )
    for row in figures.order_by():
        RegisteredModel.objects.filter(pk=row["model_id"]).update(
            version_count=row["total"], production_version=row["production"]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="registeredmodel",
            name="production_version",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="registeredmodel",
            name="version_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill_figures, migrations.RunPython.noop),
    ]
