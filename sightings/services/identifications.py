"""The identification history, and the sighting's species and quality grade derived from it.

Every opinion on what a sighting shows is appended as an Identification and never edited or
deleted; when the same author identifies again, only `is_current` of the older one turns False.
A sighting's `species` and `quality_grade` are never written directly: they are derived here
from the current identifications:

- a moderator's identification decides (the newest one if several moderators identified);
- otherwise, once any human identified, the humans decide: the species most of them name (a tie
  goes to the most recent), `verified` when at least two humans identified and more than two
  thirds of them name that species (iNaturalist's rule);
- otherwise the newest machine identification stands, needing ID;
- `verified` also needs a species-rank taxon (a genus stays needs ID);
- a sighting without photo, date or location is `casual` whatever its identifications say.

Identifications of a taxon merged into another count for the taxon it was merged into.

Nothing here queues classification: a human identification never triggers the classifier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from projects.models import Project
from regulations.models import Species
from regulations.selectors import species_accepted

from ..models import Identification, Prediction, Sighting
from ..roles import user_is_moderator, user_moderates

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from classifier.models import ModelVersion

# (sighting, species_id, source, model_version_id) of one identification to write.
_Entry = tuple[Sighting, int, str, int | None]

HUMAN_SOURCES = frozenset(
    {Identification.Source.OWNER, Identification.Source.MODERATOR, Identification.Source.COMMUNITY}
)
DERIVE_CHUNK = 1000


@dataclass(frozen=True)
class Suggestion:
    species_id: int
    model_version_id: int | None


# --- Reads ------------------------------------------------------------------------------------


def sighting_suggestion_get(*, sighting: Sighting) -> Suggestion | None:
    """The machine's suggestion for one sighting, or None (see `sightings_suggestions_get`)."""
    return sightings_suggestions_get(sighting_ids=[sighting.pk]).get(sighting.pk)


def sightings_suggestions_get(*, sighting_ids: Iterable[UUID]) -> dict[UUID, Suggestion]:
    """The machine's suggestion per sighting id: two queries whatever the number of sightings.

    The suggestion is the species of the newest current machine identification; a sighting
    without one falls back to the top prediction of its newest accepted classification when that
    prediction names a species.
    """
    sighting_ids = list(sighting_ids)
    suggestions = {}
    machine = (
        Identification.objects.filter(
            sighting_id__in=sighting_ids, source=Identification.Source.MACHINE, is_current=True
        )
        .order_by("created_at", "pk")
        .values_list("sighting_id", "species_id", "model_version_id")
    )
    for sighting_id, species_id, model_version_id in machine:
        suggestions[sighting_id] = Suggestion(species_id=species_id, model_version_id=model_version_id)

    missing = [pk for pk in sighting_ids if pk not in suggestions]
    if missing:
        predictions = (
            Prediction.objects.filter(classification__sighting_id__in=missing, classification__rejected=False)
            .order_by(
                "classification__sighting_id", "-classification__created_at", "-classification_id", "rank"
            )
            .values_list("classification__sighting_id", "species_id", "classification__model_version_id")
        )
        seen = set()
        for sighting_id, species_id, model_version_id in predictions:
            if sighting_id in seen:
                continue
            seen.add(sighting_id)
            if species_id is not None:
                suggestions[sighting_id] = Suggestion(
                    species_id=species_id, model_version_id=model_version_id
                )
    return suggestions


# --- Writes -----------------------------------------------------------------------------------


@transaction.atomic
def identification_create(
    *,
    sighting: Sighting,
    species: Species,
    source: str,
    user: User | None = None,
    model_version: ModelVersion | None = None,
    from_suggestion: bool = False,
    comment: str = "",
) -> Identification:
    """Append one identification and re-derive the sighting's species and quality grade.

    The classification pipeline calls this with source MACHINE: a machine identification never
    changes the species once a human identified (see the module's rules).
    """
    _source_check(source=source, user=user)
    [locked] = _sightings_lock(sighting_ids=[sighting.pk])
    [identification] = _identifications_append(
        entries=[(locked, species.pk, source, model_version.pk if model_version else None)],
        user=user,
        from_suggestion=from_suggestion,
        comment=comment,
    )
    sighting.species, sighting.quality_grade = locked.species, locked.quality_grade
    return identification


def identification_machine_add(
    *, sighting: Sighting, species: Species, model_version: ModelVersion, has_identifications: bool
) -> Identification:
    """The classifier's identification of a sighting the caller has locked (inside its transaction).

    Sets the sighting's species and quality grade on the instance without saving them: the caller
    writes them with the rest of its update. A sighting without any current identification (a new
    catch) needs no read of its history; one with identifications takes the full path.
    """
    if has_identifications:
        [identification] = _identifications_append(
            entries=[(sighting, species.pk, Identification.Source.MACHINE, model_version.pk)],
            user=None,
            from_suggestion=False,
            comment="",
        )
        return identification
    identification = identification_machine_first(
        sighting=sighting, species=species, model_version=model_version
    )
    identification.save()
    return identification


def identification_machine_first(
    *, sighting: Sighting, species: Species, model_version: ModelVersion
) -> Identification:
    """The classifier's identification of a sighting that has none yet, unsaved (for a bulk_create),
    with the sighting's species and quality grade set on the instance as it decides them."""
    identification = Identification(
        sighting=sighting,
        species=species,
        previous_species_id=sighting.species_id,
        source=Identification.Source.MACHINE,
        model_version=model_version,
    )
    decided, grade = _identity_decide(identifications=[identification])
    sighting.species, sighting.quality_grade = decided, _grade_with_evidence(sighting=sighting, grade=grade)
    return identification


@transaction.atomic
def identification_set_species(
    *, sighting: Sighting, species: Species, user: User | AnonymousUser, comment: str = ""
) -> Identification:
    """A human names the species: the owner on their own sighting, a moderator on any.

    Raises PermissionDenied for anyone else (anglers on others' sightings, researchers).
    """
    [identification] = identifications_set_species_bulk(
        sightings=[sighting], species=species, user=user, comment=comment
    )
    _sighting_refresh_identity(sighting=sighting)
    return identification


@transaction.atomic
def identification_confirm_suggestion(
    *, sighting: Sighting, user: User | AnonymousUser, comment: str = ""
) -> Identification:
    """The owner or a moderator accepts the machine's suggestion (recorded with from_suggestion).

    Raises PermissionDenied as `identification_set_species`, and ValidationError when the machine
    suggested nothing.
    """
    identifications = identifications_confirm_suggested_bulk(sightings=[sighting], user=user, comment=comment)
    if not identifications:
        raise ValidationError("The classifier suggested no species for this sighting.")
    _sighting_refresh_identity(sighting=sighting)
    return identifications[0]


@transaction.atomic
def identifications_set_species_bulk(
    *, sightings: Iterable[Sighting], species: Species, user: User | AnonymousUser, comment: str = ""
) -> list[Identification]:
    """`identification_set_species` on many sightings at once: all of them or none.

    A constant number of queries whatever the number of sightings. Answers the identifications.
    """
    locked = _sightings_lock(sighting_ids=_sighting_ids(sightings))
    if not locked:
        return []
    identifier = _identifier(user=user)
    sources = {sighting.pk: _human_source(sighting=sighting, user=identifier) for sighting in locked}
    _check_project_taxa(sightings=locked, species=species)
    return _identifications_append(
        entries=[(sighting, species.pk, sources[sighting.pk], None) for sighting in locked],
        user=identifier,
        from_suggestion=False,
        comment=comment,
    )


@transaction.atomic
def identifications_confirm_suggested_bulk(
    *, sightings: Iterable[Sighting], user: User | AnonymousUser, comment: str = ""
) -> list[Identification]:
    """`identification_confirm_suggestion` on many sightings at once: all of them or none.

    Sightings without a machine suggestion are skipped. Answers the identifications written.
    """
    locked = _sightings_lock(sighting_ids=_sighting_ids(sightings))
    if not locked:
        return []
    identifier = _identifier(user=user)
    sources = {sighting.pk: _human_source(sighting=sighting, user=identifier) for sighting in locked}
    suggestions = sightings_suggestions_get(sighting_ids=sources)
    entries = [
        (sighting, suggestion.species_id, sources[sighting.pk], suggestion.model_version_id)
        for sighting in locked
        if (suggestion := suggestions.get(sighting.pk)) is not None
    ]
    return _identifications_append(entries=entries, user=identifier, from_suggestion=True, comment=comment)


@transaction.atomic
def species_merge(*, source: Species, target: Species, user: User) -> int:
    """A taxon was renamed or merged: `source` now stands for `target`.

    `source` stays (old identifications keep pointing at it, readable as "source (now target)");
    it gets `merged_into=target`, and so do the taxa merged into it before, which keeps every
    chain one step long. Sightings are re-derived, so the ones whose species was `source` move to
    `target` with their quality grade kept. No identification is written for the move: a merge is
    not an opinion on a photo and would count as a vote. The audit record is the admin log: one
    entry on the species and one on each sighting whose species changed.

    Answers the number of sightings moved.
    """
    if not (user_is_moderator(user) and user.has_perm("regulations.change_species")):
        raise PermissionDenied("Only moderators may merge species.")
    locked = {
        species.pk: species
        for species in Species.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.pk == target.pk:
        raise ValidationError("A species cannot be merged into itself.")
    if source.merged_into_id is not None:
        raise ValidationError(f"{source} was already merged into another species.")
    if target.merged_into_id is not None:
        raise ValidationError(f"{target} was itself merged into another species: merge into that one.")

    taxa = [source.pk, *Species.objects.filter(merged_into=source).values_list("pk", flat=True)]
    Species.objects.filter(pk__in=taxa).update(merged_into=target, updated_at=timezone.now())
    source.merged_into = target

    affected_ids = (
        Sighting.objects.filter(
            Q(species_id__in=taxa) | Q(identifications__species_id__in=taxa, identifications__is_current=True)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    affected = list(affected_ids)
    moved: list[Sighting] = []
    for start in range(0, len(affected), DERIVE_CHUNK):
        chunk = _sightings_lock(sighting_ids=affected[start : start + DERIVE_CHUNK])
        before = {sighting.pk: sighting.species_id for sighting in chunk}
        _sightings_derive_identity(sightings=chunk)
        moved.extend(sighting for sighting in chunk if sighting.species_id != before[sighting.pk])

    message = f"Species {source.scientific_name} merged into {target.scientific_name}."
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[source],
        action_flag=CHANGE,
        change_message=f"{message} {len(moved)} sightings moved.",
        single_object=True,
    )
    if moved:
        LogEntry.objects.log_actions(
            user_id=user.pk, queryset=moved, action_flag=CHANGE, change_message=message
        )
    return len(moved)


def sighting_derive_identity(*, sighting: Sighting) -> None:
    """Set species and quality grade from the current identifications (the module's rules)."""
    _sightings_derive_identity(sightings=[sighting])


def sighting_initial_identity(*, sighting: Sighting) -> None:
    """Species and quality grade of a row not yet written, which has no identification: what
    `sighting_derive_identity` would give it, without a query."""
    species, grade = _identity_decide(identifications=[])
    sighting.species, sighting.quality_grade = species, _grade_with_evidence(sighting=sighting, grade=grade)


# --- Internals --------------------------------------------------------------------------------


def _source_check(*, source: str, user: User | None) -> None:
    if source == Identification.Source.MACHINE and user is not None:
        raise ValueError("A machine identification has no user.")
    if source in HUMAN_SOURCES and user is None:
        raise ValueError("A human identification needs its user.")
    if source not in HUMAN_SOURCES and source != Identification.Source.MACHINE:
        raise ValueError(f"Unknown identification source {source!r}.")


def _identifier(*, user: User | AnonymousUser | None) -> User:
    """The user who identifies: signed in and active, or PermissionDenied."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in to identify sightings.")
    return user


def _human_source(*, sighting: Sighting, user: User) -> Identification.Source:
    # The owner identifies as the owner even when a moderator, so nobody verifies their own catch.
    if sighting.owner_id == user.pk:
        return Identification.Source.OWNER
    if user_moderates(user, project_id=sighting.project_id):
        return Identification.Source.MODERATOR
    raise PermissionDenied("Only the sighting's owner or a moderator may identify it.")


def _check_project_taxa(*, sightings: list[Sighting], species: Species) -> None:
    """ValidationError unless `species` is among the taxa of each sighting's project (a project that
    lists no taxa takes any)."""
    links = Project.taxa.through.objects.filter(
        project_id__in={sighting.project_id for sighting in sightings}
    )
    taxa: dict[int, set[int]] = {}
    for project_id, species_id in links.values_list("project_id", "species_id"):
        taxa.setdefault(project_id, set()).add(species_id)
    accepted = {species.pk, species.merged_into_id}
    for sighting in sightings:
        listed = taxa.get(sighting.project_id)
        if listed is not None and not listed & accepted:
            name = Project.objects.get(pk=sighting.project_id).name
            raise ValidationError({"species": f"{species} is not among the taxa of the project {name}."})


def _sighting_ids(sightings: Iterable[Sighting]) -> list[UUID]:
    if isinstance(sightings, QuerySet):
        return list(sightings.order_by().values_list("pk", flat=True))
    return [sighting.pk for sighting in sightings]


def _sightings_lock(*, sighting_ids: Iterable[UUID]) -> list[Sighting]:
    """The sightings, locked in a fixed order so that concurrent writers cannot deadlock."""
    return list(Sighting.objects.select_for_update().filter(pk__in=list(sighting_ids)).order_by("pk"))


def _sighting_refresh_identity(*, sighting: Sighting) -> None:
    fresh = Sighting.objects.filter(pk=sighting.pk).values("species_id", "quality_grade").get()
    sighting.species_id, sighting.quality_grade = fresh["species_id"], fresh["quality_grade"]


def _identifications_append(
    *, entries: Sequence[_Entry], user: User | None, from_suggestion: bool, comment: str
) -> list[Identification]:
    """Write identifications for locked sightings and re-derive them.

    `entries` holds (sighting, species_id, source, model_version_id) tuples.
    """
    if not entries:
        return []
    sighting_ids = [sighting.pk for sighting, *_ in entries]
    current = Identification.objects.filter(sighting_id__in=sighting_ids, is_current=True)
    if user is not None:
        current.filter(user=user).update(is_current=False)
    else:
        for model_version_id in {model_version_id for *_, model_version_id in entries}:
            current.filter(
                source=Identification.Source.MACHINE, user=None, model_version_id=model_version_id
            ).update(is_current=False)

    identifications = Identification.objects.bulk_create(
        Identification(
            sighting=sighting,
            species_id=species_id,
            previous_species_id=sighting.species_id,
            source=source,
            user=user,
            model_version_id=model_version_id,
            from_suggestion=from_suggestion,
            comment=comment,
        )
        for sighting, species_id, source, model_version_id in entries
    )
    if user is not None:  # a person answered: the sighting leaves the front of the queue
        Sighting.objects.filter(pk__in=sighting_ids, uncertain=True).update(uncertain=False)
    _sightings_derive_identity(sightings=[sighting for sighting, *_ in entries])
    return identifications


def _sightings_derive_identity(*, sightings: Sequence[Sighting]) -> None:
    by_sighting: defaultdict[UUID, list[Identification]] = defaultdict(list)
    current = (
        Identification.objects.filter(
            sighting_id__in=[sighting.pk for sighting in sightings], is_current=True
        )
        .select_related("species__merged_into")
        .order_by("created_at", "pk")
    )
    for identification in current:
        by_sighting[identification.sighting_id].append(identification)

    now = timezone.now()
    changed = []
    for sighting in sightings:
        species, grade = _identity_decide(identifications=by_sighting[sighting.pk])
        grade = _grade_with_evidence(sighting=sighting, grade=grade)
        species_id = species.pk if species else None
        status = sighting_status_for(status=sighting.status, species_id=species_id)
        if (species_id, grade, status) != (sighting.species_id, sighting.quality_grade, sighting.status):
            sighting.species, sighting.quality_grade, sighting.status = species, grade, status
            sighting.updated_at = now
            changed.append(sighting)
    if changed:
        Sighting.objects.bulk_update(
            changed, ["species", "quality_grade", "status", "updated_at"], batch_size=500
        )


def sighting_status_for(*, status: str, species_id: int | None) -> str:
    """The status follows the identification: a photo the classifier rejected that someone then
    identified shows a known species, so it is classified."""
    if status == Sighting.Status.REJECTED and species_id is not None:
        return Sighting.Status.CLASSIFIED
    return status


def _grade_with_evidence(*, sighting: Sighting, grade: Sighting.QualityGrade) -> Sighting.QualityGrade:
    """Casual, whatever the identifications, without a photo, a time or a place."""
    if not sighting.photo or sighting.observed_at is None or sighting.location is None:
        return Sighting.QualityGrade.CASUAL
    return grade


def _identity_decide(
    *, identifications: Sequence[Identification]
) -> tuple[Species | None, Sighting.QualityGrade]:
    humans = [i for i in identifications if i.source in HUMAN_SOURCES]
    moderators = [i for i in humans if i.source == Identification.Source.MODERATOR]
    machines = [i for i in identifications if i.source == Identification.Source.MACHINE]

    if moderators:
        species = species_accepted(species=moderators[-1].species)
        return species, _grade(species=species, agreed=True)
    if humans:
        votes: defaultdict[int, int] = defaultdict(int)
        latest: dict[int, int] = {}
        taxa: dict[int, Species] = {}
        for position, identification in enumerate(humans):
            species = species_accepted(species=identification.species)
            votes[species.pk] += 1
            latest[species.pk] = position
            taxa[species.pk] = species
        leader = max(votes, key=lambda pk: (votes[pk], latest[pk]))
        agreed = len(humans) >= 2 and votes[leader] * 3 > len(humans) * 2
        return taxa[leader], _grade(species=taxa[leader], agreed=agreed)
    if machines:
        return species_accepted(species=machines[-1].species), Sighting.QualityGrade.NEEDS_ID
    return None, Sighting.QualityGrade.NEEDS_ID


def _grade(*, species: Species, agreed: bool) -> Sighting.QualityGrade:
    if agreed and species.rank == Species.Rank.SPECIES:
        return Sighting.QualityGrade.VERIFIED
    return Sighting.QualityGrade.NEEDS_ID
