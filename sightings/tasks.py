"""Celery tasks: thin wrappers that call the services."""

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from classifier.selectors import model_version_active

from .classification import sighting_classify
from .errors import StorageUnavailable
from .maintenance import photos_orphaned_delete
from .models import Sighting
from .photos import sighting_publish_photo

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (StorageUnavailable,),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def sighting_classify_task(sighting_id):
    classification = sighting_classify(sighting_id=sighting_id)
    return classification.pk if classification else None


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def sighting_public_photo_task(sighting_id):
    sighting_publish_photo(sighting_id=sighting_id)


@shared_task
def sightings_requeue_stuck():
    """Queue again the sightings left pending (a lost message, a broker outage, retries spent).

    Each re-queued row's `updated_at` is touched, so a long queue is not flooded with copies of
    the same work on every run; a duplicate that slips through is harmless (tasks are idempotent).
    """
    now = timezone.now()
    stuck = Sighting.objects.filter(updated_at__lt=now - settings.SIGHTING_PENDING_REQUEUE_AFTER)
    pending = []
    if model_version_active() is not None:
        pending = list(stuck.filter(status=Sighting.Status.PENDING).values_list("pk", flat=True)[:1000])
    unpublished = list(
        stuck.filter(public_photo="").exclude(status=Sighting.Status.FAILED).values_list("pk", flat=True)[:1000]
    )
    Sighting.objects.filter(pk__in=set(pending) | set(unpublished)).update(updated_at=now)
    for sighting_id in pending:
        sighting_classify_task.delay(str(sighting_id))
    for sighting_id in unpublished:
        sighting_public_photo_task.delay(str(sighting_id))
    if pending:
        logger.info("re-queued %d pending sightings", len(pending))
    return len(pending)


@shared_task
def photos_orphaned_sweep():
    """Remove photos that an outage left without a row (see sightings.maintenance)."""
    return len(photos_orphaned_delete())
