from rest_framework import serializers

from ..models import Membership, Project


class ProjectSerializer(serializers.ModelSerializer):
    taxa: serializers.SlugRelatedField = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="scientific_name", help_text="Empty: any taxon."
    )
    regions: serializers.SlugRelatedField = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text="Empty: anywhere."
    )
    your_role = serializers.SerializerMethodField(help_text="Your role in the project, or null.")

    class Meta:
        model = Project
        fields = [
            "slug",
            "name",
            "description",
            "negative_name",
            "open_to_all",
            "accepts_submissions",
            "dataset_id",
            "taxa",
            "regions",
            "your_role",
        ]

    def get_your_role(self, project: Project) -> str | None:
        roles = self.context.get("roles", {})
        role = roles.get(project.pk)
        return role if role in Membership.Role.values else None
