"""Reads for exports: which sightings, and what of each a viewer may learn, row by row.

Rows come from `sightings.visibility.sightings_seen_by`: the place, the photo and the top
prediction are what the viewer may see, computed in the database. The filters (see `filters`)
match the shown place too, so the count of a selection is exactly the rows an export writes.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import Point, Polygon
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, QuerySet, Subquery

from regulations.models import Region

from ..geoprivacy import cell_bounds
from ..models import ExportJob, Identification, Sighting
from ..roles import EVERY_PROJECT, export_projects, in_scope
from ..strict_filters import query_parameters_check
from ..visibility import Place, SeenPlace, Viewer, place_build, seen_utc_offset, sightings_seen_by
from .filters import ExportFilterSet

CHUNK_SIZE = 2000
COORDINATES_TRUE = "true"
COORDINATES_GENERALIZED = "generalized"


class Coordinates:
    """What one row's coordinates are."""

    EXACT = SeenPlace.EXACT
    GENERALIZED = SeenPlace.GENERALIZED
    WITHHELD = SeenPlace.WITHHELD
    NONE = SeenPlace.NONE


@dataclass
class ExportSelection:
    queryset: QuerySet
    viewer: Any
    trusted: bool
    # The rows the filters match before the format's own rules narrowed them (to say what those left out).
    matched: QuerySet | None = None

    @property
    def coordinates(self) -> str:
        return COORDINATES_TRUE if self.trusted else COORDINATES_GENERALIZED


@dataclass(slots=True)
class ExportRow:
    id: Any
    species_id: int | None
    scientific_name: str
    common_name: str
    rank: str
    kingdom: str
    quality_grade: str
    observed_at: Any
    latitude: float | None
    longitude: float | None
    uncertainty_m: float | None
    coordinates: str
    geoprivacy: str
    length_cm: Any
    license: str
    public_photo: str
    top_label: str
    top_score: float | None
    model_version: str
    updated_at: Any
    project: str
    dataset_id: Any
    dataset_name: str
    individual_id: Any
    # Minutes east of UTC of the local time the viewer may learn (see visibility.seen_utc_offset).
    utc_offset: int | None = None
    # The top prediction's species name (or its label when it names no species).
    top_name: str = ""
    owner_id: int | None = None
    identified_by_id: int | None = None


def export_selection(
    *, params, viewer, narrow=None, beyond_grade: Q | None = None, publishable: bool = False
) -> ExportSelection:
    """The sightings matching the export filters in `params`, as `viewer` may see them (or, for an
    export made to be `publishable`, as the public sees them, whoever asks).

    `narrow` (an exporter's `narrow`) restricts the rows before anything is counted; rows matching
    `beyond_grade` pass the quality-grade filter whatever their grade. Raises ValidationError
    naming the field.
    """
    query_parameters_check(params=params, known=set(ExportFilterSet.base_filters))
    # Place filters match the place each row is shown at (see filters).
    seen_by = Viewer.of(None if publishable else viewer)
    filterset = ExportFilterSet(
        data=params, queryset=Sighting.objects.all(), viewer=seen_by, beyond_grade=beyond_grade
    )
    if not filterset.is_valid():
        raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
    scope = _exported_projects(viewer=viewer, asked=filterset.form.cleaned_data.get("project"))
    queryset = filterset.qs
    if scope is not EVERY_PROJECT:
        queryset = queryset.filter(project_id__in=sorted(scope))
    matched = queryset
    if narrow is not None:
        queryset = narrow(queryset)
    # Exports carry the EXIF-free copy only, the viewer's own sightings included.
    queryset = sightings_seen_by(viewer=seen_by, queryset=queryset, originals=False)
    trusted = seen_by.sees_true_locations or (
        scope is not EVERY_PROJECT and scope <= seen_by.true_location_projects
    )
    return ExportSelection(queryset=queryset, viewer=viewer, trusted=trusted, matched=matched)


def _exported_projects(*, viewer, asked) -> frozenset[int] | None:
    """The projects an export of `viewer` reads: those they may export, narrowed to `asked`."""
    scope = export_projects(viewer)
    if asked is None:
        return scope
    if not in_scope(scope, asked.pk):
        raise ValidationError({"project": [f"You may not export the data of {asked.name}."]})
    return frozenset({asked.pk})


def export_count(*, selection: ExportSelection) -> int:
    """The number of rows the export of this selection writes (or skips for want of a photo)."""
    return selection.queryset.order_by().count()


VALUES = (
    "pk",
    "species_id",
    "species__scientific_name",
    "species__common_name",
    "species__rank",
    "species__kingdom",
    "quality_grade",
    "observed_at",
    "seen_latitude",
    "seen_longitude",
    "location_accuracy_m",
    "seen_place",
    "geoprivacy",
    "length_cm",
    "license",
    "seen_photo",
    "top_label",
    "top_score",
    "top_model_version_name",
    "updated_at",
    "project__slug",
    "project__dataset_id",
    "project__name",
    "individual_id",
    "utc_offset_minutes",
    "top_name",
)
PEOPLE_VALUES = ("owner_id", "identified_by_id")


def _identified_by(queryset: QuerySet) -> QuerySet:
    deciding = Identification.objects.filter(
        sighting=OuterRef("pk"), is_current=True, species=OuterRef("species"), user__isnull=False
    ).order_by("-created_at", "-pk")
    return queryset.annotate(identified_by_id=Subquery(deciding.values("user_id")[:1]))


def export_rows(*, selection: ExportSelection, people: bool = False) -> Iterator[ExportRow]:
    """Each selected sighting as an ExportRow with the place the viewer may see, streamed in chunks.

    `people` adds who recorded and who identified it (user ids, for Darwin Core's credits).
    """
    queryset = selection.queryset
    if people:
        queryset = _identified_by(queryset)
    names = VALUES + (PEOPLE_VALUES if people else ())
    for values in queryset.order_by("pk").values_list(*names).iterator(chunk_size=CHUNK_SIZE):
        yield _row(values, people=people)


def _row(values, *, people: bool) -> ExportRow:
    (
        pk,
        species_id,
        scientific_name,
        common_name,
        rank,
        kingdom,
        grade,
        observed_at,
        latitude,
        longitude,
        accuracy,
        seen_place,
        geoprivacy,
        length_cm,
        license,
        photo,
        top_label,
        top_score,
        model_version,
        updated_at,
        project,
        dataset_id,
        dataset_name,
        individual_id,
        observer_offset,
        top_name,
    ) = values[: len(VALUES)]
    place: Place = place_build(kind=seen_place, latitude=latitude, longitude=longitude, accuracy_m=accuracy)
    row = ExportRow(
        id=pk,
        species_id=species_id,
        scientific_name=scientific_name or "",
        common_name=common_name or "",
        rank=rank or "",
        kingdom=kingdom or "",
        quality_grade=grade,
        observed_at=observed_at,
        latitude=place.latitude,
        longitude=place.longitude,
        uncertainty_m=place.uncertainty_m,
        coordinates=place.kind,
        geoprivacy=geoprivacy,
        length_cm=length_cm,
        license=license,
        public_photo=photo or "",
        top_label=top_label or "",
        top_score=top_score,
        model_version=model_version or "",
        updated_at=updated_at,
        project=project,
        dataset_id=dataset_id,
        dataset_name=dataset_name,
        individual_id=individual_id,
        utc_offset=seen_utc_offset(place=place, moment=observed_at, observer_offset=observer_offset),
        top_name=top_name or "",
    )
    if people:
        row.owner_id, row.identified_by_id = values[len(VALUES) :]
    return row


@dataclass(frozen=True)
class PlaceNames:
    country_code: str = ""
    state_province: str = ""
    water_body: str = ""


class RegionNames:
    """The country, state or province and water body of a row's place, as precise as the place
    shown and never more: regions holding an exact point, regions covering the whole grid cell of
    a generalized one, none for a withheld place."""

    def __init__(self):
        self._regions = [
            (region.geometry.prepared, region.geometry.extent, region.kind, region.name, region.country_code)
            for region in Region.objects.only("geometry", "kind", "name", "country_code").order_by("area")
        ]
        self._cells: dict[tuple[float, ...], PlaceNames] = {}

    def of(self, row: ExportRow) -> PlaceNames:
        if row.latitude is None or row.longitude is None or not self._regions:
            return PlaceNames()
        if row.coordinates == Coordinates.GENERALIZED:
            bounds = cell_bounds(latitude=row.latitude, longitude=row.longitude)
            if bounds not in self._cells:
                self._cells[bounds] = self._names(Polygon.from_bbox(bounds), bounds)
            return self._cells[bounds]
        if row.coordinates == Coordinates.EXACT:
            point = Point(row.longitude, row.latitude, srid=4326)
            return self._names(point, (row.longitude, row.latitude, row.longitude, row.latitude))
        return PlaceNames()

    def _names(self, shape, bounds) -> PlaceNames:
        found: dict[str, str] = {}
        west, south, east, north = bounds
        for prepared, (x0, y0, x1, y1), kind, name, country_code in self._regions:
            if west < x0 or east > x1 or south < y0 or north > y1 or not prepared.covers(shape):
                continue
            if country_code:
                found.setdefault("country_code", country_code)
            if kind == Region.Kind.STATE_WATERS:
                found.setdefault("state_province", name)
            if kind == Region.Kind.LAKE:
                found.setdefault("water_body", name)
        return PlaceNames(**found)


def export_jobs_of(*, user) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(owner=user)
