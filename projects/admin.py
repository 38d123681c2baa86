from django.contrib import admin

from .models import Membership, Project
from .selectors import user_project_roles
from .services import project_moderators_make_staff


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "negative_name", "open_to_all", "accepts_submissions", "active_model"]
    list_filter = ["open_to_all", "accepts_submissions"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["taxa", "regions"]
    readonly_fields = ["dataset_id", "active_model", "created_at"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.has_perm("projects.change_project"):
            return queryset
        return queryset.filter(pk__in=list(user_project_roles(user=request.user)))

    @admin.display(description="active model")
    def active_model(self, project):
        # Versions live in the classifier app, a layer above: read through the reverse relation.
        version = project.model_versions.filter(is_active=True).first()
        return str(version) if version else "none: new sightings wait for a moderator"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        project_moderators_make_staff(project=form.instance)
