"""Reads: which sightings a user may see, and what of them."""

from django.db.models import Prefetch

from regulations.selectors import regulations_for

from .geoprivacy import public_location
from .models import Classification, Sighting
from .photo_links import photo_url
from .roles import user_is_moderator, user_sees_true_locations


def sightings_visible_to(*, user):
    """Anglers read their own sightings; moderators read all of them."""
    queryset = Sighting.objects.select_related("species").prefetch_related(
        Prefetch(
            "classifications",
            queryset=Classification.objects.select_related("model_version")
            .prefetch_related("predictions__species")
            .order_by("-created_at"),
        )
    )
    if user_is_moderator(user):
        return queryset
    return queryset.filter(owner=user)


def _species_brief(species):
    if species is None:
        return None
    return {"id": species.pk, "scientific_name": species.scientific_name, "common_name": species.common_name}


def _latest_prefetched_classification(sighting):
    # Reads the classifications sightings_visible_to prefetched, newest first: no query per sighting.
    classifications = list(sighting.classifications.all())
    return classifications[0] if classifications else None


def sighting_regulations(*, sighting):
    """The regulations answer for the sighting's species, place and date, or None."""
    if sighting.species is None or sighting.location is None or sighting.observed_at is None:
        return None
    return regulations_for(
        point=sighting.location,
        species=sighting.species,
        on_date=sighting.observed_at.date(),
        length_cm=sighting.length_cm,
    ).as_dict()


def sighting_detail(*, sighting, viewer):
    """Everything a viewer may know of one sighting, as plain data for the API and the pages."""
    owner_or_trusted = viewer.pk == sighting.owner_id or user_sees_true_locations(viewer)
    place = public_location(sighting=sighting, true_location_allowed=owner_or_trusted)
    classification = _latest_prefetched_classification(sighting)
    regulations = sighting_regulations(sighting=sighting)
    return {
        "id": sighting.pk,
        "status": sighting.status,
        "failure_reason": sighting.failure_reason,
        "quality_grade": sighting.quality_grade,
        "observed_at": sighting.observed_at,
        "latitude": place.latitude,
        "longitude": place.longitude,
        "location_accuracy_m": place.uncertainty_m,
        "location_obscured": place.obscured or place.withheld,
        "length_cm": float(sighting.length_cm) if sighting.length_cm is not None else None,
        "notes": sighting.notes,
        "geoprivacy": sighting.geoprivacy,
        "license": sighting.license,
        "photo_url": photo_url(sighting=sighting, user=viewer, public=viewer.pk != sighting.owner_id),
        "species": _species_brief(sighting.species),
        "model_version": (
            {"id": classification.model_version_id, "name": classification.model_version.name}
            if classification
            else None
        ),
        "predictions": [
            {"species": _species_brief(p.species), "label": p.label, "score": p.score}
            for p in (classification.predictions.all() if classification else [])
        ],
        "regulations": regulations,
        "warnings": regulations["warnings"] if regulations else [],
        "created_at": sighting.created_at,
        "classified_at": sighting.classified_at,
    }
