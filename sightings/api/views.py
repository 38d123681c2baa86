from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from regulations.models import Species

from ..individuals.selectors import sighting_candidates
from ..models import Sighting
from ..roles import user_moderates
from ..selectors import sighting_detail, sightings_visible_to
from ..services.identifications import identification_confirm_suggestion, identification_set_species
from ..services.individuals import sighting_individual_unlink
from ..services.removal import sighting_delete
from ..services.submission import sighting_submit
from ..strict_filters import StrictFilterSet
from ..visibility import sighting_seen_by_owner
from .individuals import CandidateSerializer, LinkSerializer, sighting_link_from_request
from .serializers import (
    IdentificationSerializer,
    IdentifySerializer,
    SightingSerializer,
    SightingUpdateSerializer,
    SubmitSightingSerializer,
    sighting_representation,
)


class SightingFilter(StrictFilterSet):
    class Meta:
        model = Sighting
        fields = ["status", "quality_grade", "species"]


class SightingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Anglers' own sightings: submit a catch, follow its classification, correct its details."""

    filterset_class = SightingFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    queryset = Sighting.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Sighting.objects.none()
        return sightings_visible_to(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return SubmitSightingSerializer
        if self.action == "partial_update":
            return SightingUpdateSerializer
        return SightingSerializer

    def present(self, sighting):
        return sighting_representation(sighting_detail(sighting=sighting, viewer=self.request.user))

    def list(self, request, *args, **kwargs):
        """One's own sightings (moderators too: the queue is the admin's)."""
        own = self.get_queryset().filter(owner=request.user)
        page = self.paginate_queryset(self.filter_queryset(own)) or []
        return self.get_paginated_response([self.present(sighting) for sighting in page])

    def retrieve(self, request, *args, **kwargs):
        return Response(self.present(self.get_object()))

    @extend_schema(request=SubmitSightingSerializer, responses={201: SightingSerializer})
    def create(self, request, *args, **kwargs):
        serializer = SubmitSightingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sighting = sighting_submit(owner=request.user, **serializer.validated_data)
        # The owner's own new row: the read model's owner view, no query (see sighting_seen_by_owner).
        detail = sighting_detail(
            sighting=sighting_seen_by_owner(sighting=sighting), viewer=request.user, fresh=True
        )
        return Response(sighting_representation(detail), status=status.HTTP_201_CREATED)

    @extend_schema(request=SightingUpdateSerializer, responses={200: SightingSerializer})
    def partial_update(self, request, *args, **kwargs):
        sighting = self.get_object()
        if sighting.owner_id != request.user.pk:
            self.permission_denied(request, message="Only the angler who submitted a sighting may edit it.")
        serializer = SightingUpdateSerializer(sighting, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(self.present(self.get_queryset().get(pk=sighting.pk)))

    def destroy(self, request, *args, **kwargs):
        """The angler who submitted it deletes a sighting, its history and its photos."""
        sighting = self.get_object()
        try:
            sighting_delete(sighting=sighting, user=request.user)
        except DjangoPermissionDenied as error:
            self.permission_denied(request, message=str(error))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: CandidateSerializer(many=True)})
    @action(detail=True, methods=["get"], serializer_class=CandidateSerializer)
    def candidates(self, request, pk=None, format=None):
        """The project's moderators: earlier sightings of the same species whose photos look most like
        this one, best first (nearest neighbours on the photos' embeddings)."""
        sighting = self.get_object()
        if not user_moderates(request.user, project_id=sighting.project_id):
            self.permission_denied(request, message="Only the project's moderators see candidate matches.")
        found = sighting_candidates(sighting=sighting, viewer=request.user)
        return Response(CandidateSerializer(found, many=True).data)

    @extend_schema(request=LinkSerializer, responses={200: SightingSerializer})
    @action(detail=True, methods=["post", "delete"], serializer_class=LinkSerializer)
    def individual(self, request, pk=None, format=None):
        """The project's moderators: say which individual the sighting shows (POST), or none (DELETE)."""
        sighting = self.get_object()
        if request.method == "DELETE":
            sighting_individual_unlink(sighting=sighting, user=request.user)
        else:
            given = LinkSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            sighting_link_from_request(sighting=sighting, data=given.validated_data, user=request.user)
        return Response(self.present(self.get_queryset().get(pk=sighting.pk)))

    @extend_schema(request=IdentifySerializer, responses={201: IdentificationSerializer})
    @action(detail=True, methods=["post"], serializer_class=IdentifySerializer)
    def identifications(self, request, pk=None):
        """Confirm the suggested species or name another: a new entry in the sighting's history."""
        sighting = self.get_object()
        serializer = IdentifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["confirm_suggestion"]:
            identification = identification_confirm_suggestion(
                sighting=sighting, user=request.user, comment=data["comment"]
            )
        else:
            species = Species.objects.filter(pk=data["species"]).first()
            if species is None:
                raise ValidationError({"species": "No species has this id."})
            identification = identification_set_species(
                sighting=sighting, species=species, user=request.user, comment=data["comment"]
            )
        return Response(IdentificationSerializer(identification).data, status=status.HTTP_201_CREATED)
