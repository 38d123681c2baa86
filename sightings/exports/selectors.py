"""Reads for exports: which sightings, and what of each a viewer may learn, row by row."""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db.models import F, FloatField, Func, OuterRef, Subquery

from regulations.models import Region, Regulation, Species
from regulations.selectors import species_accepted, species_is_sensitive

from ..geoprivacy import public_location
from ..models import ExportJob, Identification, Prediction, Sighting
from ..roles import user_sees_true_locations
from .filters import ExportFilterSet

CHUNK_SIZE = 2000
COORDINATES_TRUE = "true"
COORDINATES_GENERALIZED = "generalized"


class Coordinates:
    """What one row's coordinates are."""

    EXACT = "exact"
    GENERALIZED = "generalized"
    WITHHELD = "withheld"
    NONE = ""


@dataclass
class ExportSelection:
    queryset: object
    viewer: object
    trusted: bool
    areas: list = field(default_factory=list)

    @property
    def coordinates(self):
        return COORDINATES_TRUE if self.trusted else COORDINATES_GENERALIZED


@dataclass(slots=True)
class ExportRow:
    id: object
    species_id: int | None
    scientific_name: str
    common_name: str
    rank: str
    kingdom: str
    quality_grade: str
    observed_at: object
    latitude: float | None
    longitude: float | None
    uncertainty_m: float | None
    coordinates: str
    sensitive: bool
    geoprivacy: str
    length_cm: object
    license: str
    public_photo: str
    top_label: str
    top_score: float | None
    model_version: str
    updated_at: object
    rights_holder: str = ""
    identified_by: str = ""


class _XY(NamedTuple):
    x: float
    y: float


@dataclass(slots=True)
class _Located:
    """The attributes of a sighting that `public_location` reads, without building a model instance."""

    pk: object
    location: _XY | None
    location_accuracy_m: float | None
    geoprivacy: str
    Geoprivacy = Sighting.Geoprivacy


def export_selection(*, params, viewer, queryset=None):
    """The sightings matching the export filters in `params`; raises ValidationError naming the field."""
    base = Sighting.objects.all() if queryset is None else queryset
    filterset = ExportFilterSet(data=params, queryset=base, viewer=viewer)
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    return ExportSelection(
        queryset=filterset.qs, viewer=viewer, trusted=user_sees_true_locations(viewer), areas=filterset.areas
    )


def export_count(*, selection):
    """Rows matching; for untrusted place filters an upper bound (see `filters`)."""
    return selection.queryset.order_by().count()


VALUES = (
    "pk", "species_id", "species__scientific_name", "species__common_name", "species__rank",
    "species__kingdom", "quality_grade", "observed_at", "latitude", "longitude", "location_accuracy_m",
    "geoprivacy", "length_cm", "license", "public_photo", "top_label", "top_score", "model_version_name",
    "updated_at",
)
PEOPLE_VALUES = ("owner__username", "owner__first_name", "owner__last_name", "identified_by")


def _annotated(queryset, *, people):
    top = Prediction.objects.filter(classification__sighting=OuterRef("pk"), rank=1).order_by(
        "-classification__created_at", "-classification_id"
    )
    queryset = queryset.annotate(
        latitude=Func(F("location"), function="ST_Y", output_field=FloatField()),
        longitude=Func(F("location"), function="ST_X", output_field=FloatField()),
        top_label=Subquery(top.values("label")[:1]),
        model_version_name=Subquery(top.values("classification__model_version__name")[:1]),
    )
    if people:
        deciding = Identification.objects.filter(
            sighting=OuterRef("pk"), is_current=True, species=OuterRef("species"), user__isnull=False
        ).order_by("-created_at", "-pk")
        queryset = queryset.annotate(identified_by=Subquery(deciding.values("user__username")[:1]))
    return queryset


def export_rows(*, selection, people=False, on_skip=None):
    """Each matching sighting as an ExportRow, with the place the viewer may see, streamed in chunks.

    `people` adds who holds the rights and who identified (for Darwin Core). Rows that a place
    filter drops after obscuring are reported to `on_skip` and not yielded.
    """
    queryset = _annotated(selection.queryset, people=people).order_by("pk")
    names = VALUES + (PEOPLE_VALUES if people else ())
    sensitive = SensitiveSpecies()
    for values in queryset.values_list(*names).iterator(chunk_size=CHUNK_SIZE):
        row = _row(values, people=people)
        _place(row, values=values, trusted=selection.trusted, sensitive=sensitive)
        if selection.areas and not _shown_inside(row, areas=selection.areas):
            if on_skip:
                on_skip(row)
            continue
        yield row


def _row(values, *, people):
    (pk, species_id, scientific_name, common_name, rank, kingdom, grade, observed_at, latitude, longitude,
     accuracy, geoprivacy, length_cm, license, public_photo, top_label, top_score, model_version,
     updated_at) = values[: len(VALUES)]
    row = ExportRow(
        id=pk, species_id=species_id, scientific_name=scientific_name or "", common_name=common_name or "",
        rank=rank or "", kingdom=kingdom or "", quality_grade=grade, observed_at=observed_at,
        latitude=latitude, longitude=longitude, uncertainty_m=accuracy, coordinates=Coordinates.NONE,
        sensitive=False, geoprivacy=geoprivacy, length_cm=length_cm, license=license,
        public_photo=public_photo or "", top_label=top_label or "", top_score=top_score,
        model_version=model_version or "", updated_at=updated_at,
    )
    if people:
        username, first_name, last_name, identified_by = values[len(VALUES):]
        row.rights_holder = f"{first_name} {last_name}".strip() or username
        row.identified_by = identified_by or (f"classifier {model_version}" if model_version else "")
    return row


def _place(row, *, values, trusted, sensitive):
    if row.latitude is None:
        row.latitude = row.longitude = row.uncertainty_m = None
        return
    row.sensitive = (
        not trusted
        and row.geoprivacy == Sighting.Geoprivacy.OPEN
        and sensitive.at(species_id=row.species_id, latitude=row.latitude, longitude=row.longitude)
    )
    located = _Located(
        pk=row.id, location=_XY(row.longitude, row.latitude), location_accuracy_m=row.uncertainty_m,
        geoprivacy=row.geoprivacy,
    )
    place = public_location(sighting=located, true_location_allowed=trusted, force_obscure=row.sensitive)
    row.latitude, row.longitude, row.uncertainty_m = place.latitude, place.longitude, place.uncertainty_m
    if place.withheld:
        row.coordinates = Coordinates.WITHHELD
    elif place.obscured:
        row.coordinates = Coordinates.GENERALIZED
    else:
        row.coordinates = Coordinates.EXACT


def _shown_inside(row, *, areas):
    if row.latitude is None:
        return False
    point = Point(row.longitude, row.latitude, srid=4326)
    return all(area.intersects(point) for area in areas)


class SensitiveSpecies:
    """`species_is_sensitive`, asked only for species that some sensitive regulation may cover.

    The candidates are the accepted species whose own entry, genus or family appears in a
    sensitive regulation (a superset of what `species_is_sensitive` matches); every other species
    is answered without a query.
    """

    def __init__(self):
        self._species = {}
        self._candidate = {}
        taxa = Regulation.objects.filter(sensitive=True).values_list("species__pk", "species__scientific_name")
        self._ids = {pk for pk, _ in taxa if pk is not None}
        self._names = {name.lower() for _, name in taxa if name}

    def at(self, *, species_id, latitude, longitude):
        if species_id is None or not self._ids:
            return False
        if species_id not in self._candidate:
            species = Species.objects.get(pk=species_id)
            accepted = species_accepted(species=species)
            names = {accepted.scientific_name.lower(), accepted.scientific_name.split()[0].lower()}
            if accepted.family:
                names.add(accepted.family.lower())
            self._species[species_id] = species
            self._candidate[species_id] = accepted.pk in self._ids or bool(names & self._names)
        if not self._candidate[species_id]:
            return False
        return species_is_sensitive(
            species=self._species[species_id], point=Point(longitude, latitude, srid=4326)
        )


class CountryCodes:
    """The ISO country of a shown point, from the smallest region with a country code holding it."""

    def __init__(self):
        self._regions = [
            (region.geometry.prepared, region.country_code)
            for region in Region.objects.exclude(country_code="").only("geometry", "country_code").order_by("area")
        ]

    def of(self, *, latitude, longitude):
        if latitude is None or not self._regions:
            return ""
        point = Point(longitude, latitude, srid=4326)
        for geometry, code in self._regions:
            if geometry.intersects(point):
                return code
        return ""


def export_jobs_of(*, user):
    return ExportJob.objects.filter(owner=user)
