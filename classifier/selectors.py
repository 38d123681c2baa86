from django.db.models import QuerySet

from projects.models import Project
from projects.selectors import project_default

from .models import ModelVersion


def model_version_active(*, project: Project | None = None) -> ModelVersion | None:
    """The model version that classifies the project's (default: the default project's) new photos,
    or None when there is none."""
    return ModelVersion.objects.filter(project=project or project_default(), is_active=True).first()


def model_version_find(
    *, sha256: str, labels: list[str], project: Project | None = None
) -> ModelVersion | None:
    """A version of the project (default: the default one) with this exact file and label list, if any."""
    candidates = ModelVersion.objects.filter(sha256=sha256, project=project or project_default())
    for candidate in candidates.order_by("created_at"):
        if candidate.labels == list(labels):
            return candidate
    return None


def model_version_list() -> QuerySet[ModelVersion]:
    """Every version, newest first, with its parent and author."""
    return ModelVersion.objects.select_related("parent", "created_by").order_by("-created_at")
