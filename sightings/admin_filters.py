"""List filters of the moderation queue."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Subquery

from regulations.models import Region


class ConfidenceListFilter(admin.SimpleListFilter):
    """Bands of the top prediction's score (needs `sightings_moderation_annotate`)."""

    title = "model confidence"
    parameter_name = "confidence"
    BANDS = {
        "low": ("below 0.5", {"top_score__lt": 0.5}),
        "medium": ("0.5 to 0.8", {"top_score__gte": 0.5, "top_score__lt": 0.8}),
        "high": ("0.8 and above", {"top_score__gte": 0.8}),
        "none": ("not classified", {"top_score__isnull": True}),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() not in self.BANDS:
            raise IncorrectLookupParameters(f"Unknown confidence band {self.value()!r}.")
        return queryset.filter(**self.BANDS[self.value()][1])


class RegionListFilter(admin.SimpleListFilter):
    """Sightings whose location lies in (intersects) a region's geometry."""

    title = "region"
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [
            (str(pk), f"{name} ({Region.Kind(kind).label})" if kind in Region.Kind.values else name)
            for pk, name, kind in Region.objects.order_by("name").values_list("pk", "name", "kind")
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not (self.value().isascii() and self.value().isdigit()):
            raise IncorrectLookupParameters(f"Unknown region {self.value()!r}.")
        geometry = Region.objects.filter(pk=int(self.value())).values("geometry")[:1]
        return queryset.filter(location__intersects=Subquery(geometry))
