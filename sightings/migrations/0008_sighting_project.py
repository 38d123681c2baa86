import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

HELP = "Its model classifies the photo; its moderators identify it; its researchers export it."


def sightings_to_default_project(apps, schema_editor):
    project = apps.get_model("projects", "Project").objects.get(slug=settings.DEFAULT_PROJECT_SLUG)
    apps.get_model("sightings", "Sighting").objects.filter(project__isnull=True).update(project=project)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0002_default_project"),
        ("sightings", "0007_uncertain_answers"),
    ]

    operations = [
        migrations.AddField(
            model_name="sighting",
            name="project",
            field=models.ForeignKey(
                help_text=HELP,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sightings",
                to="projects.project",
            ),
        ),
        migrations.RunPython(sightings_to_default_project, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="sighting",
            name="project",
            field=models.ForeignKey(
                help_text=HELP, on_delete=django.db.models.deletion.PROTECT, related_name="sightings", to="projects.project"
            ),
        ),
    ]
