"""The platform's side of the model lifecycle.

- `verified_examples`: the verified sightings as training photos for `manage.py train_classifier
  --verified` (settings.CLASSIFIER_VERIFIED_SOURCE names it, so the classifier app stays a leaf).
- When a model version becomes active, the sightings still needing an ID are classified again by
  it, in the background. That only ever appends a machine identification: the derivation in
  sightings.identifications lets any human identification win over machine ones.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from classifier.datasets import Example
from classifier.models import ModelVersion
from projects.models import Project

from ..models import Classification, Identification, Sighting
from ..storage import storage_read
from .classification import sightings_classify_batch
from .identifications import HUMAN_SOURCES

logger = logging.getLogger(__name__)

# --- Training photos --------------------------------------------------------------------------


def sightings_verified_for_training(*, project: Project) -> QuerySet[Sighting]:
    """The project's verified sightings whose species a human named or confirmed on purpose.

    A sighting counts only when at least one current human identification names its species
    (or a taxon merged into it) without being a click on the machine's suggestion: a model must
    not be retrained on its own answers that people merely accepted."""
    human_support = Identification.objects.filter(
        sighting=OuterRef("pk"),
        is_current=True,
        source__in=HUMAN_SOURCES,
        from_suggestion=False,
    ).filter(Q(species=OuterRef("species")) | Q(species__merged_into=OuterRef("species")))
    return (
        Sighting.objects.filter(
            project=project, quality_grade=Sighting.QualityGrade.VERIFIED, species__isnull=False
        )
        .exclude(status=Sighting.Status.FAILED)
        .filter(Exists(human_support))
        .select_related("species")
        .order_by("created_at", "pk")
    )


def _photo_loader(name: str) -> Callable[[], bytes]:
    return lambda: storage_read(name=name)


def verified_examples(*, project: Project) -> list[Example]:
    """One training photo per verified sighting of the project, labelled with its species' classifier label.

    Photos of one angler on one day form a group, so that several shots of the same catch never
    end up on both sides of the validation split."""
    examples = []
    for sighting in sightings_verified_for_training(project=project):
        # The query holds only sightings with a species, and every sighting has a stored photo.
        assert sighting.species is not None and sighting.photo.name is not None
        day = (sighting.observed_at or sighting.created_at).date().isoformat()
        examples.append(
            Example(
                label=sighting.species.label_key,
                name=f"sighting {sighting.pk}",
                load=_photo_loader(sighting.photo.name),
                group=f"owner {sighting.owner_id} on {day}",
                sha256=sighting.photo_sha256 or None,
            )
        )
    return examples


# --- Re-classification when a version becomes active ------------------------------------------


def sightings_needing_reclassification(*, model_version: ModelVersion) -> QuerySet[Sighting]:
    """The version's project's sightings still needing an ID that it has not classified yet
    (unreadable photos left out)."""
    done = Classification.objects.filter(sighting=OuterRef("pk"), model_version=model_version)
    return (
        Sighting.objects.filter(
            project_id=model_version.project_id, quality_grade=Sighting.QualityGrade.NEEDS_ID
        )
        .exclude(status=Sighting.Status.FAILED)
        .exclude(Exists(done))
        .order_by("created_at", "pk")
    )


def sightings_reclassify_queue(*, model_version: ModelVersion) -> int:
    """Queue the sightings needing an ID for the version, CLASSIFY_BATCH_SIZE to a task (see
    `sightings_reclassify_batch`); answers how many were queued."""
    from ..tasks import sightings_reclassify_batch_task

    ids = [
        str(pk)
        for pk in sightings_needing_reclassification(model_version=model_version).values_list("pk", flat=True)
    ]
    size = max(1, settings.CLASSIFY_BATCH_SIZE)
    for start in range(0, len(ids), size):
        sightings_reclassify_batch_task.delay(ids[start : start + size], model_version.pk)
    logger.info("model version %s active: %d sightings needing an ID queued", model_version.pk, len(ids))
    return len(ids)


def sightings_reclassify_batch(*, sighting_ids: list[str], model_version: ModelVersion) -> list[str]:
    """Classify these sightings with the version in one batch; each one the batch left out (held
    by another worker, or broken otherwise) gets a task of its own. Answers those ids."""
    from ..tasks import sighting_reclassify_task

    left_out = sightings_classify_batch(sighting_ids=sighting_ids, model_version=model_version)
    for sighting_id in left_out:
        sighting_reclassify_task.delay(sighting_id, model_version.pk)
    return left_out


def on_model_version_activated(
    sender: type[ModelVersion], model_version: ModelVersion, **kwargs: object
) -> None:
    """Receiver of classifier.signals.model_version_activated (sent after the commit)."""
    from ..tasks import sightings_reclassify_task

    try:
        sightings_reclassify_task.delay(model_version.pk)
    except Exception:  # a broker outage must not undo or fail the activation itself
        logger.exception("could not queue the re-classification for model version %s", model_version.pk)
