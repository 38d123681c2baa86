"""Every Celery task of the app: thin wrappers that call the services."""

import logging

from celery import shared_task
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from classifier.models import ModelVersion

from .errors import StorageUnavailable
from .exports.services import export_job_run
from .models import Sighting
from .services.classification import sighting_classify, sighting_process
from .services.maintenance import photos_orphaned_delete
from .services.public_photos import sighting_publish_photo
from .services.retraining import sightings_reclassify_batch, sightings_reclassify_queue

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (StorageUnavailable,),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def sighting_process_task(sighting_id):
    """A new sighting's classification and public photo, from one read of the photo."""
    sighting_process(sighting_id=sighting_id)


# The two tasks that did this work before sighting_process_task, kept for messages queued by an
# older release.
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
    # A project without an active version leaves its pending sightings to the moderators.
    classifiable = Exists(ModelVersion.objects.filter(project_id=OuterRef("project_id"), is_active=True))
    pending = list(
        stuck.filter(classifiable, status=Sighting.Status.PENDING).values_list("pk", flat=True)[:1000]
    )
    unpublished = list(
        stuck.filter(public_photo="")
        .exclude(status=Sighting.Status.FAILED)
        .values_list("pk", flat=True)[:1000]
    )
    queued = set(pending) | set(unpublished)
    Sighting.objects.filter(pk__in=queued).update(updated_at=now)
    for sighting_id in queued:
        sighting_process_task.delay(str(sighting_id))
    if pending:
        logger.info("re-queued %d pending sightings", len(pending))
    return len(pending)


@shared_task
def photos_orphaned_sweep():
    """Remove photos that an outage left without a row (see sightings.services.maintenance)."""
    return len(photos_orphaned_delete())


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def sighting_reclassify_task(sighting_id, model_version_id):
    """Classify one sighting with a version, unless another version has become active meanwhile."""
    model_version = ModelVersion.objects.filter(pk=model_version_id, is_active=True).first()
    if model_version is None:
        return None
    classification = sighting_classify(sighting_id=sighting_id, model_version=model_version)
    return classification.pk if classification else None


@shared_task(acks_late=True, reject_on_worker_lost=True, **RETRY)
def sightings_reclassify_batch_task(sighting_ids, model_version_id):
    """Classify a batch of sightings with a version, unless another version has become active meanwhile."""
    model_version = ModelVersion.objects.filter(pk=model_version_id, is_active=True).first()
    if model_version is None:
        return None
    return sightings_reclassify_batch(sighting_ids=sighting_ids, model_version=model_version)


@shared_task
def sightings_reclassify_task(model_version_id):
    model_version = ModelVersion.objects.filter(pk=model_version_id, is_active=True).first()
    if model_version is None:
        return 0
    return sightings_reclassify_queue(model_version=model_version)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    **RETRY,
    # Longer than the default: a big export streams for a while (keep the visibility timeout above it).
    time_limit=3600,
    soft_time_limit=3540,
)
def export_job_run_task(job_id):
    job = export_job_run(job_id=job_id)
    return job.status if job else None
