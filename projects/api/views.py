from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from ..selectors import projects_listed_for, user_project_roles
from .serializers import ProjectSerializer


class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    """The projects you may submit to or belong to: their taxa, places and your role."""

    permission_classes = [AllowAny]
    serializer_class = ProjectSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self):
        return projects_listed_for(user=self.request.user).prefetch_related("taxa", "regions")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "roles": user_project_roles(user=self.request.user)}
