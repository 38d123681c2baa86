from django.apps import AppConfig


class SightingsConfig(AppConfig):
    name = "sightings"
    verbose_name = "Sightings"

    def ready(self):
        from .exports import tasks  # noqa: F401
