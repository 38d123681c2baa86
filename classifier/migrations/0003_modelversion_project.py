import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def versions_to_default_project(apps, schema_editor):
    project = apps.get_model("projects", "Project").objects.get(slug=settings.DEFAULT_PROJECT_SLUG)
    apps.get_model("classifier", "ModelVersion").objects.filter(project__isnull=True).update(project=project)


class Migration(migrations.Migration):
    dependencies = [
        ("classifier", "0002_model_lifecycle"),
        ("projects", "0002_default_project"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="modelversion", name="one_active_model_version"),
        migrations.AddField(
            model_name="modelversion",
            name="project",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="model_versions",
                to="projects.project",
            ),
        ),
        migrations.RunPython(versions_to_default_project, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="modelversion",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="model_versions", to="projects.project"
            ),
        ),
        migrations.AddConstraint(
            model_name="modelversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_active", True)),
                fields=("project",),
                name="one_active_model_version_per_project",
            ),
        ),
    ]
