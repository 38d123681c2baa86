"""Writes for exports: background jobs that build a stored snapshot of an export."""

import logging
import tempfile
import traceback

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ..errors import StorageUnavailable
from ..models import ExportJob, export_file_key
from ..storage import storage_delete_quietly, storage_errors
from .registry import UnknownFormat, exporter_get
from .selectors import COORDINATES_TRUE, ExportSelection, export_count, export_selection

logger = logging.getLogger(__name__)


def export_options_clean(*, format: str, options: dict | None) -> dict:
    """The options a format takes, validated; raises ValidationError naming the option."""
    try:
        exporter_class = exporter_get(format)
    except UnknownFormat:
        raise ValidationError({"format": f"Unknown format {format!r}."}) from None
    given = {key: value for key, value in (options or {}).items() if value not in (None, "")}
    cleaned = exporter_class.options_clean(given)
    unknown = sorted(set(given) - set(cleaned))
    if unknown:
        raise ValidationError(
            {unknown[0]: f"The {exporter_class.label} export takes no option {unknown[0]!r}."}
        )
    return cleaned


def export_selection_for(*, exporter_class, params, viewer, options) -> ExportSelection:
    """What an export of this format and options holds for `viewer`: as the public sees it when the
    format is made for publication; exact places only for those who may see them, when asked."""
    selection = export_selection(
        params=params,
        viewer=viewer,
        narrow=lambda queryset: exporter_class.narrow(queryset, options),
        beyond_grade=exporter_class.beyond_grade(options),
        publishable=exporter_class.publishable(options),
    )
    if options.get("coordinates") == COORDINATES_TRUE and selection.coordinates != COORDINATES_TRUE:
        raise ValidationError(
            {"coordinates": "Exact coordinates are for trusted researchers and moderators."}
        )
    return selection


def export_job_create(*, user, format, filters, options=None):
    """Queue an export job after checking its filters and options (ValidationError names the field)."""
    filters = {key: str(value) for key, value in (filters or {}).items()}
    options = export_options_clean(format=format, options=options)
    export_selection_for(exporter_class=exporter_get(format), params=filters, viewer=user, options=options)
    job = ExportJob.objects.create(owner=user, format=format, filters=filters, options=options)
    transaction.on_commit(lambda: export_job_enqueue(job_id=job.pk))
    return job


def export_job_enqueue(*, job_id):
    from ..tasks import export_job_run_task

    try:
        export_job_run_task.apply_async(args=[str(job_id)], retry=False)
    except Exception:
        logger.warning("could not queue export job %s", job_id, exc_info=True)


def export_job_run(*, job_id):
    """Build the job's file and store it. Safe to run again: a finished job is left as it is, and a
    run that finds the job finished by another delivery deletes its own copy.

    Storage outages raise StorageUnavailable (the task retries); anything else marks the job
    failed with its traceback.
    """
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == ExportJob.Status.DONE:
            return job
        job.status, job.started_at, job.attempts = ExportJob.Status.RUNNING, timezone.now(), job.attempts + 1
        job.rows_written = job.rows_skipped = 0
        job.error = ""
        job.save(update_fields=["status", "started_at", "attempts", "rows_written", "rows_skipped", "error"])
    try:
        name = _job_build(job=job)
    except StorageUnavailable:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.QUEUED, error=traceback.format_exc()
        )
        raise
    except Exception:
        logger.exception("export job %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).exclude(status=ExportJob.Status.DONE).update(
            status=ExportJob.Status.FAILED, error=traceback.format_exc(), finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    finished = (
        ExportJob.objects.filter(pk=job.pk)
        .exclude(status=ExportJob.Status.DONE)
        .update(status=ExportJob.Status.DONE, file=name, finished_at=timezone.now())
    )
    if not finished:
        storage_delete_quietly(name=name)
    job.refresh_from_db()
    return job


def _job_build(*, job):
    exporter_class = exporter_get(job.format)
    selection = export_selection_for(
        exporter_class=exporter_class, params=job.filters, viewer=job.owner, options=job.options
    )
    total = export_count(selection=selection)
    ExportJob.objects.filter(pk=job.pk).update(rows_total=total, coordinates=selection.coordinates)

    def progress(*, written, skipped):
        ExportJob.objects.filter(pk=job.pk).update(rows_written=written, rows_skipped=skipped)

    exporter = exporter_class(selection=selection, options=job.options, progress=progress)
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as handle:
        for chunk in exporter.chunks():
            handle.write(chunk)
        handle.seek(0)
        with storage_errors():
            return default_storage.save(
                export_file_key(job, exporter_class.filename_for(job.options)), File(handle)
            )
