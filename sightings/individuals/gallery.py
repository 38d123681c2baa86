"""Nearest earlier sightings by embedding: an exact cosine search in numpy.

The embeddings of one project, species and extractor (a gallery) are read once per process into a
matrix and kept. A search within GALLERY_RECHECK_SECONDS of the last check uses the matrix as it
is; otherwise two indexed queries bring it up to date: the embeddings made since (new sightings, a
newer model's vectors) and the project's sightings changed since (a species corrected into or out
of the gallery). Rows are appended into spare capacity, replaced or switched off in place, so a
change never copies the matrix. Each check reads OVERLAP further back than the newest change it saw,
for transactions that commit late. A deleted sighting's row stays until the next full read (every
GALLERY_RELOAD_SECONDS): candidates are read back through the read model, which drops it. Vectors
are unit length, so a matrix-vector product gives every cosine similarity and argpartition the best
k: exact, with no index to tune or to fall out of date.
"""

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

import numpy as np
from django.conf import settings

from ..models import Sighting, SightingEmbedding
from .vectors import embedding_from_bytes

CACHE_ENTRIES = 16
READ_CHUNK = 2000
# Rows are stamped when written, not when committed: each check reads this much further back, so a
# transaction that committed after a later change was seen is still read (putting a row again or
# switching it off again changes nothing).
OVERLAP = timedelta(minutes=2)


@dataclass(frozen=True)
class Neighbour:
    sighting_id: UUID
    similarity: float


@dataclass
class Gallery:
    """One gallery's vectors: rows [0, size) of `matrix` are in use, `alive` switches rows off."""

    project_id: int
    species_id: int
    extractor: str
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    alive: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    ids: list[UUID] = field(default_factory=list)
    index: dict[UUID, int] = field(default_factory=dict)
    made: datetime | None = None  # newest embedding read
    changed: datetime | None = None  # newest sighting change seen
    checked: float = 0.0  # time.monotonic() of the last check
    loaded: float = 0.0  # time.monotonic() of the last full read
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def size(self) -> int:
        return len(self.ids)

    def put(self, sighting_id: UUID, vector: np.ndarray) -> None:
        """Add the sighting's vector, or replace it (switching the row back on)."""
        row = self.index.get(sighting_id)
        if row is None:
            if self.matrix.shape[1] not in (0, vector.shape[0]):
                return  # another dimension: not comparable with this gallery
            row = self.size
            if row >= self.matrix.shape[0]:
                self._grow(dimensions=vector.shape[0])
            self.ids.append(sighting_id)
            self.index[sighting_id] = row
        self.matrix[row] = vector
        self.alive[row] = True

    def drop(self, sighting_id: UUID) -> None:
        row = self.index.get(sighting_id)
        if row is not None:
            self.alive[row] = False

    def _grow(self, *, dimensions: int, capacity: int = 0) -> None:
        capacity = max(capacity, 1024, int(self.matrix.shape[0] * 1.5))
        matrix = np.zeros((capacity, dimensions), dtype=np.float32)
        alive = np.zeros(capacity, dtype=bool)
        if self.size:
            matrix[: self.size] = self.matrix[: self.size]
            alive[: self.size] = self.alive[: self.size]
        self.matrix, self.alive = matrix, alive


_galleries: dict[tuple[int, int, str], Gallery] = {}
_galleries_lock = threading.Lock()


def galleries_clear() -> None:
    with _galleries_lock:
        _galleries.clear()


def _embeddings(gallery: Gallery):
    return SightingEmbedding.objects.filter(
        extractor=gallery.extractor,
        sighting__project_id=gallery.project_id,
        sighting__species_id=gallery.species_id,
    )


def _read_into(gallery: Gallery, rows) -> None:
    for sighting_id, vector, made in rows.values_list("sighting_id", "vector", "created_at").iterator(
        chunk_size=READ_CHUNK
    ):
        gallery.put(sighting_id, embedding_from_bytes(vector))
        gallery.made = made if gallery.made is None else max(gallery.made, made)


def _load(*, project_id: int, species_id: int, extractor: str) -> Gallery:
    gallery = Gallery(project_id=project_id, species_id=species_id, extractor=extractor)
    # Read the change mark first: a change committed while reading is then seen at the next check.
    gallery.changed = (
        Sighting.objects.filter(project_id=project_id)
        .order_by("-updated_at")
        .values_list("updated_at", flat=True)
        .first()
    )
    rows = _embeddings(gallery)
    expected = rows.count()
    if expected:
        first = rows.values_list("dimensions", flat=True).first() or 0
        gallery._grow(dimensions=first, capacity=expected + 64)
    _read_into(gallery, rows)
    gallery.checked = gallery.loaded = time.monotonic()
    return gallery


def _refresh(gallery: Gallery) -> None:
    """The embeddings made and the sightings changed since the last check (both indexed reads)."""
    made = _embeddings(gallery).order_by()
    if gallery.made is not None:
        made = made.filter(created_at__gt=gallery.made - OVERLAP)
    _read_into(gallery, made)
    changed = Sighting.objects.filter(project_id=gallery.project_id).order_by()
    if gallery.changed is not None:
        changed = changed.filter(updated_at__gt=gallery.changed - OVERLAP)
    back = []
    for sighting_id, species_id, updated_at in changed.values_list("pk", "species_id", "updated_at"):
        gallery.changed = updated_at if gallery.changed is None else max(gallery.changed, updated_at)
        if species_id != gallery.species_id:
            gallery.drop(sighting_id)
        elif sighting_id not in gallery.index or not gallery.alive[gallery.index[sighting_id]]:
            back.append(sighting_id)
    if back:
        _read_into(
            gallery, SightingEmbedding.objects.filter(extractor=gallery.extractor, sighting_id__in=back)
        )
    gallery.checked = time.monotonic()


def gallery_get(*, project_id: int, species_id: int, extractor: str) -> Gallery:
    """This process's copy of a gallery, brought up to date when its last check is old enough."""
    key = (project_id, species_id, extractor)
    with _galleries_lock:
        gallery = _galleries.get(key)
    now = time.monotonic()
    if gallery is not None and now - gallery.loaded < settings.GALLERY_RELOAD_SECONDS:
        if now - gallery.checked >= settings.GALLERY_RECHECK_SECONDS:
            with gallery.lock:
                _refresh(gallery)
        return gallery
    gallery = _load(project_id=project_id, species_id=species_id, extractor=extractor)
    with _galleries_lock:
        if len(_galleries) >= CACHE_ENTRIES:
            oldest = min(_galleries, key=lambda entry: _galleries[entry].checked)
            del _galleries[oldest]
        _galleries[key] = gallery
    return gallery


def nearest(
    *, gallery: Gallery, query: np.ndarray, k: int, exclude: frozenset[UUID] = frozenset()
) -> list[Neighbour]:
    """The k live gallery rows most similar to `query` (a unit vector), best first."""
    size = gallery.size
    if not size or gallery.matrix.shape[1] != query.shape[0]:
        return []
    similarities = gallery.matrix[:size] @ query.astype(np.float32, copy=False)
    similarities[~gallery.alive[:size]] = -np.inf
    for sighting_id in exclude:
        row = gallery.index.get(sighting_id)
        if row is not None and row < size:
            similarities[row] = -np.inf
    wanted = min(size, k)
    best = np.argpartition(-similarities, wanted - 1)[:wanted]
    best = best[np.argsort(-similarities[best], kind="stable")]
    return [
        Neighbour(gallery.ids[row], float(similarities[row]))
        for row in best
        if np.isfinite(similarities[row])
    ]
