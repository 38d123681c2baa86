from django.conf import settings
from django.http import StreamingHttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.parsers import DepthLimitedJSONParser
from ..models import ExportJob
from ..roles import user_may_export
from .filters import ExportFilterSet
from .openapi import ExportSchema
from .registry import exporter_get
from .selectors import export_count, export_jobs_of
from .serializers import ExportJobCreateSerializer, ExportJobSerializer
from .services import export_job_create, export_options_clean, export_selection_for

# Query parameters that are a format's options rather than filters.
OPTION_PARAMETERS = ("split_seed", "ranks", "negatives", "coordinates")


class MayExport(BasePermission):
    message = "Exports are for researchers and moderators."

    def has_permission(self, request, view):
        return user_may_export(request.user)


class ExportView(APIView):
    """Stream one export, filtered; above EXPORT_SYNC_MAX_ROWS rows answers 413 pointing at the job API."""

    permission_classes = [IsAuthenticated, MayExport]
    exporter = ""
    filterset_class = ExportFilterSet
    schema = ExportSchema()

    def perform_content_negotiation(self, request, force=False):
        # The export is the answer whatever Accept says; errors are JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(responses={413: OpenApiTypes.OBJECT})
    def get(self, request):
        exporter_class = exporter_get(self.exporter)
        params = request.query_params.copy()
        options = export_options_clean(
            format=self.exporter, options={name: params.pop(name, [None])[-1] for name in OPTION_PARAMETERS}
        )
        selection = export_selection_for(
            exporter_class=exporter_class, params=params, viewer=request.user, options=options
        )
        count = export_count(selection=selection)
        if count > settings.EXPORT_SYNC_MAX_ROWS:
            return Response(
                {
                    "detail": (
                        f"{count} sightings match, more than {settings.EXPORT_SYNC_MAX_ROWS} that one request"
                        ' may export. Ask for a background export: POST {"format": ..., "filters": {...}}'
                        " to the jobs URL."
                    ),
                    "count": count,
                    "max_rows": settings.EXPORT_SYNC_MAX_ROWS,
                    "jobs_url": reverse("exports:export-job-list"),
                    "format": self.exporter,
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        exporter = exporter_class(selection=selection, options=options)
        response = StreamingHttpResponse(exporter.chunks(), content_type=exporter_class.content_type)
        response["Content-Disposition"] = f'attachment; filename="{exporter_class.filename_for(options)}"'
        response["X-Coordinates"] = selection.coordinates
        response["Cache-Control"] = "private, no-store"
        return response


class ExportJobViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Background exports: POST {format, filters, options} -> 202; GET one to follow it and download."""

    permission_classes = [IsAuthenticated, MayExport]
    # Filters and options are objects: JSON only (a form would flatten them into text).
    parser_classes = [DepthLimitedJSONParser]
    serializer_class = ExportJobSerializer
    filter_backends = []
    queryset = ExportJob.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExportJob.objects.none()
        return export_jobs_of(user=self.request.user)

    @extend_schema(request=ExportJobCreateSerializer, responses={202: ExportJobSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ExportJobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = export_job_create(user=request.user, **serializer.validated_data)
        return Response(
            ExportJobSerializer(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("exports:export-job-detail", kwargs={"pk": job.pk})},
        )
