"""Individuals in the API: list and read them, name one, link sightings and see candidate matches."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from projects.selectors import project_get
from regulations.models import Species

from ..individuals.selectors import individual_history, individuals_of
from ..models import Individual, Sighting
from ..services.individuals import individual_create, sighting_individual_link, sighting_individual_match
from .fields import TextField, TextSlugField


class PlaceSerializer(serializers.Serializer):
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    uncertainty_m = serializers.FloatField(allow_null=True)
    kind = serializers.CharField(help_text="exact, generalized, withheld or empty (no place).")


class IndividualSightingSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    observed_at = serializers.DateTimeField(allow_null=True)
    place = PlaceSerializer()
    photo_url = serializers.CharField()


class IndividualSerializer(serializers.ModelSerializer):
    project: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    species: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="scientific_name", read_only=True
    )

    class Meta:
        model = Individual
        fields = ["id", "project", "species", "name", "notes", "created_at"]


class IndividualDetailSerializer(IndividualSerializer):
    sightings = IndividualSightingSerializer(many=True, help_text="Oldest first, places as you may see them.")

    class Meta(IndividualSerializer.Meta):
        fields = [*IndividualSerializer.Meta.fields, "sightings"]


class IndividualCreateSerializer(serializers.Serializer):
    project = TextSlugField(max_length=100)
    species = serializers.IntegerField(help_text="The species id.")
    name = TextField(max_length=200)
    notes = TextField(max_length=5000, required=False, allow_blank=True, default="")


class IndividualViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Named animals followed across sightings. Anyone reads them; a project's moderators name them."""

    serializer_class = IndividualSerializer
    queryset = Individual.objects.none()

    def get_permissions(self):
        return [IsAuthenticated()] if self.action == "create" else [AllowAny()]

    def get_queryset(self):
        project = self.request.query_params.get("project")
        queryset = individuals_of()
        return queryset.filter(project__slug=project) if project else queryset

    @extend_schema(parameters=[OpenApiParameter("project", str, description="Only this project's (slug).")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: IndividualDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        individual = self.get_object()
        history = individual_history(individual=individual, viewer=request.user)
        return Response(
            {
                **IndividualSerializer(individual).data,
                "sightings": IndividualSightingSerializer(history, many=True).data,
            }
        )

    @extend_schema(request=IndividualCreateSerializer, responses={201: IndividualSerializer})
    def create(self, request, *args, **kwargs):
        given = IndividualCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        project = project_get(slug=data["project"])
        if project is None:
            raise ValidationError({"project": "No project has this slug."})
        species = Species.objects.filter(pk=data["species"]).first()
        if species is None:
            raise ValidationError({"species": "No species has this id."})
        individual = individual_create(
            project=project, species=species, name=data["name"], notes=data["notes"], user=request.user
        )
        return Response(IndividualSerializer(individual).data, status=status.HTTP_201_CREATED)


class CandidateSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The earlier sighting.")
    similarity = serializers.FloatField(help_text="Cosine similarity of the photos' embeddings, -1 to 1.")
    observed_at = serializers.DateTimeField(allow_null=True)
    place = PlaceSerializer()
    photo_url = serializers.CharField()
    individual = IndividualSerializer(allow_null=True)


class LinkSerializer(serializers.Serializer):
    individual = serializers.UUIDField(required=False, help_text="Link to this individual.")
    same_as = serializers.UUIDField(
        required=False,
        help_text="Or: the same animal as this earlier sighting (its individual, or a new one).",
    )

    def validate(self, attrs):
        if bool(attrs.get("individual")) == bool(attrs.get("same_as")):
            raise serializers.ValidationError({"individual": "Give either individual or same_as."})
        return attrs


def sighting_link_from_request(*, sighting: Sighting, data, user) -> Sighting:
    """The link a moderator asked for (LinkSerializer data)."""
    if data.get("individual"):
        individual = Individual.objects.filter(pk=data["individual"]).first()
        if individual is None:
            raise ValidationError({"individual": "No individual has this id."})
        return sighting_individual_link(sighting=sighting, individual=individual, user=user)
    candidate = (
        Sighting.objects.select_related("individual", "species", "project").filter(pk=data["same_as"]).first()
    )
    if candidate is None or candidate.project_id != sighting.project_id:
        raise ValidationError({"same_as": "No sighting of this project has this id."})
    sighting_individual_match(sighting=sighting, candidate=candidate, user=user)
    sighting.refresh_from_db(fields=["individual"])
    return sighting
