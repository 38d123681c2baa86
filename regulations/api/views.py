from django.contrib.gis.geos import Point
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from regulations.api.serializers import (
    RegulationsAnswerSerializer,
    RegulationsQuerySerializer,
    SpeciesSerializer,
)
from regulations.selectors import regulations_for, species_list


class RegulationsView(APIView):
    """The public rules and warnings for a catch at a place and date."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[RegulationsQuerySerializer],
        responses={200: RegulationsAnswerSerializer},
        description=(
            "Rules for a species at a place (WGS84) on a date, the most specific region first, with warnings "
            "(invasive, protected, venomous, closed_season, catch_and_release, undersize, oversize, slot). "
            'known is false, with the message "No rules known for this place.", where no rules are known.'
        ),
    )
    def get(self, request):
        blank = sorted(name for name, value in request.query_params.items() if not value.strip())
        if blank:
            raise ValidationError({name: ["Give a value, or leave the parameter out."] for name in blank})
        query = RegulationsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        result = regulations_for(
            point=Point(data["longitude"], data["latitude"], srid=4326),
            species=data.get("species"),
            on_date=data["date"],
            length_cm=data.get("length_cm"),
        )
        return Response(result.as_dict())


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("search", str, description="Part of the scientific or common name.")]
    )
)
class SpeciesViewSet(viewsets.ReadOnlyModelViewSet):
    """The species list: public, read-only."""

    permission_classes = [AllowAny]
    serializer_class = SpeciesSerializer
    filter_backends = []

    def get_queryset(self):
        return species_list(search=self.request.query_params.get("search", "").strip())
