"""The signed-in person's own settings: how they are credited in published data."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Contributor
from ..services.contributors import contributor_credit_set, contributor_get
from .fields import TextField


class CreditSerializer(serializers.Serializer):
    credit = serializers.ChoiceField(
        choices=Contributor.Credit.choices,
        help_text="none: records carry no name and cannot be linked to each other; pseudonym: a stable "
        "pseudonym links them without naming you; name: credit_name is published.",
    )
    credit_name = TextField(max_length=200, required=False, allow_blank=True, default="")


class CreditView(APIView):
    """How you are credited as recordedBy, rightsHolder and identifiedBy in Darwin Core Archives."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: CreditSerializer})
    def get(self, request):
        contributor = contributor_get(user=request.user)
        return Response(CreditSerializer(contributor).data)

    @extend_schema(request=CreditSerializer, responses={200: CreditSerializer})
    def put(self, request):
        serializer = CreditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contributor = contributor_credit_set(user=request.user, **serializer.validated_data)
        return Response(CreditSerializer(contributor).data)
