from django.conf import settings
from django.db import migrations


def default_project_create(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    Project.objects.get_or_create(
        slug=settings.DEFAULT_PROJECT_SLUG, defaults={"name": "Fish", "negative_name": "not a fish"}
    )


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(default_project_create, migrations.RunPython.noop)]
