from django.db import migrations, models
from django.db.models.functions import Coalesce


class Migration(migrations.Migration):
    dependencies = [("sightings", "0013_sighting_utc_offset")]

    operations = [
        migrations.AddIndex(
            model_name="sighting",
            index=models.Index(
                models.F("project"),
                models.OrderBy(Coalesce("classified_at", "created_at"), descending=True),
                condition=models.Q(("status", "pending")),
                name="sighting_pending_idx",
            ),
        ),
    ]
