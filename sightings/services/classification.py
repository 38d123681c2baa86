"""Run the active classifier on a sighting's photo and record what it says, exactly once per version."""

import logging
import time
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from classifier.imaging import PhotoError
from classifier.inference import ClassificationResult, classify_photo
from classifier.models import ModelVersion
from classifier.selectors import model_version_active
from regulations.selectors import species_by_labels

from ..models import Classification, Identification, Prediction, Sighting
from ..storage import storage_read
from .identifications import identification_create

logger = logging.getLogger(__name__)


def sighting_classify(
    *, sighting_id: UUID | str, model_version: ModelVersion | None = None
) -> Classification | None:
    """Classify one sighting with a model version (the active one by default).

    Idempotent: a second call for the same sighting and version changes nothing. Raises
    StorageUnavailable on a storage outage so that the task retries; an unreadable photo marks
    the sighting failed with the reason.
    """
    sighting = Sighting.objects.filter(pk=sighting_id).first()
    if sighting is None:
        logger.info("sighting %s no longer exists", sighting_id)
        return None
    model_version = model_version or model_version_active()
    if model_version is None:
        logger.info("no active model version: sighting %s waits for a moderator", sighting_id)
        return None
    existing = Classification.objects.filter(sighting=sighting, model_version=model_version).first()
    if existing is not None:
        return existing

    try:
        data = storage_read(name=sighting.photo.name)
    except FileNotFoundError:
        _mark_failed(sighting=sighting, reason="The photo is missing from storage.")
        return None
    started = time.perf_counter()
    try:
        result = classify_photo(
            model_version=model_version,
            data=data,
            top_k=settings.CLASSIFIER_TOP_K,
            max_pixels=settings.PHOTO_MAX_PIXELS,
        )
    except PhotoError as error:
        _mark_failed(sighting=sighting, reason=f"The photo cannot be read: {error}")
        return None
    duration_ms = (time.perf_counter() - started) * 1000
    return _record(sighting=sighting, model_version=model_version, result=result, duration_ms=duration_ms)


def _record(
    *, sighting: Sighting, model_version: ModelVersion, result: ClassificationResult, duration_ms: float
) -> Classification:
    species_by_label = species_by_labels(labels=[score.label for score in result.scores])
    try:
        with transaction.atomic():
            classification = Classification.objects.create(
                sighting=sighting,
                model_version=model_version,
                rejected=result.rejected,
                uncertain=result.uncertain,
                top_score=result.top_score,
                duration_ms=duration_ms,
            )
            Prediction.objects.bulk_create(
                Prediction(
                    classification=classification,
                    rank=rank,
                    label=score.label,
                    species=species_by_label[score.label],
                    score=score.score,
                )
                for rank, score in enumerate(result.scores, start=1)
            )
            status = Sighting.Status.REJECTED if result.rejected else Sighting.Status.CLASSIFIED
            Sighting.objects.filter(pk=sighting.pk).update(
                status=status,
                failure_reason="",
                classified_at=timezone.now(),
                top_score=result.top_score,
                uncertain=result.uncertain and not _identified_by_a_person(sighting=sighting),
            )
            top_species = species_by_label.get(result.scores[0].label) if result.scores else None
            # An uncertain answer names no species: the angler and the moderators choose.
            if not result.rejected and not result.uncertain and top_species is not None:
                identification_create(
                    sighting=sighting,
                    species=top_species,
                    source=Identification.Source.MACHINE,
                    model_version=model_version,
                )
    except IntegrityError:
        # A duplicate delivery won the race and recorded this version's answer first.
        return Classification.objects.get(sighting=sighting, model_version=model_version)
    return classification


def _identified_by_a_person(*, sighting: Sighting) -> bool:
    return Identification.objects.filter(sighting=sighting, user__isnull=False).exists()


def _mark_failed(*, sighting: Sighting, reason: str) -> None:
    logger.warning("sighting %s failed: %s", sighting.pk, reason)
    Sighting.objects.filter(pk=sighting.pk).update(status=Sighting.Status.FAILED, failure_reason=reason[:500])
