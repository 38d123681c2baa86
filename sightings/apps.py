from django.apps import AppConfig


class SightingsConfig(AppConfig):
    name = "sightings"
    verbose_name = "Sightings"

    def ready(self):
        from .exports import tasks  # noqa: F401

        from classifier.signals import model_version_activated

        from . import retraining  # registers its Celery tasks

        model_version_activated.connect(
            retraining.on_model_version_activated, dispatch_uid="sightings.retraining.reclassify"
        )
