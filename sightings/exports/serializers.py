from rest_framework import serializers

from ..api.fields import TextField
from ..models import ExportJob
from ..photo_links import storage_signed_url
from .registry import exporter_choices


class ExportJobCreateSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=exporter_choices())
    filters = serializers.DictField(child=TextField(allow_blank=True), required=False, default=dict)
    options = serializers.DictField(
        required=False,
        default=dict,
        help_text="Format options. dataset: split_seed (integer, default 0), ranks (species or any),"
        " negatives (true or false). dwca: coordinates (true: exact places, not for publication; or"
        " generalized).",
    )


class ExportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "format",
            "filters",
            "options",
            "status",
            "coordinates",
            "rows_total",
            "rows_written",
            "rows_skipped",
            "progress",
            "download_url",
            "error",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_progress(self, job) -> float | None:
        if job.status == ExportJob.Status.DONE:
            return 1.0
        if not job.rows_total:
            return None
        return round(min(1.0, (job.rows_written + job.rows_skipped) / job.rows_total), 4)

    def get_download_url(self, job) -> str | None:
        if job.status != ExportJob.Status.DONE or not job.file:
            return None
        return storage_signed_url(name=job.file.name)

    def get_error(self, job) -> str:
        # The last line of the traceback: the whole one stays in the row for the administrators.
        lines = job.error.strip().splitlines()
        return lines[-1] if lines and job.status == ExportJob.Status.FAILED else ""
