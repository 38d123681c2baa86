"""Reads for individuals: candidate matches for a sighting, and an individual's history."""

from django.db.models import QuerySet

from ..models import Individual, Sighting, SightingEmbedding
from ..visibility import seen_photo_url, sighting_place, sightings_seen_by
from .gallery import gallery_get, nearest
from .vectors import embedding_from_bytes

CANDIDATES = 5
# Later sightings are left out after the search, so it looks this much further.
SEARCH_SLACK = 20


def sighting_candidates(*, sighting: Sighting, viewer, k: int = CANDIDATES) -> list[dict]:
    """The earlier sightings of the same species in the project whose photos look most like this
    one (cosine similarity of the embeddings), best first, as `viewer` may see them."""
    if sighting.species_id is None:
        return []
    embedding = SightingEmbedding.objects.filter(sighting=sighting).first()
    if embedding is None:
        return []
    gallery = gallery_get(
        project_id=sighting.project_id, species_id=sighting.species_id, extractor=embedding.extractor
    )
    neighbours = nearest(
        gallery=gallery,
        query=embedding_from_bytes(embedding.vector),
        k=k + SEARCH_SLACK,
        exclude=frozenset({sighting.pk}),
    )
    similarity = {neighbour.sighting_id: neighbour.similarity for neighbour in neighbours}
    rows = sightings_seen_by(
        viewer=viewer,
        # The gallery may lag the database by a few seconds: each row is checked again here.
        queryset=Sighting.objects.filter(
            pk__in=list(similarity),
            created_at__lt=sighting.created_at,
            project_id=sighting.project_id,
            species_id=sighting.species_id,
        ).select_related("individual"),
        originals=False,
        prediction_details=False,
    )
    found = sorted(rows, key=lambda row: -similarity[row.pk])[:k]
    return [
        {
            "id": row.pk,
            "similarity": round(similarity[row.pk], 4),
            "observed_at": row.observed_at,
            "place": sighting_place(sighting=row),
            "photo_url": seen_photo_url(name=row.seen_photo),
            "individual": row.individual,
        }
        for row in found
    ]


def individuals_of(*, project_id: int | None = None) -> QuerySet[Individual]:
    queryset = Individual.objects.select_related("project", "species")
    return queryset.filter(project_id=project_id) if project_id is not None else queryset


def individual_history(*, individual: Individual, viewer) -> list[dict]:
    """The individual's sightings, oldest first, with the place and photo `viewer` may see."""
    rows = sightings_seen_by(
        viewer=viewer,
        queryset=Sighting.objects.filter(individual=individual).order_by("observed_at", "created_at"),
        originals=False,
        prediction_details=False,
    )
    return [
        {
            "id": row.pk,
            "observed_at": row.observed_at,
            "place": sighting_place(sighting=row),
            "photo_url": seen_photo_url(name=row.seen_photo),
        }
        for row in rows
    ]
