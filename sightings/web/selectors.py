"""Reads for the web pages: map points, region outlines and species pages."""

import json

from django.db.models import Count, Q

from regulations.models import Region, Regulation
from regulations.selectors import species_is_sensitive

from ..geoprivacy import public_location
from ..models import Sighting
from ..photo_links import photo_url
from ..roles import user_sees_true_locations

MAP_POINTS_LIMIT = 5000
SPECIES_PHOTOS_LIMIT = 24
OUTLINE_TOLERANCE_DEGREES = 0.005


def map_points(*, viewer, limit=MAP_POINTS_LIMIT):
    """The newest sightings as map points, each at the place this viewer may see.

    Others' obscured sightings (and open ones of a species sensitive there) are at their cell's
    random point, private ones are left out; the viewer's own are exact.
    """
    sees_all = user_sees_true_locations(viewer)
    any_sensitive = Regulation.objects.filter(sensitive=True).exists()
    sightings = (
        Sighting.objects.filter(location__isnull=False)
        .exclude(status__in=[Sighting.Status.REJECTED, Sighting.Status.FAILED])
        .select_related("species")
        .only("id", "owner_id", "location", "location_accuracy_m", "geoprivacy", "observed_at", "species")
        .order_by("-observed_at")[:limit]
    )
    points = []
    for sighting in sightings:
        own = viewer.is_authenticated and sighting.owner_id == viewer.pk
        force_obscure = (
            not (own or sees_all)
            and any_sensitive
            and sighting.geoprivacy == Sighting.Geoprivacy.OPEN
            and species_is_sensitive(species=sighting.species, point=sighting.location)
        )
        place = public_location(
            sighting=sighting, true_location_allowed=own or sees_all, force_obscure=force_obscure
        )
        if place.latitude is None:
            continue
        species = sighting.species
        points.append(
            {
                "latitude": place.latitude,
                "longitude": place.longitude,
                "obscured": place.obscured,
                "uncertainty_m": place.uncertainty_m,
                "own": own,
                "date": sighting.observed_at.date().isoformat() if sighting.observed_at else None,
                "species": (
                    {"id": species.pk, "name": species.common_name or species.scientific_name}
                    if species
                    else None
                ),
                "sighting_id": str(sighting.pk) if own else None,
            }
        )
    return points


def region_outlines():
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


def species_summary(*, species, viewer, limit=SPECIES_PHOTOS_LIMIT):
    """Counts and public photos of a species: everyone may see these."""
    sightings = Sighting.objects.filter(species=species)
    counts = sightings.aggregate(
        total=Count("id"),
        verified=Count("id", filter=Q(quality_grade=Sighting.QualityGrade.VERIFIED)),
        anglers=Count("owner", distinct=True),
    )
    with_photos = sightings.exclude(public_photo="").order_by("-observed_at")[:limit]
    photos = [
        {
            "url": photo_url(sighting=sighting, user=viewer, public=True),
            "date": sighting.observed_at,
            "license": sighting.get_license_display(),
            "quality_grade": sighting.get_quality_grade_display(),
        }
        for sighting in with_photos
    ]
    return {"counts": counts, "photos": photos}
