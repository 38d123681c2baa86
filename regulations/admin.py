from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from regulations.models import Authority, Region, Regulation, Season, Species


@admin.register(Species)
class SpeciesAdmin(admin.ModelAdmin):
    list_display = ["scientific_name", "common_name", "rank", "family", "venomous", "merged_into"]
    list_filter = ["rank", "venomous", "kingdom"]
    search_fields = ["scientific_name", "common_name", "family"]
    # A merge moves sightings and re-derives their identity: it is done on the sightings admin's
    # "Merge species" page, never by editing this field.
    readonly_fields = ["merged_into"]


@admin.register(Authority)
class AuthorityAdmin(admin.ModelAdmin):
    list_display = ["name", "url"]
    search_fields = ["name"]


@admin.register(Region)
class RegionAdmin(GISModelAdmin):
    """The map widget loads OpenLayers and OpenStreetMap tiles from their CDNs (admin only)."""

    list_display = ["name", "code", "kind", "parent", "authority", "area"]
    list_filter = ["kind", "authority"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "authority"]
    readonly_fields = ["area"]


class SeasonInline(admin.TabularInline):
    model = Season
    extra = 0
    fields = ["kind", "start", "end", "daily_bag_limit", "min_length_cm"]


@admin.register(Regulation)
class RegulationAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "region",
        "status",
        "group_name",
        "daily_bag_limit",
        "min_length_cm",
        "sensitive",
        "last_checked",
    ]
    list_filter = ["status", "sensitive", "catch_and_release_only", "region__kind", "region"]
    search_fields = ["code", "group_name", "species__scientific_name", "species__common_name", "region__name"]
    autocomplete_fields = ["region", "species"]
    date_hierarchy = "last_checked"
    inlines = [SeasonInline]
    list_select_related = ["region"]
