"""The filters every export accepts.

Place filters (`bbox`, `region`) match the place each viewer is shown
(`sightings.visibility.sightings_in_area`), never the true one: a viewer who may not see true
locations could otherwise learn where an obscured or private sighting really is by shrinking a
box around it and watching whether it stays in the answer. Private rows (no point) never match,
obscured ones match by their cell point, and every count is taken after this filter.
"""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.gis.geos import Polygon
from django.db.models import Q
from django.utils import timezone
from django_filters import rest_framework as filters

from classifier.models import ModelVersion
from projects.models import Project
from regulations.models import Region
from regulations.selectors import species_get_by_key

from ..models import Sighting
from ..visibility import sightings_in_area

ANY_GRADE = "any"
DEFAULT_GRADE = Sighting.QualityGrade.VERIFIED
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(9999, 12, 30)


class BboxField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        parts = value.split(",")
        if len(parts) != 4:
            raise forms.ValidationError("Give min_lon,min_lat,max_lon,max_lat: four numbers.")
        try:
            min_lon, min_lat, max_lon, max_lat = (float(part) for part in parts)
        except ValueError:
            raise forms.ValidationError("Give min_lon,min_lat,max_lon,max_lat: four numbers.") from None
        if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
            raise forms.ValidationError("Longitudes must be between -180 and 180.")
        if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
            raise forms.ValidationError("Latitudes must be between -90 and 90.")
        if min_lon >= max_lon or min_lat >= max_lat:
            raise forms.ValidationError("The minimum must be smaller than the maximum on both axes.")
        return (min_lon, min_lat, max_lon, max_lat)


class SpeciesField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        species = species_get_by_key(key=value)
        if species is None:
            raise forms.ValidationError("No species has this id or scientific name.")
        return species


class RegionField(forms.CharField):
    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if not value:
            return None
        region = Region.objects.filter(pk=int(value)).first() if value.isascii() and value.isdigit() else None
        region = region or Region.objects.filter(code=value).first()
        if region is None:
            raise forms.ValidationError("No region has this code or id.")
        return region


class ProjectField(forms.CharField):
    def clean(self, value):
        value = (super().clean(value) or "").strip()
        if not value:
            return None
        project = Project.objects.filter(slug=value).first()
        if project is None:
            raise forms.ValidationError("No project has this slug.")
        return project


class DayField(forms.DateField):
    def clean(self, value):
        day = super().clean(value)
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise forms.ValidationError(f"Give a date from {EARLIEST_DAY} to {LATEST_DAY}.")
        return day


class DayFilter(filters.DateFilter):
    field_class = DayField


class BboxFilter(filters.Filter):
    field_class = BboxField


class SpeciesFilter(filters.Filter):
    field_class = SpeciesField


class RegionFilter(filters.Filter):
    field_class = RegionField


class ProjectFilter(filters.Filter):
    field_class = ProjectField


class ExportFilterSet(filters.FilterSet):
    project = ProjectFilter(
        method="filter_project", help_text="Project slug. Default: every project you may export."
    )
    species = SpeciesFilter(method="filter_species", help_text="Species id or scientific name.")
    quality_grade = filters.ChoiceFilter(
        choices=[*Sighting.QualityGrade.choices, (ANY_GRADE, "any grade")],
        method="filter_nothing",
        help_text="Default: verified; `any` for every grade.",
    )
    observed_from = DayFilter(method="filter_observed_from", help_text="First day, ISO date.")
    observed_to = DayFilter(method="filter_observed_to", help_text="Last day (included), ISO date.")
    bbox = BboxFilter(method="filter_bbox", help_text="min_lon,min_lat,max_lon,max_lat (WGS84).")
    region = RegionFilter(method="filter_region", help_text="Region code or id.")
    model_version = filters.ModelChoiceFilter(
        queryset=ModelVersion.objects.all(), method="filter_model_version", help_text="Model version id."
    )
    license = filters.ChoiceFilter(choices=Sighting.License.choices)

    class Meta:
        model = Sighting
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, viewer, beyond_grade=None, **kwargs):
        super().__init__(data=data, queryset=queryset, **kwargs)
        self.viewer = viewer
        self.beyond_grade = beyond_grade

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        grade = self.form.cleaned_data.get("quality_grade") or DEFAULT_GRADE
        if grade != ANY_GRADE:
            graded = Q(quality_grade=grade)
            queryset = queryset.filter(graded if self.beyond_grade is None else graded | self.beyond_grade)
        return queryset

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_project(self, queryset, name, value):
        return queryset.filter(project=value)

    def filter_species(self, queryset, name, value):
        return queryset.filter(species=value)

    def filter_observed_from(self, queryset, name, value):
        return queryset.filter(observed_at__gte=_day_start(value))

    def filter_observed_to(self, queryset, name, value):
        return queryset.filter(observed_at__lt=_day_start(value + timedelta(days=1)))

    def filter_model_version(self, queryset, name, value):
        return queryset.filter(classifications__model_version=value)

    def filter_bbox(self, queryset, name, value):
        return sightings_in_area(queryset=queryset, viewer=self.viewer, area=Polygon.from_bbox(value))

    def filter_region(self, queryset, name, value):
        return sightings_in_area(queryset=queryset, viewer=self.viewer, area=value.geometry)


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())
