"""List filters of the moderation queue."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters

from regulations.models import Region

from .visibility import sightings_in_area


class ConfidenceListFilter(admin.SimpleListFilter):
    """Bands of the top prediction's score (the indexed Sighting.top_score)."""

    title = "model confidence"
    parameter_name = "confidence"
    BANDS: dict[str, tuple[str, dict[str, float | bool]]] = {
        "low": ("below 0.5", {"top_score__lt": 0.5}),
        "medium": ("0.5 to 0.8", {"top_score__gte": 0.5, "top_score__lt": 0.8}),
        "high": ("0.8 and above", {"top_score__gte": 0.8}),
        "none": ("not classified", {"top_score__isnull": True}),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.BANDS.items()]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in self.BANDS:
            raise IncorrectLookupParameters(f"Unknown confidence band {value!r}.")
        return queryset.filter(**self.BANDS[value][1])


class RegionListFilter(admin.SimpleListFilter):
    """Sightings whose place, as the moderator may see it, lies in (intersects) a region's geometry."""

    title = "region"
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [
            (str(pk), f"{name} ({Region.Kind(kind).label})" if kind in Region.Kind.values else name)
            for pk, name, kind in Region.objects.order_by("name").values_list("pk", "name", "kind")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        region = None
        if value.isascii() and value.isdigit():
            region = Region.objects.filter(pk=int(value)).only("geometry").first()
        if region is None:
            raise IncorrectLookupParameters(f"Unknown region {value!r}.")
        return sightings_in_area(queryset=queryset, viewer=request.user, area=region.geometry)
