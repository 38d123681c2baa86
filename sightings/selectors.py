"""Reads: which sightings a user may see, and what of them (through `sightings.visibility`)."""

import json
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects

from regulations.models import Region, Species
from regulations.selectors import species_known_at

from .models import Classification, Sighting
from .roles import EVERY_PROJECT, admin_sighting_projects, moderated_projects
from .visibility import (
    SeenPlace,
    place_build,
    seen_photo_url,
    sighting_place,
    sighting_regulations,
    sightings_seen_by,
    species_verified_within,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from regulations.selectors import SpeciesKnownHere

    from .visibility import Place, ViewerLike

MAP_POINTS_LIMIT = 5000
SPECIES_PHOTOS_LIMIT = 24
OUTLINE_TOLERANCE_DEGREES = 0.005


def _classifications_newest_first() -> Prefetch:
    return Prefetch(
        "classifications",
        queryset=Classification.objects.select_related("model_version")
        .prefetch_related("predictions__species")
        .order_by("-created_at", "-pk"),
    )


def sightings_in_admin_scope(*, user: Any, queryset: QuerySet[Sighting]) -> QuerySet[Sighting]:
    """The rows of `queryset` that `user` finds in the admin (see roles.admin_sighting_projects)."""
    scope = admin_sighting_projects(user)
    if scope is EVERY_PROJECT:
        return queryset
    return queryset.filter(project_id__in=sorted(scope))


def sightings_visible_to(*, user: Any) -> QuerySet[Sighting]:
    """Anglers read their own sightings; moderators also read those of the projects they moderate.
    Annotated as `user` may see them."""
    queryset = Sighting.objects.select_related("species", "project", "individual").prefetch_related(
        _classifications_newest_first()
    )
    scope = moderated_projects(user)
    if scope is not EVERY_PROJECT:
        queryset = queryset.filter(Q(owner=user) | Q(project_id__in=sorted(scope)))
    return sightings_seen_by(viewer=user, queryset=queryset)


def _species_brief(species: Species | None) -> dict | None:
    if species is None:
        return None
    return {"id": species.pk, "scientific_name": species.scientific_name, "common_name": species.common_name}


def sighting_latest_classification(*, sighting: Sighting) -> Classification | None:
    """The newest classification, with `ranked` predictions (species loaded), or None.

    Reads what `sightings_visible_to` prefetched (no query per sighting), or fetches it.
    """
    prefetch_related_objects([sighting], _classifications_newest_first())
    classifications = list(sighting.classifications.all())
    if not classifications:
        return None
    classification = classifications[0]
    classification.ranked = sorted(classification.predictions.all(), key=lambda p: p.rank)  # type: ignore[attr-defined]
    return classification


def sighting_detail(*, sighting: Sighting, viewer: "ViewerLike", fresh: bool = False) -> dict:
    """Everything a viewer may know of one sighting, as plain data for the API and the pages.

    `fresh`: the sighting was written by this request, so it has no classification to look up."""
    place = sighting_place(sighting=sighting)
    classification = None if fresh else sighting_latest_classification(sighting=sighting)
    regulations = sighting_regulations(sighting=sighting)
    predictions = [
        {"species": _species_brief(p.species), "label": p.label, "score": p.score}
        for p in (classification.ranked if classification else [])  # type: ignore[attr-defined]
    ]
    return {
        "id": sighting.pk,
        "project": sighting.project.slug,
        "individual": (
            {"id": sighting.individual.pk, "name": sighting.individual.name} if sighting.individual else None
        ),
        "status": sighting.status,
        "failure_reason": sighting.failure_reason,
        "quality_grade": sighting.quality_grade,
        "observed_at": sighting.observed_at,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "location_accuracy_m": place.uncertainty_m,
        "location_obscured": place.hidden,
        "length_cm": float(sighting.length_cm) if sighting.length_cm is not None else None,
        "notes": sighting.notes,
        "geoprivacy": sighting.geoprivacy,
        "license": sighting.license,
        "photo_url": seen_photo_url(name=sighting.seen_photo),  # type: ignore[attr-defined]
        "species": _species_brief(sighting.species),
        "model_version": (
            {
                "id": classification.model_version_id,
                "name": classification.model_version.name,
                "negative_label": classification.model_version.negative_label,
            }
            if classification
            else None
        ),
        "predictions": predictions,
        "uncertain": (
            {"candidates": predictions[:2]}
            if classification and classification.uncertain and sighting.species_id is None
            else None
        ),
        "regulations": regulations,
        "warnings": regulations["warnings"] if regulations else [],
        "created_at": sighting.created_at,
        "classified_at": sighting.classified_at,
    }


def species_known_near(*, place: "Place") -> "SpeciesKnownHere | None":
    """The species known where a viewer is shown a sighting: those its regions' rules name and
    those verified in the smallest of them. None for a place not shown, or outside every region."""
    if place.point is None:
        return None
    return species_known_at(
        point=place.point, recorded_within=lambda area: species_verified_within(area=area)
    )


def map_points(*, viewer: "User | AnonymousUser", limit: int = MAP_POINTS_LIMIT) -> list[dict]:
    """The newest sightings as map points, each at the place this viewer may see: one query.

    Others' obscured sightings (and open ones of a species sensitive in their cell) are at their
    cell's point, private ones are left out; the viewer's own are exact.
    """
    rows = (
        sightings_seen_by(viewer=viewer)
        .filter(seen_place__in=[SeenPlace.EXACT, SeenPlace.GENERALIZED])
        .exclude(status__in=[Sighting.Status.REJECTED, Sighting.Status.FAILED])
        .order_by("-observed_at", "pk")
        .values(
            "pk",
            "owner_id",
            "observed_at",
            "location_accuracy_m",
            "species_id",
            "species__common_name",
            "species__scientific_name",
            "seen_place",
            "seen_latitude",
            "seen_longitude",
        )[:limit]
    )
    viewer_id = viewer.pk if viewer.is_authenticated else None
    points = []
    for row in rows:
        own = row["owner_id"] == viewer_id
        place = place_build(
            kind=row["seen_place"],
            latitude=row["seen_latitude"],
            longitude=row["seen_longitude"],
            accuracy_m=row["location_accuracy_m"],
        )
        points.append(
            {
                "latitude": place.latitude,
                "longitude": place.longitude,
                "obscured": place.hidden,
                "uncertainty_m": place.uncertainty_m,
                "own": own,
                "date": row["observed_at"].date().isoformat() if row["observed_at"] else None,
                "species": (
                    {
                        "id": row["species_id"],
                        "name": row["species__common_name"] or row["species__scientific_name"],
                    }
                    if row["species_id"]
                    else None
                ),
                "sighting_id": str(row["pk"]) if own else None,
            }
        )
    return points


def map_left_out_own(*, viewer: "User | AnonymousUser") -> dict[str, int]:
    """How many of the viewer's own catches the map leaves out, and why: those the classifier found
    no known species in (rejected), those it failed on, and those with no place."""
    if not viewer.is_authenticated:
        return {"rejected": 0, "failed": 0, "no_place": 0}
    left_out = [Sighting.Status.REJECTED, Sighting.Status.FAILED]
    return (
        sightings_seen_by(viewer=viewer)
        .filter(owner=viewer)
        .aggregate(
            rejected=Count("pk", filter=Q(status=Sighting.Status.REJECTED)),
            failed=Count("pk", filter=Q(status=Sighting.Status.FAILED)),
            no_place=Count(
                "pk",
                filter=~Q(seen_place__in=[SeenPlace.EXACT, SeenPlace.GENERALIZED]) & ~Q(status__in=left_out),
            ),
        )
    )


def region_outlines() -> dict:
    """The regions as a GeoJSON FeatureCollection (simplified): the map's base layer without tiles."""
    features = []
    for region in Region.objects.only("id", "code", "name", "kind", "geometry").order_by("-area"):
        geometry = region.geometry.simplify(OUTLINE_TOLERANCE_DEGREES, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": region.code, "name": region.name, "kind": region.kind},
                "geometry": json.loads(geometry.geojson),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def species_summary(*, species: Species, viewer: "ViewerLike", limit: int = SPECIES_PHOTOS_LIMIT) -> dict:
    """Counts and public photos of a species: everyone may see these."""
    sightings = Sighting.objects.filter(species=species)
    counts = sightings.aggregate(
        total=Count("id"),
        verified=Count("id", filter=Q(quality_grade=Sighting.QualityGrade.VERIFIED)),
        anglers=Count("owner", distinct=True),
    )
    with_photos = sightings_seen_by(
        viewer=viewer, queryset=sightings.exclude(public_photo=""), originals=False
    ).order_by("-observed_at")[:limit]
    photos = [
        {
            "url": seen_photo_url(name=sighting.seen_photo),
            "date": sighting.observed_at,
            "license": sighting.get_license_display(),
            "quality_grade": sighting.get_quality_grade_display(),
        }
        for sighting in with_photos
    ]
    return {"counts": counts, "photos": photos}
