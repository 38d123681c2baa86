from django.apps import AppConfig


class SightingsConfig(AppConfig):
    name = "sightings"
    verbose_name = "Sightings"

    def ready(self):
        from classifier.signals import model_version_activated

        from . import published_photos, tasks  # noqa: F401  (register the deploy check, the Celery tasks)
        from .services import retraining

        model_version_activated.connect(
            retraining.on_model_version_activated, dispatch_uid="sightings.retraining.reclassify"
        )
