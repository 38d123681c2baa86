"""The moderation admin: a queue of sightings, their identification history and its audit log.

Thin on purpose: every identification and merge goes through sightings.identifications; the
sighting's species and quality grade are derived there and read-only here.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, QuerySet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.html import format_html

from regulations.models import Species

from .admin_filters import ConfidenceListFilter, RegionListFilter
from .individuals.selectors import sighting_candidates
from .models import Contributor, Identification, Individual, Sighting, SightingEmbedding
from .roles import EVERY_PROJECT, admin_sighting_projects, user_moderates, user_moderates_any
from .selectors import sighting_latest_classification, sightings_in_admin_scope
from .services.identifications import (
    identification_confirm_suggestion,
    identification_set_species,
    identifications_confirm_suggested_bulk,
    identifications_set_species_bulk,
    sighting_suggestion_get,
    species_merge,
)
from .services.individuals import sighting_individual_match
from .visibility import seen_photo_url, sighting_place, sightings_seen_by


def species_label(species):
    """A species as moderators read it, naming what it became when it was merged."""
    if species is None:
        return "—"
    if species.merged_into_id is not None:
        return f"{species} (now {species.merged_into})"
    return str(species)


def species_field(*, label, required, help_text=""):
    return forms.ModelChoiceField(
        label=label,
        required=required,
        help_text=help_text,
        queryset=Species.objects.filter(merged_into__isnull=True),
        widget=AutocompleteSelect(Identification._meta.get_field("species"), admin.site),
    )


class EstimatedCountPaginator(Paginator):
    """Counts an unfiltered list of a huge PostgreSQL table from the planner's statistics, and reads
    a later page in two steps: the page's keys first, then the page's rows with the read model's
    annotations. Fetched in one step, the database computes every annotation of every row skipped
    by the OFFSET too: page 100 took three times as long as page 1 (bench/RESULTS.md)."""

    ESTIMATE_ABOVE = 50_000

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset: QuerySet = self.object_list  # type: ignore[assignment]
        if bottom == 0:
            return Page(queryset[bottom:top], number, self)
        keys = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in queryset.order_by().filter(pk__in=keys)}
        return Page([rows[key] for key in keys if key in rows], number, self)

    @cached_property
    def count(self):
        queryset: QuerySet = self.object_list  # type: ignore[assignment]
        query = queryset.query
        if connection.vendor == "postgresql" and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] >= self.ESTIMATE_ABOVE:
                return int(row[0])
        return queryset.count()


class SightingModerationForm(forms.ModelForm):
    confirm_suggestion = forms.BooleanField(
        required=False,
        label="Confirm the suggested species",
        help_text="Accept the classifier's top suggestion.",
    )
    set_species = species_field(
        label="Set species",
        required=False,
        help_text="Records your identification; earlier identifications stay in the history.",
    )
    identification_comment = forms.CharField(required=False, max_length=500, label="Comment")

    class Meta:
        model = Sighting
        fields = ()

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("confirm_suggestion") and cleaned.get("set_species"):
            raise ValidationError("Either confirm the suggestion or set a species, not both.")
        if cleaned.get("confirm_suggestion") and sighting_suggestion_get(sighting=self.instance) is None:
            self.add_error("confirm_suggestion", "The classifier suggested no species for this sighting.")
        return cleaned


class SetSpeciesActionForm(forms.Form):
    species = species_field(label="Species", required=True)
    comment = forms.CharField(required=False, max_length=500)


class MergeSpeciesForm(forms.Form):
    source = species_field(
        label="Merge this species", required=True, help_text="The old name: it stays, marked merged."
    )
    target = species_field(label="into this species", required=True)


class IdentificationInline(admin.TabularInline):
    """The history, oldest first; read-only: identifications are appended through the form above."""

    model = Identification
    extra = 0
    can_delete = False
    ordering = ["created_at", "pk"]
    fields = readonly_fields = [  # type: ignore[assignment]
        "created_at",
        "author",
        "source",
        "transition",
        "from_suggestion",
        "is_current",
        "comment",
    ]
    verbose_name_plural = "identification history"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "model_version", "species__merged_into", "previous_species__merged_into")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="who")
    def author(self, identification):
        return identification_author(identification)

    @admin.display(description="from → to")
    def transition(self, identification):
        return f"{species_label(identification.previous_species)} → {species_label(identification.species)}"


def identification_author(identification):
    if identification.user_id is not None:
        return identification.user.get_username()
    if identification.source != Identification.Source.MACHINE:
        return "(deleted user)"
    return str(identification.model_version) if identification.model_version_id else "classifier"


@admin.register(Sighting)
class SightingAdmin(admin.ModelAdmin):
    form = SightingModerationForm
    inlines = [IdentificationInline]
    list_display_links = ["short_id"]
    # Uncertain answers first: they need a person most.
    ordering = ["-uncertain", "-created_at"]
    list_filter = [
        "project",
        "status",
        "quality_grade",
        "uncertain",
        ConfidenceListFilter,
        "species",
        RegionListFilter,
        ("observed_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["owner", "species"]
    list_per_page = 50
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    search_fields = ["species__scientific_name", "species__common_name", "owner__username", "notes"]
    search_help_text = "Species name, owner's username or words of the notes."
    actions = ["confirm_suggested_species", "set_species"]
    # Every field of the sighting itself is read-only here: moderators write identifications only.
    summary_fields = [
        "project",
        "owner",
        "status",
        "species",
        "quality_grade",
        "observed_at",
        "length_cm",
        "notes",
    ]
    more_fields = [
        "geoprivacy",
        "license",
        "failure_reason",
        "created_at",
        "classified_at",
        "updated_at",
        "photo_sha256",
    ]
    fieldsets = [
        (None, {"fields": tuple(summary_fields)}),
        ("Identify", {"fields": ["confirm_suggestion", "set_species", "identification_comment"]}),
        ("More", {"classes": ["collapse"], "fields": tuple(more_fields)}),
    ]
    readonly_fields = [*summary_fields, *more_fields]

    def get_queryset(self, request):
        # The list shows no place and only the top prediction's name (see changelist_view).
        listing = getattr(request, "_sightings_listing", False)
        return sightings_seen_by(
            viewer=request.user,
            queryset=sightings_in_admin_scope(user=request.user, queryset=super().get_queryset(request)),
            places=not listing,
            prediction_details=not listing,
        )

    def has_add_permission(self, request):
        return False

    def has_moderate_permission(self, request):
        return user_moderates_any(request.user)

    def _may_identify(self, request, obj):
        return self.has_moderate_permission(request) and self.has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        if self._may_identify(request, obj):
            return self.fieldsets
        return [fieldset for fieldset in self.fieldsets if fieldset[0] != "Identify"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not self._may_identify(request, obj):
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    # --- The queue ------------------------------------------------------------------------------

    def get_list_display(self, request):
        @admin.display(description="photo")
        def thumbnail(sighting):
            url = seen_photo_url(name=sighting.seen_photo)
            if not url:
                return "—"
            return format_html(
                '<img src="{}" alt="" width="80" height="60" loading="lazy" style="object-fit: cover">', url
            )

        return [
            "short_id",
            thumbnail,
            "status",
            "quality_grade",
            "species",
            "top_prediction",
            "confidence",
            "observed_at",
            "owner",
        ]

    @admin.display(description="sighting", ordering="created_at")
    def short_id(self, sighting):
        return str(sighting.pk)[:8]

    @admin.display(description="top prediction")
    def top_prediction(self, sighting):
        return sighting.top_name or "—"

    @admin.display(description="confidence", ordering=F("top_score").asc(nulls_last=True))
    def confidence(self, sighting):
        if sighting.top_score is None:
            return "—"
        return f"{sighting.top_score:.2f}" + (" (uncertain)" if sighting.uncertain else "")

    def changelist_view(self, request, extra_context=None):
        request._sightings_listing = True
        extra_context = {**(extra_context or {}), "may_moderate": self.has_moderate_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)

    # --- Bulk actions ---------------------------------------------------------------------------

    @admin.action(description="Confirm suggested species", permissions=["moderate"])
    def confirm_suggested_species(self, request, queryset):
        selected = queryset.count()
        written = identifications_confirm_suggested_bulk(sightings=queryset, user=request.user)
        self._log_identifications(request, written, "Confirmed the suggested species (bulk action).")
        self.message_user(
            request, f"Confirmed the suggested species of {len(written)} sightings.", messages.SUCCESS
        )
        if selected > len(written):
            self.message_user(
                request,
                f"{selected - len(written)} sightings had no suggestion and were left alone.",
                messages.WARNING,
            )

    @admin.action(description="Set species to …", permissions=["moderate"])
    def set_species(self, request, queryset):
        form = SetSpeciesActionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            species = form.cleaned_data["species"]
            written = identifications_set_species_bulk(
                sightings=queryset, species=species, user=request.user, comment=form.cleaned_data["comment"]
            )
            self._log_identifications(request, written, f"Set species to {species} (bulk action).")
            self.message_user(
                request, f"Set the species of {len(written)} sightings to {species}.", messages.SUCCESS
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Set the species of the selected sightings",
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "count": queryset.count(),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sightings/sighting/set_species_action.html", context)

    def _log_identifications(self, request, identifications, message):
        sightings = [identification.sighting for identification in identifications]
        if sightings:
            LogEntry.objects.log_actions(
                user_id=request.user.pk, queryset=sightings, action_flag=CHANGE, change_message=message
            )

    # --- One sighting ---------------------------------------------------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["moderation"] = self._moderation_panel(request, obj)
            if user_moderates(request.user, project_id=obj.project_id):
                candidates = sighting_candidates(sighting=obj, viewer=request.user)
                context["individuals"] = {
                    "current": obj.individual,
                    "candidates": candidates,
                    # Only asked when no candidate came: which of the two empty answers to give.
                    "has_embedding": bool(candidates)
                    or SightingEmbedding.objects.filter(sighting=obj).exists(),
                }
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def _moderation_panel(self, request, sighting):
        suggestion = sighting_suggestion_get(sighting=sighting)
        place = sighting_place(sighting=sighting)
        return {
            "photo_url": seen_photo_url(name=sighting.seen_photo),
            "classification": sighting_latest_classification(sighting=sighting),
            "suggestion": Species.objects.filter(pk=suggestion.species_id).first() if suggestion else None,
            "latitude": None if place.hidden else place.latitude,
            "longitude": None if place.hidden else place.longitude,
            "location_hidden": place.hidden,
            "accuracy_m": place.uncertainty_m,
            "audit_url": reverse("admin:sightings_identification_changelist") + f"?sighting={sighting.pk}",
        }

    def save_model(self, request, obj, form, change):
        # All of the sighting's own fields are read-only: nothing but an identification is written.
        data = form.cleaned_data
        comment = data.get("identification_comment", "")
        if data.get("confirm_suggestion"):
            form.identification = identification_confirm_suggestion(
                sighting=obj, user=request.user, comment=comment
            )
        elif data.get("set_species"):
            form.identification = identification_set_species(
                sighting=obj, species=data["set_species"], user=request.user, comment=comment
            )

    def construct_change_message(self, request, form, formsets, add=False):
        identification = getattr(form, "identification", None)
        if identification is None:
            return []
        how = " by confirming the suggestion" if identification.from_suggestion else ""
        return f"Identified as {identification.species} ({identification.get_source_display()}){how}."

    # --- Species merge --------------------------------------------------------------------------

    def get_urls(self):
        merge = path(
            "merge-species/",
            self.admin_site.admin_view(self.merge_species_view),
            name="sightings_sighting_merge_species",
        )
        individual = path(
            "<uuid:sighting_id>/individual/",
            self.admin_site.admin_view(self.individual_view),
            name="sightings_sighting_individual",
        )
        return [merge, individual, *super().get_urls()]

    def individual_view(self, request, sighting_id):
        """The one-click match: POST same_as=<earlier sighting id>."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:sightings_sighting_change", args=[sighting_id]))
        sighting = self.get_queryset(request).filter(pk=sighting_id).first()
        candidate = self.get_queryset(request).filter(pk=request.POST.get("same_as") or None).first()
        if sighting is None or candidate is None:
            raise PermissionDenied
        try:
            individual = sighting_individual_match(sighting=sighting, candidate=candidate, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=Sighting.objects.filter(pk=sighting.pk),
                action_flag=CHANGE,
                change_message=f"Linked to the individual {individual.name} (same as {candidate.pk}).",
            )
            self.message_user(request, f"This sighting now shows {individual.name}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:sightings_sighting_change", args=[sighting_id]))

    def merge_species_view(self, request):
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        form = MergeSpeciesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            source, target = form.cleaned_data["source"], form.cleaned_data["target"]
            try:
                moved = species_merge(source=source, target=target, user=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request, f"Merged {source} into {target}: {moved} sightings moved.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:sightings_sighting_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge a species into another",
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sightings/sighting/merge_species.html", context)


@admin.register(Identification)
class IdentificationAdmin(admin.ModelAdmin):
    """The audit log of identifications: nobody adds, edits or deletes them here."""

    list_display = [
        "created_at",
        "sighting_link",
        "source",
        "author",
        "transition",
        "from_suggestion",
        "is_current",
    ]
    list_filter = ["source", "from_suggestion", "is_current", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["user", "model_version", "species__merged_into", "previous_species__merged_into"]
    search_fields = ["user__username", "species__scientific_name", "species__common_name", "comment"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_queryset(self, request):
        scope = admin_sighting_projects(request.user)
        queryset = super().get_queryset(request)
        return queryset if scope is EVERY_PROJECT else queryset.filter(sighting__project_id__in=sorted(scope))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="sighting")
    def sighting_link(self, identification):
        url = reverse("admin:sightings_sighting_change", args=[identification.sighting_id])
        return format_html('<a href="{}">{}</a>', url, str(identification.sighting_id)[:8])

    @admin.display(description="who")
    def author(self, identification):
        return identification_author(identification)

    @admin.display(description="from → to")
    def transition(self, identification):
        return f"{species_label(identification.previous_species)} → {species_label(identification.species)}"


@admin.register(Contributor)
class ContributorAdmin(admin.ModelAdmin):
    """How each person chose to be credited in published data (they set it themselves, in the API)."""

    list_display = ["user", "credit", "credit_name", "updated_at"]
    list_filter = ["credit"]
    search_fields = ["user__username", "credit_name"]
    readonly_fields = ["user", "credit", "credit_name", "updated_at"]

    def has_add_permission(self, request):
        return False


class IndividualSightingInline(admin.TabularInline):
    model = Sighting
    fk_name = "individual"
    fields = ["observed_at", "owner", "individual_linked_by", "individual_linked_at"]
    readonly_fields = ["observed_at", "owner", "individual_linked_by", "individual_linked_at"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Individual)
class IndividualAdmin(admin.ModelAdmin):
    """Named animals; sightings join them from the sighting's page ("Same individual")."""

    list_display = ["name", "project", "species", "created_at"]
    list_filter = ["project"]
    list_select_related = ["project", "species"]
    search_fields = ["name", "notes"]
    autocomplete_fields = ["species"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [IndividualSightingInline]

    def get_queryset(self, request):
        scope = admin_sighting_projects(request.user)
        queryset = super().get_queryset(request)
        return queryset if scope is EVERY_PROJECT else queryset.filter(project_id__in=sorted(scope))

    def has_module_permission(self, request):
        return user_moderates_any(request.user)

    def has_view_permission(self, request, obj=None):
        return user_moderates_any(request.user) and (
            obj is None or user_moderates(request.user, project_id=obj.project_id)
        )

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return user_moderates_any(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not user_moderates(request.user, project_id=obj.project_id):
            raise PermissionDenied
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
