from django.db.models import QuerySet

from .models import ModelVersion


def model_version_active() -> ModelVersion | None:
    """The model version that classifies new photos, or None when there is none."""
    return ModelVersion.objects.filter(is_active=True).first()


def model_version_find(*, sha256: str, labels: list[str]) -> ModelVersion | None:
    """A registered version with this exact file and label list, if any."""
    for candidate in ModelVersion.objects.filter(sha256=sha256).order_by("created_at"):
        if candidate.labels == list(labels):
            return candidate
    return None


def model_version_list() -> QuerySet[ModelVersion]:
    """Every version, newest first, with its parent and author."""
    return ModelVersion.objects.select_related("parent", "created_by").order_by("-created_at")
