"""What a viewer may see of sightings: the one place where this is decided.

Every page, API answer, map point, admin screen and export reads sightings through
`sightings_seen_by`, which annotates each row with what this viewer may know:

- `seen_place`: `exact`, `generalized` (the stable point in the 0.2-degree cell), `withheld`
  (a private place) or `""` (the sighting has no place);
- `seen_latitude` / `seen_longitude`: the point shown, or NULL;
- `seen_photo`: the stored photo the viewer may be sent (the upload for its owner, the EXIF-free
  copy for everyone else);
- `top_label`, `top_species_id`, `top_name`, `top_model_version_id`, `top_model_version_name`:
  the newest classification's top prediction.

Who sees what: the owner, moderators and trusted researchers see true places: platform-wide ones
(`sightings.view_true_location`) everywhere, a project's own in that project (sightings.roles).
Everyone else sees an obscured sighting, and an open one whose species a regulation marks
sensitive anywhere in its grid cell, at its cell's point, and a private one nowhere. The
sensitive-species decision looks at the whole cell, never at the true point, so whether a place
is hidden tells nothing finer than the cell.

Place filters (`sightings_in_area`) and everything counted from them use the shown point only, so
no sequence of filtered queries narrows a hidden place below its cell.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from regulations.models import Region
from regulations.selectors import regulations_for, sensitive_species_by_region
from regulations.time_zones import local_time, offset_at

from .geoprivacy import cell_uncertainty_m
from .models import Prediction, Sighting
from .photo_links import storage_signed_url
from .roles import EVERY_PROJECT, moderated_projects, true_location_projects

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    # Who may be looking: a user (signed in or not), nobody, or a Viewer already made of one.
    ViewerLike: TypeAlias = "Viewer | User | AnonymousUser | None"


class SeenPlace:
    EXACT = "exact"
    GENERALIZED = "generalized"
    WITHHELD = "withheld"
    NONE = ""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the only facts the read model needs about a user.

    `sees_true_locations` and `is_moderator` hold in every project; `true_location_projects`
    names the projects where a project role gives exact places.
    """

    user_id: int | None
    sees_true_locations: bool
    is_moderator: bool
    true_location_projects: frozenset[int] = frozenset()

    @classmethod
    def of(cls, user: "ViewerLike") -> "Viewer":
        if isinstance(user, Viewer):
            return user
        if user is None or not user.is_authenticated:
            return cls(user_id=None, sees_true_locations=False, is_moderator=False)
        true_locations = true_location_projects(user)
        return cls(
            user_id=user.pk,
            sees_true_locations=true_locations is EVERY_PROJECT,
            is_moderator=moderated_projects(user) is EVERY_PROJECT,
            true_location_projects=true_locations or frozenset(),
        )


@dataclass(frozen=True)
class Place:
    """The place of one sighting as a viewer may see it."""

    latitude: float | None
    longitude: float | None
    uncertainty_m: float | None
    kind: str

    @property
    def hidden(self) -> bool:
        return self.kind in (SeenPlace.GENERALIZED, SeenPlace.WITHHELD)

    @property
    def point(self) -> Point | None:
        if self.latitude is None or self.longitude is None:
            return None
        return Point(x=self.longitude, y=self.latitude, srid=4326)


class _Conditions:
    """The SQL conditions that sort a viewer's rows into exact, generalized and withheld."""

    def __init__(self, viewer: Viewer):
        located = Q(location__isnull=False)
        if viewer.sees_true_locations:
            self.exact, self.generalized, self.withheld = located, None, None
            return
        always_exact = Q(owner_id=viewer.user_id) if viewer.user_id is not None else None
        if viewer.true_location_projects:
            trusted_here = Q(project_id__in=sorted(viewer.true_location_projects))
            always_exact = trusted_here if always_exact is None else always_exact | trusted_here
        sensitive = _sensitive_condition()
        shown_exactly = Q(geoprivacy=Sighting.Geoprivacy.OPEN)
        obscured = Q(geoprivacy=Sighting.Geoprivacy.OBSCURED)
        if sensitive is not None:
            shown_exactly &= ~sensitive
            obscured |= Q(geoprivacy=Sighting.Geoprivacy.OPEN) & sensitive
        private = Q(geoprivacy=Sighting.Geoprivacy.PRIVATE)
        if always_exact is not None:
            shown_exactly |= always_exact
            obscured &= ~always_exact
            private &= ~always_exact
        self.exact = located & shown_exactly
        self.generalized = located & obscured
        self.withheld = located & private


def _sensitive_condition() -> Q | None:
    """True for rows whose species a sensitive regulation covers in a region touching the row's cell."""
    condition = None
    for region_id, species_ids in sensitive_species_by_region().items():
        touches = Exists(Region.objects.filter(pk=region_id, geometry__intersects=OuterRef("cell")))
        term = Q(species_id__in=sorted(species_ids)) & Q(touches)
        condition = term if condition is None else condition | term
    return condition


def _coordinate(function: str, conditions: _Conditions) -> Case:
    whens = [When(conditions.exact, then=Func(F("location"), function=function, output_field=FloatField()))]
    if conditions.generalized is not None:
        whens.append(
            When(
                conditions.generalized,
                then=Func(F("cell_point"), function=function, output_field=FloatField()),
            )
        )
    return Case(*whens, default=None, output_field=FloatField())


def _place_kind(conditions: _Conditions) -> Case:
    whens = [When(conditions.exact, then=Value(SeenPlace.EXACT))]
    if conditions.generalized is not None:
        whens.append(When(conditions.generalized, then=Value(SeenPlace.GENERALIZED)))
    if conditions.withheld is not None:
        whens.append(When(conditions.withheld, then=Value(SeenPlace.WITHHELD)))
    return Case(*whens, default=Value(SeenPlace.NONE), output_field=CharField())


_TOP_PREDICTION_ANNOTATIONS = (
    "top_name",
    "top_label",
    "top_species_id",
    "top_model_version_id",
    "top_model_version_name",
)


def _newest_top_prediction() -> QuerySet:
    return Prediction.objects.filter(classification__sighting=OuterRef("pk"), rank=1).order_by(
        "-classification__created_at", "-classification_id"
    )


def sightings_seen_by(
    *,
    viewer: "ViewerLike",
    queryset: QuerySet | None = None,
    originals: bool = True,
    places: bool = True,
    prediction_details: bool = True,
) -> QuerySet:
    """`queryset` (default: every sighting) annotated with what `viewer` may see of each row.

    Visibility of rows is the caller's business (e.g. `sightings_visible_to`); this decides what
    of each row is shown. All of it is SQL: a page or an export runs a fixed number of queries.
    `originals=False` gives everyone, owners included, the EXIF-free copy (public pages, exports).
    A list that shows no place (`places=False`) or only the top prediction's name
    (`prediction_details=False`) leaves those annotations out: what is not annotated cannot be read.
    """
    viewer = Viewer.of(viewer)
    conditions = _Conditions(viewer)
    queryset = Sighting.objects.all() if queryset is None else queryset
    top = _newest_top_prediction()
    seen_photo: Case | F
    if originals and viewer.user_id is not None:
        seen_photo = Case(When(owner_id=viewer.user_id, then=F("photo")), default=F("public_photo"))
    else:
        seen_photo = F("public_photo")
    annotations: dict[str, Any] = {"seen_photo": seen_photo}
    if places:
        annotations.update(
            seen_place=_place_kind(conditions),
            seen_latitude=_coordinate("ST_Y", conditions),
            seen_longitude=_coordinate("ST_X", conditions),
        )
    annotations["top_name"] = Subquery(
        top.annotate(name=Coalesce("species__scientific_name", "label")).values("name")[:1]
    )
    if prediction_details:
        annotations.update(
            top_label=Subquery(top.values("label")[:1]),
            top_species_id=Subquery(top.values("species_id")[:1]),
            top_model_version_id=Subquery(top.values("classification__model_version_id")[:1]),
            top_model_version_name=Subquery(top.values("classification__model_version__name")[:1]),
        )
    return queryset.annotate(**annotations)


def sighting_seen_by_owner(*, sighting: Sighting) -> Sighting:
    """A sighting its owner has just written, annotated as `sightings_seen_by` annotates it for
    the owner (the exact place, the original photo, no prediction yet), without a query."""
    located = sighting.location is not None
    sighting.seen_place = SeenPlace.EXACT if located else SeenPlace.NONE  # type: ignore[attr-defined]
    sighting.seen_latitude = sighting.location.y if located else None  # type: ignore[attr-defined,union-attr]
    sighting.seen_longitude = sighting.location.x if located else None  # type: ignore[attr-defined,union-attr]
    sighting.seen_photo = sighting.photo.name  # type: ignore[attr-defined]
    for name in _TOP_PREDICTION_ANNOTATIONS:
        setattr(sighting, name, None)
    return sighting


def sightings_in_area(*, queryset: QuerySet, viewer: "ViewerLike", area: GEOSGeometry) -> QuerySet:
    """The rows whose place, as `viewer` is shown it, lies in `area` (withheld places never do)."""
    conditions = _Conditions(Viewer.of(viewer))
    area = area.clone()
    if area.srid is None:
        area.srid = 4326
    inside = conditions.exact & Q(location__intersects=area)
    if conditions.generalized is not None:
        inside |= conditions.generalized & Q(cell_point__intersects=area)
    return queryset.filter(inside)


def place_build(
    *, kind: str, latitude: float | None, longitude: float | None, accuracy_m: float | None
) -> Place:
    """A Place from a row's `seen_*` annotations and its stated accuracy."""
    if kind == SeenPlace.GENERALIZED and latitude is not None:
        uncertainty = float(cell_uncertainty_m(latitude=latitude))
        if accuracy_m:
            uncertainty = max(uncertainty, float(round(accuracy_m)))
        return Place(latitude, longitude, uncertainty, kind)
    if kind == SeenPlace.EXACT:
        return Place(latitude, longitude, accuracy_m, kind)
    return Place(None, None, None, kind)


def sighting_place(*, sighting: Sighting) -> Place:
    """The place of a sighting read through `sightings_seen_by`."""
    return place_build(
        kind=sighting.seen_place,  # type: ignore[attr-defined]
        latitude=sighting.seen_latitude,  # type: ignore[attr-defined]
        longitude=sighting.seen_longitude,  # type: ignore[attr-defined]
        accuracy_m=sighting.location_accuracy_m,
    )


def seen_photo_url(*, name: str | None) -> str:
    """A short-lived signed address of a `seen_photo` name, or "" when there is none."""
    return storage_signed_url(name=name) if name else ""


def seen_utc_offset(*, place: Place, moment: datetime | None, observer_offset: int | None) -> int | None:
    """The UTC offset (minutes east) of a sighting's local time that a viewer shown `place` may learn.

    The observer's own where the viewer sees the true place; the offset of the shown point's time
    zone where the place is generalized (the observer's would tell on which side of a zone boundary
    through the cell the true place lies); none where the place is withheld.
    """
    if moment is None or place.latitude is None or place.longitude is None:
        return None
    if place.kind == SeenPlace.EXACT and observer_offset is not None:
        return observer_offset
    return offset_at(latitude=place.latitude, longitude=place.longitude, moment=moment)


def sighting_regulations(*, sighting: Sighting) -> dict | None:
    """The regulations answer for the sighting's species and date at the place the viewer is shown.

    A viewer who is shown a generalized place gets the rules of that place: the rules of the true
    spot would tell which regions hold it.
    """
    place = sighting_place(sighting=sighting)
    if sighting.species is None or place.point is None or sighting.observed_at is None:
        return None
    # The local date at the place as the viewer is shown it: an evening catch keeps its own day.
    offset = seen_utc_offset(
        place=place, moment=sighting.observed_at, observer_offset=sighting.utc_offset_minutes
    )
    observed_on: date = local_time(sighting.observed_at, offset).date()
    answer = regulations_for(
        point=place.point, species=sighting.species, on_date=observed_on, length_cm=sighting.length_cm
    ).as_dict()
    answer["place"] = place.kind
    return answer


def species_verified_within(*, area: GEOSGeometry) -> list[int]:
    """The species verified in `area` (a region's geometry), from the sightings everyone may see at
    their exact place: a region smaller than a cell must not tell where an obscured one lies."""
    public = sightings_seen_by(
        viewer=AnonymousUser(), places=True, originals=False, prediction_details=False
    ).filter(seen_place=SeenPlace.EXACT)
    return list(
        public.filter(
            quality_grade=Sighting.QualityGrade.VERIFIED, species__isnull=False, location__intersects=area
        )
        .order_by()
        .values_list("species_id", flat=True)
        .distinct()
    )
