"""Run the active classifier on a sighting's photo and record what it says, exactly once per version.

A worker reads what it needs in one query: the sighting, which version of the sighting's project
classifies it (with the fields a moderator may edit: rejection threshold and negative label),
whether that version answered already, and a stamp of the species table. The version's immutable
parts (labels, preprocessing, file) and the label-to-species map are kept per process, keyed by the
version and the stamp, so a newly activated version or an edited species is seen by the next task
without any message.
"""

import contextlib
import copy
import logging
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, JSONField, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from fast_update.fast import fast_update

from classifier.imaging import PhotoError
from classifier.inference import ClassificationResult, classify_photo, classify_tensor, photo_tensor
from classifier.models import ModelVersion
from regulations.models import Species
from regulations.selectors import species_by_labels, species_changes, species_stamp

from ..errors import StorageUnavailable
from ..individuals.vectors import embedding_bytes
from ..models import (
    PENDING_ORDER,
    Classification,
    Identification,
    Prediction,
    Sighting,
    SightingEmbedding,
)
from ..storage import storage_delete_quietly, storage_read
from .identifications import identification_machine_add, identification_machine_first, sighting_status_for
from .public_photos import public_photo_save, public_photo_store

logger = logging.getLogger(__name__)

CACHE_ENTRIES = 8
PHOTO_MISSING = "The photo is missing from storage."
# The columns of a sighting an answer sets.
ANSWER_FIELDS = [
    "status",
    "failure_reason",
    "classified_at",
    "top_score",
    "uncertain",
    "species",
    "quality_grade",
    "updated_at",
    "public_photo",
]


@dataclass(frozen=True)
class _Work:
    photo: str
    public_photo: str
    model_version: ModelVersion | None
    classified: bool  # the version has answered for this sighting already
    species_stamp: tuple[int, datetime | None]


def sighting_process(*, sighting_id: UUID | str) -> None:
    """What a new sighting needs from the worker: its answer from the active version and its public
    photo, from one read of the row, one read of the photo and one transaction (on PostgreSQL one
    transaction for a batch of pending sightings, `_process_batch`). Idempotent: done parts are
    skipped.

    Raises StorageUnavailable on a storage outage so that the task retries.
    """
    # Done already, most often by another sighting's batch: one light query.
    done = (
        Sighting.objects.filter(pk=sighting_id)
        .exclude(status=Sighting.Status.PENDING)
        .exclude(public_photo="")
    )
    if done.exists():
        return
    work = _work_get(sighting_id=sighting_id, model_version=None)
    if work is None:
        logger.info("sighting %s no longer exists", sighting_id)
        return
    to_classify = work.model_version is not None and not work.classified
    if not to_classify and work.public_photo:
        return
    if (
        to_classify
        and settings.CLASSIFY_BATCH_SIZE > 1
        and connection.features.has_select_for_update_skip_locked
    ):
        _process_batch(sighting_id=sighting_id, work=work)
        return
    try:
        data = storage_read(name=work.photo)
    except FileNotFoundError:
        if to_classify:
            _mark_failed(sighting_id=sighting_id, reason=PHOTO_MISSING)
        return
    if not to_classify:
        public_photo_store(sighting_id=sighting_id, data=data)
        return
    _classify(sighting_id=sighting_id, work=work, data=data, publish=not work.public_photo)


@dataclass
class _Answer:
    sighting: Sighting
    result: ClassificationResult
    duration_ms: float
    public_photo: str  # a public copy stored for the row ("" when it has one already)

    @property
    def published(self) -> bool:
        """The stored public copy became the row's (once the transaction commits)."""
        return bool(self.public_photo) and self.sighting.public_photo.name == self.public_photo


def _process_batch(*, sighting_id: UUID | str, work: _Work) -> None:
    """Classify and publish this sighting and, in the same transaction, up to CLASSIFY_BATCH_SIZE - 1
    other pending ones of its project that no other worker holds: the answers are written together
    (a statement per table, one commit), and their own messages later find them done. The newest
    are taken, whose messages are furthest back in the queue, so that two workers seldom wait on
    each other's rows.

    A worker killed mid-batch commits nothing: every row stays pending and its own message (back
    in the queue after the broker's visibility timeout) classifies it. A storage outage rolls the
    batch back, with its public copies, and the task retries. Another row that breaks otherwise is
    left out, for its own message to report.
    """
    model_version = work.model_version
    assert model_version is not None
    species_by_label = _species_by_label(stamp=work.species_stamp, model_version=model_version)
    answered = Classification.objects.filter(sighting=OuterRef("pk"), model_version=model_version)
    with _Batch.atomic(model_version=model_version, own_id=sighting_id) as batch:
        # This sighting's row waits for a batch that holds it; the others are skipped if held.
        first = Sighting.objects.select_for_update().filter(pk=sighting_id).values("project_id").first()
        if first is None:
            return
        others = list(
            Sighting.objects.select_for_update(skip_locked=True)
            .filter(project_id=first["project_id"], status=Sighting.Status.PENDING)
            .exclude(pk=sighting_id)
            .exclude(Exists(answered))
            .order_by(PENDING_ORDER.desc())
            .values_list("pk", flat=True)[: settings.CLASSIFY_BATCH_SIZE - 1]
        )
        rows = list(_locked(Sighting.objects.filter(pk__in=[sighting_id, *others])).exclude(Exists(answered)))
        batch.classify(rows=rows, species_by_label=species_by_label)


def sightings_classify_batch(*, sighting_ids: Sequence[UUID | str], model_version: ModelVersion) -> list[str]:
    """Classify these sightings with a version (re-classification once it became active) in one
    transaction and one model run, publishing any that lack a public copy.

    Sightings the version answered already, or that are gone, are skipped. Answers the ids left
    for a one-sighting task: rows another transaction holds, and rows that broke in a way no
    storage outage explains. An unreadable photo marks its sighting failed, with the reason.
    Raises StorageUnavailable on an outage, leaving the batch undone.
    """
    answered = Classification.objects.filter(sighting=OuterRef("pk"), model_version=model_version)
    species_by_label = _species_by_label(stamp=species_stamp(), model_version=model_version)
    with _Batch.atomic(model_version=model_version) as batch:
        ours = {
            str(pk)
            for pk in Sighting.objects.select_for_update(skip_locked=True)
            .filter(pk__in=sighting_ids)
            .values_list("pk", flat=True)
        }
        rows = list(_locked(Sighting.objects.filter(pk__in=ours)).exclude(Exists(answered)))
        batch.classify(rows=rows, species_by_label=species_by_label)
    gone_or_held = {str(sighting_id) for sighting_id in sighting_ids} - ours
    held = Sighting.objects.filter(pk__in=gone_or_held).values_list("pk", flat=True)
    return [str(pk) for pk in held] + batch.left_out


class _Batch:
    """Rows locked by the caller's transaction, classified together: their photos read, decoded
    and published in this process's threads (`_PhotoThreads`), one model run, one write."""

    def __init__(self, *, model_version: ModelVersion, own_id: UUID | str | None):
        self.model_version = model_version
        self.own_id = None if own_id is None else str(own_id)
        self.threads = _PhotoThreads(model_version=model_version)
        self.answers: list[_Answer] = []
        self.left_out: list[str] = []

    @classmethod
    @contextlib.contextmanager
    def atomic(cls, *, model_version: ModelVersion, own_id: UUID | str | None = None) -> Iterator["_Batch"]:
        """A batch in one transaction. Once it ends every public copy stored for it is removed,
        but those that became their rows' with the commit."""
        batch = cls(model_version=model_version, own_id=own_id)
        committed = False
        try:
            with transaction.atomic():
                yield batch
            committed = True
        finally:
            kept = {answer.public_photo for answer in batch.answers if committed and answer.published}
            for name in batch.threads.stored():
                if name not in kept:
                    storage_delete_quietly(name=name)

    def classify(self, *, rows: list[Sighting], species_by_label: dict[str, Species | None]) -> None:
        decoding = [self.threads.decode(row=row) for row in rows]
        ready: list[tuple[Sighting, np.ndarray]] = []
        for row, decoded in zip(rows, decoding, strict=True):
            with self._unless_broken(row=row):
                try:
                    ready.append((row, decoded.result()))
                except (FileNotFoundError, PhotoError) as error:
                    _mark_failed(sighting_id=row.pk, reason=_failure_reason(error))
        if ready:
            results = classify_tensor(
                model_version=self.model_version,
                tensor=np.concatenate([tensor for _, tensor in ready]),
                top_k=settings.CLASSIFIER_TOP_K,
            )
            for (row, _), result in zip(ready, results, strict=True):
                with self._unless_broken(row=row):
                    public_photo = self.threads.public_photo(row=row)
                    duration_ms = self.threads.decode_ms[str(row.pk)] + result.duration_ms
                    self.answers.append(_Answer(row, result, duration_ms, public_photo))
        _answers_write(
            answers=self.answers, model_version=self.model_version, species_by_label=species_by_label
        )

    @contextlib.contextmanager
    def _unless_broken(self, *, row: Sighting) -> Iterator[None]:
        """Leave a row out when it breaks in a way no storage outage explains, for a task of its
        own to report. The batch's own row, and an outage, raise."""
        try:
            yield
        except StorageUnavailable:
            raise
        except Exception:
            if str(row.pk) == self.own_id:
                raise
            logger.exception("sighting %s left out of a batch", row.pk)
            self.left_out.append(str(row.pk))


def _failure_reason(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return PHOTO_MISSING
    return f"The photo cannot be read: {error}"


class _PhotoThreads:
    """A batch's work that needs no database, in this process's threads: each photo read from
    storage, decoded and preprocessed (`decode`), then, for a row without one, its public copy made
    from the same bytes and stored. `stored` waits for all of it and names every copy stored."""

    def __init__(self, *, model_version: ModelVersion):
        self.model_version = model_version
        self.decode_ms: dict[str, float] = {}
        self._decoding: list[Future[np.ndarray]] = []
        self._copies: dict[str, Future[str | None]] = {}

    def decode(self, *, row: Sighting) -> "Future[np.ndarray]":
        decoding = _threads().submit(self._decode, str(row.pk), row.photo.name or "", not row.public_photo)
        self._decoding.append(decoding)
        return decoding

    def _decode(self, key: str, name: str, publish: bool) -> np.ndarray:
        data = storage_read(name=name)
        started = time.perf_counter()
        tensor = photo_tensor(
            model_version=self.model_version, data=data, max_pixels=settings.PHOTO_MAX_PIXELS
        )
        self.decode_ms[key] = (time.perf_counter() - started) * 1000
        if publish:  # once the photo proved readable
            self._copies[key] = _threads().submit(public_photo_save, data=data)
        return tensor

    def public_photo(self, *, row: Sighting) -> str:
        """The row's stored public copy ("" when it needed none); raises what storing it raised."""
        copy = self._copies.get(str(row.pk))
        return (copy.result() or "") if copy is not None else ""

    def stored(self) -> list[str]:
        wait(self._decoding)
        wait(self._copies.values())
        return [name for copy in self._copies.values() if not copy.exception() and (name := copy.result())]


_pool: tuple[int, ThreadPoolExecutor] | None = None


def _threads() -> ThreadPoolExecutor:
    """This process's threads for batches (made on first use, never carried across a fork)."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(settings.CLASSIFY_BATCH_THREADS, "classify-batch"))
    return _pool[1]


def _answers_write(
    *, answers: list[_Answer], model_version: ModelVersion, species_by_label: dict[str, Species | None]
) -> list[Classification]:
    """Answers on rows the caller locked, a statement per table: classifications, predictions, the
    machine's identifications, embeddings and the rows themselves (with a new public copy's name
    where the row has none)."""
    if not answers:
        return []
    classifications = Classification.objects.bulk_create(
        Classification(
            sighting=answer.sighting,
            model_version=model_version,
            rejected=answer.result.rejected,
            uncertain=answer.result.uncertain,
            top_score=answer.result.top_score,
            duration_ms=answer.duration_ms,
        )
        for answer in answers
    )
    Prediction.objects.bulk_create(
        Prediction(
            classification=classification,
            rank=rank,
            label=score.label,
            species=species_by_label.get(score.label),
            score=score.score,
        )
        for classification, answer in zip(classifications, answers, strict=True)
        for rank, score in enumerate(answer.result.scores, start=1)
    )
    firsts, embeddings, now = [], [], timezone.now()
    for answer in answers:
        sighting, result = answer.sighting, answer.result
        top_species = species_by_label.get(result.scores[0].label) if result.scores else None
        # An uncertain answer names no species: the angler and the moderators choose.
        if not result.rejected and not result.uncertain and top_species is not None:
            if sighting.has_identifications:  # type: ignore[attr-defined]
                identification_machine_add(
                    sighting=sighting,
                    species=top_species,
                    model_version=model_version,
                    has_identifications=True,
                )
            else:
                firsts.append(
                    identification_machine_first(
                        sighting=sighting, species=top_species, model_version=model_version
                    )
                )
        if result.embedding is not None and not result.rejected:
            embeddings.append((sighting, result.embedding))
        status = Sighting.Status.REJECTED if result.rejected else Sighting.Status.CLASSIFIED
        sighting.status = sighting_status_for(status=status, species_id=sighting.species_id)
        sighting.failure_reason = ""
        sighting.classified_at = sighting.updated_at = now
        sighting.top_score = result.top_score
        sighting.uncertain = result.uncertain and not sighting.identified_by_a_person  # type: ignore[attr-defined]
        if answer.public_photo and not sighting.public_photo:
            sighting.public_photo = answer.public_photo
    Identification.objects.bulk_create(firsts)
    if embeddings:
        sightings_embeddings_store(entries=embeddings, model_version=model_version)
    # UPDATE ... FROM (VALUES ...): one statement for the batch. bulk_update's CASE expressions took
    # about 3 ms a row to build, an UPDATE per row about 0.6 ms (PostGIS, a batch of 16).
    fast_update(Sighting.objects.all(), [answer.sighting for answer in answers], ANSWER_FIELDS, None)
    return classifications


def sighting_classify(
    *, sighting_id: UUID | str, model_version: ModelVersion | None = None
) -> Classification | None:
    """Classify one sighting with a model version (the active one by default).

    Idempotent: a second call for the same sighting and version changes nothing. Raises
    StorageUnavailable on a storage outage so that the task retries; an unreadable photo marks
    the sighting failed with the reason.
    """
    work = _work_get(sighting_id=sighting_id, model_version=model_version)
    if work is None:
        logger.info("sighting %s no longer exists", sighting_id)
        return None
    if work.model_version is None:
        logger.info("no active model version: sighting %s waits for a moderator", sighting_id)
        return None
    if work.classified:
        answered = Classification.objects.filter(sighting_id=sighting_id, model_version=work.model_version)
        return answered.first()
    try:
        data = storage_read(name=work.photo)
    except FileNotFoundError:
        _mark_failed(sighting_id=sighting_id, reason=PHOTO_MISSING)
        return None
    return _classify(sighting_id=sighting_id, work=work, data=data)


def classification_caches_clear() -> None:
    """Forget this process's model versions and label maps (tests)."""
    _versions.clear()
    _label_maps.clear()


# --- Reading the work -------------------------------------------------------------------------

_versions: dict[tuple[int, str], ModelVersion] = {}
_label_maps: dict[tuple[int, tuple[int, datetime | None]], dict[str, Species | None]] = {}


def _work_get(*, sighting_id: UUID | str, model_version: ModelVersion | None) -> _Work | None:
    # Only a version of the sighting's own project ever classifies it.
    versions = ModelVersion.objects.filter(project_id=OuterRef("project_id"))
    versions = versions.filter(pk=model_version.pk) if model_version else versions.filter(is_active=True)
    version = versions.annotate(
        fields=JSONObject(
            pk="pk",
            sha256="sha256",
            rejection_threshold="rejection_threshold",
            negative_label="negative_label",
        )
    ).values("fields")[:1]
    answered = Classification.objects.filter(sighting=OuterRef("pk"))
    answered = (
        answered.filter(model_version_id=model_version.pk)
        if model_version
        else answered.filter(model_version__project_id=OuterRef("project_id"), model_version__is_active=True)
    )
    row = (
        Sighting.objects.filter(pk=sighting_id)
        .annotate(
            version=Subquery(version, output_field=JSONField()),
            classified=Exists(answered),
            **species_changes(),
        )
        .values("photo", "public_photo", "version", "classified", "species_count", "species_changed_at")
        .first()
    )
    if row is None:
        return None
    return _Work(
        photo=row["photo"],
        public_photo=row["public_photo"],
        model_version=_version_get(fields=row["version"]) if row["version"] else None,
        classified=row["classified"],
        species_stamp=(row["species_count"], row["species_changed_at"]),
    )


def _version_get(*, fields: dict) -> ModelVersion:
    """This process's copy of a version, with the editable fields as the database has them now."""
    key = (fields["pk"], fields["sha256"])
    cached = _versions.get(key)
    if cached is None:
        if len(_versions) >= CACHE_ENTRIES:
            _versions.clear()
        cached = _versions[key] = ModelVersion.objects.get(pk=fields["pk"])
    version = copy.copy(cached)
    version.rejection_threshold = fields["rejection_threshold"]
    version.negative_label = fields["negative_label"]
    return version


def _species_by_label(
    *, stamp: tuple[int, datetime | None], model_version: ModelVersion
) -> dict[str, Species | None]:
    key = (model_version.pk, stamp)
    found = _label_maps.get(key)
    if found is None:
        if len(_label_maps) >= CACHE_ENTRIES:
            _label_maps.clear()
        found = _label_maps[key] = species_by_labels(labels=model_version.labels)
    return found


# --- Classifying and recording ----------------------------------------------------------------


def _classify(
    *, sighting_id: UUID | str, work: _Work, data: bytes, publish: bool = False
) -> Classification | None:
    """Classify and record; with `publish`, the public copy is stored once the photo proved readable
    and its name written in the same transaction. None when the photo cannot be read (then the
    sighting is marked failed and nothing is published)."""
    model_version = work.model_version
    assert model_version is not None
    started = time.perf_counter()
    try:
        result = classify_photo(
            model_version=model_version,
            data=data,
            top_k=settings.CLASSIFIER_TOP_K,
            max_pixels=settings.PHOTO_MAX_PIXELS,
        )
    except PhotoError as error:
        _mark_failed(sighting_id=sighting_id, reason=_failure_reason(error))
        return None
    duration_ms = (time.perf_counter() - started) * 1000
    species_by_label = _species_by_label(stamp=work.species_stamp, model_version=model_version)
    return _record(
        sighting_id=sighting_id,
        model_version=model_version,
        result=result,
        duration_ms=duration_ms,
        species_by_label=species_by_label,
        public_photo=(public_photo_save(data=data) or "") if publish else "",
    )


def _record(
    *,
    sighting_id: UUID | str,
    model_version: ModelVersion,
    result: ClassificationResult,
    duration_ms: float,
    species_by_label: dict[str, Species | None],
    public_photo: str = "",
) -> Classification | None:
    """Write the answer in one transaction: lock, classification, predictions, identification, row
    (with `public_photo`, a stored public copy, unless the row has one; then that copy is removed)."""
    answer: _Answer | None = None
    committed = False
    try:
        with transaction.atomic():
            sighting = _locked(Sighting.objects.select_for_update()).filter(pk=sighting_id).first()
            if sighting is None:
                return None
            answer = _Answer(sighting, result, duration_ms, public_photo)
            [classification] = _answers_write(
                answers=[answer], model_version=model_version, species_by_label=species_by_label
            )
        committed = True
    except IntegrityError:
        # A duplicate delivery won the race and recorded this version's answer first.
        existing = Classification.objects.filter(sighting_id=sighting_id, model_version=model_version).first()
        if existing is None:
            raise
        return existing
    finally:
        if public_photo and not (committed and answer is not None and answer.published):
            storage_delete_quietly(name=public_photo)
    return classification


def _locked(queryset: QuerySet[Sighting]) -> QuerySet[Sighting]:
    """The rows as `_answers_write` reads them (the caller locks them)."""
    current = Identification.objects.filter(sighting=OuterRef("pk"), is_current=True)
    return queryset.annotate(
        has_identifications=Exists(current),
        identified_by_a_person=Exists(current.filter(user__isnull=False)),
    )


def sighting_embedding_store(*, sighting: Sighting, model_version: ModelVersion, vector: np.ndarray) -> None:
    """The photo's embedding, replacing one an earlier version made: one statement."""
    sightings_embeddings_store(entries=[(sighting, vector)], model_version=model_version)


def sightings_embeddings_store(
    *, entries: list[tuple[Sighting, np.ndarray]], model_version: ModelVersion
) -> None:
    """Photos' embeddings, each replacing one an earlier version made: one statement."""
    now = timezone.now()
    SightingEmbedding.objects.bulk_create(
        [
            SightingEmbedding(
                sighting=sighting,
                extractor=model_version.embedding_extractor,
                dimensions=len(vector),
                vector=embedding_bytes(vector),
                created_at=now,
            )
            for sighting, vector in entries
        ],
        update_conflicts=True,
        unique_fields=["sighting"],
        update_fields=["extractor", "dimensions", "vector", "created_at"],
    )


def _mark_failed(*, sighting_id: UUID | str, reason: str) -> None:
    logger.warning("sighting %s failed: %s", sighting_id, reason)
    Sighting.objects.filter(pk=sighting_id).update(status=Sighting.Status.FAILED, failure_reason=reason[:500])
