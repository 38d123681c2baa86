"""Celery tasks for exports: thin wrappers around the services."""

from celery import shared_task

from ..errors import StorageUnavailable
from .services import export_job_run


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(StorageUnavailable,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
    # Longer than the default: a big export streams for a while (keep the visibility timeout above it).
    time_limit=3600,
    soft_time_limit=3540,
)
def export_job_run_task(job_id):
    job = export_job_run(job_id=job_id)
    return job.status if job else None
