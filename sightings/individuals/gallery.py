"""Nearest earlier sightings by embedding: an exact cosine search in numpy.

The embeddings of one project, species and extractor (a gallery) are read once per process into a
matrix and kept; each search first asks the database for the gallery's stamp (rows, newest change)
and reads only what changed since: new sightings are appended, and a gallery that lost or gained
rows otherwise is read again. Vectors are unit length, so a matrix-vector product gives every
cosine similarity and argpartition the best k: exact, no index to tune or to fall out of date.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import numpy as np
from django.db.models import Count, Max, Q, QuerySet

from ..models import SightingEmbedding
from .vectors import embedding_from_bytes

CACHE_ENTRIES = 32


@dataclass
class Gallery:
    ids: list[UUID]
    matrix: np.ndarray  # (rows, dimensions) float32, unit rows
    count: int
    changed: datetime | None  # newest sighting change among the rows
    made: datetime | None  # newest embedding


@dataclass(frozen=True)
class Neighbour:
    sighting_id: UUID
    similarity: float


_galleries: dict[tuple[int, int, str], Gallery] = {}


def galleries_clear() -> None:
    _galleries.clear()


def _rows(*, project_id: int, species_id: int, extractor: str) -> QuerySet[SightingEmbedding]:
    return SightingEmbedding.objects.filter(
        extractor=extractor, sighting__project_id=project_id, sighting__species_id=species_id
    )


def _read(rows: QuerySet[SightingEmbedding]) -> tuple[list[UUID], np.ndarray]:
    ids, vectors = [], []
    for sighting_id, vector in rows.values_list("sighting_id", "vector").iterator(chunk_size=2000):
        ids.append(sighting_id)
        vectors.append(embedding_from_bytes(vector))
    matrix = np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
    return ids, matrix


def gallery_get(*, project_id: int, species_id: int, extractor: str) -> Gallery:
    """This process's copy of a gallery, brought up to date (one aggregate query when unchanged)."""
    rows = _rows(project_id=project_id, species_id=species_id, extractor=extractor)
    stamp = rows.aggregate(count=Count("pk"), changed=Max("sighting__updated_at"), made=Max("created_at"))
    key = (project_id, species_id, extractor)
    cached = _galleries.get(key)
    if cached is not None and (cached.count, cached.changed, cached.made) == (
        stamp["count"],
        stamp["changed"],
        stamp["made"],
    ):
        return cached
    if cached is not None and cached.changed is not None and cached.made is not None:
        grown = _grown(cached=cached, rows=rows, stamp=stamp)
        if grown is not None:
            _galleries[key] = grown
            return grown
    ids, matrix = _read(rows)
    if len(_galleries) >= CACHE_ENTRIES:
        _galleries.clear()
    gallery = _galleries[key] = Gallery(ids, matrix, len(ids), stamp["changed"], stamp["made"])
    return gallery


def _grown(*, cached: Gallery, rows: QuerySet[SightingEmbedding], stamp: dict) -> Gallery | None:
    """The cached gallery with the rows changed since, or None when only a full read can match the
    stamp (rows left the gallery)."""
    newer = rows.filter(Q(sighting__updated_at__gt=cached.changed) | Q(created_at__gt=cached.made))
    ids, matrix = _read(newer)
    known = {sighting_id: index for index, sighting_id in enumerate(cached.ids)}
    arrived = [index for index, sighting_id in enumerate(ids) if sighting_id not in known]
    if len(cached.ids) + len(arrived) != stamp["count"]:
        return None
    updated = cached.matrix.copy() if len(arrived) < len(ids) else cached.matrix
    for index, sighting_id in enumerate(ids):
        if sighting_id in known:
            updated[known[sighting_id]] = matrix[index]
    if arrived:
        added = matrix[arrived]
        updated = np.vstack([updated, added]) if len(cached.ids) else added
    return Gallery(
        cached.ids + [ids[index] for index in arrived],
        updated,
        stamp["count"],
        stamp["changed"],
        stamp["made"],
    )


def nearest(
    *, gallery: Gallery, query: np.ndarray, k: int, exclude: frozenset[UUID] = frozenset()
) -> list[Neighbour]:
    """The k gallery rows most similar to `query` (a unit vector), best first."""
    if not gallery.ids or gallery.matrix.shape[1] != query.shape[0]:
        return []
    similarities = gallery.matrix @ query.astype(np.float32, copy=False)
    wanted = min(len(gallery.ids), k + len(exclude))
    best = np.argpartition(-similarities, wanted - 1)[:wanted]
    best = best[np.argsort(-similarities[best], kind="stable")]
    found = [
        Neighbour(gallery.ids[index], float(similarities[index]))
        for index in best
        if gallery.ids[index] not in exclude
    ]
    return found[:k]
