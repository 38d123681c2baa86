"""Moderators link sightings to individuals: one animal followed across its sightings."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from classifier.imaging import PhotoError
from classifier.inference import classify_photo
from classifier.selectors import model_version_active
from projects.models import Project
from regulations.models import Species

from ..models import Individual, Sighting, SightingEmbedding
from ..roles import user_moderates
from ..storage import storage_read
from .classification import sighting_embedding_store

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def _check_moderator(*, user: "User | AnonymousUser", project_id: int) -> None:
    if not user_moderates(user, project_id=project_id):
        raise PermissionDenied("Only the project's moderators link sightings to individuals.")


def individual_create(
    *, project: Project, species: Species, name: str, user: "User", notes: str = ""
) -> Individual:
    """A new individual of the project. Raises PermissionDenied for a non-moderator and
    ValidationError for a blank or taken name or a species outside the project's taxa."""
    _check_moderator(user=user, project_id=project.pk)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the individual a name."})
    if project.taxa.exists() and not project.taxa.filter(pk=species.pk).exists():
        raise ValidationError({"species": f"{species} is not among the taxa of the project {project.name}."})
    try:
        with transaction.atomic():
            return Individual.objects.create(
                project=project, species=species, name=name[:200], notes=notes, created_by=user
            )
    except IntegrityError:
        raise ValidationError({"name": f"{project.name} already has an individual named {name!r}."}) from None


@transaction.atomic
def sighting_individual_link(*, sighting: Sighting, individual: Individual, user: "User") -> Sighting:
    """Say that the sighting shows this individual (replacing an earlier link)."""
    _check_moderator(user=user, project_id=sighting.project_id)
    if individual.project_id != sighting.project_id:
        raise ValidationError({"individual": "The individual belongs to another project."})
    if sighting.species_id is None:
        raise ValidationError({"individual": "Identify the species first."})
    if individual.species_id not in (sighting.species_id, getattr(sighting.species, "merged_into_id", None)):
        raise ValidationError(
            {"individual": f"{individual.name} is a {individual.species}, not a {sighting.species}."}
        )
    return _individual_set(sighting=sighting, individual=individual, user=user)


def _individual_set(*, sighting: Sighting, individual: Individual | None, user: "User") -> Sighting:
    """Write the link (or its removal) with who made it and when, in the database and on `sighting`."""
    now = timezone.now()
    fields = {"individual": individual, "individual_linked_by": user, "individual_linked_at": now}
    Sighting.objects.filter(pk=sighting.pk).update(**fields, updated_at=now)
    for name, value in {**fields, "updated_at": now}.items():
        setattr(sighting, name, value)
    return sighting


@transaction.atomic
def sighting_individual_match(*, sighting: Sighting, candidate: Sighting, user: "User") -> Individual:
    """One click: `sighting` shows the same animal as `candidate`. Both join the candidate's
    individual, or a new one named after the species and the candidate when it has none."""
    _check_moderator(user=user, project_id=sighting.project_id)
    if candidate.pk == sighting.pk:
        raise ValidationError({"candidate": "A sighting cannot match itself."})
    if candidate.project_id != sighting.project_id or candidate.species_id != sighting.species_id:
        raise ValidationError({"candidate": "The candidate is not of the same project and species."})
    individual = candidate.individual
    if individual is None:
        species = candidate.species
        assert species is not None  # the sighting's species, checked above
        individual = individual_create(
            project=candidate.project,
            species=species,
            name=f"{species.common_name or species.scientific_name} {str(candidate.pk)[:8]}",
            user=user,
        )
        sighting_individual_link(sighting=candidate, individual=individual, user=user)
    sighting_individual_link(sighting=sighting, individual=individual, user=user)
    return individual


def sighting_individual_unlink(*, sighting: Sighting, user: "User") -> Sighting:
    _check_moderator(user=user, project_id=sighting.project_id)
    return _individual_set(sighting=sighting, individual=None, user=user)


def sightings_embed_missing(*, project: Project, limit: int | None = None) -> tuple[int, int]:
    """Give the project's identified sightings classified before their model gave embeddings one,
    from the active version (its answer is not recorded again). Answers (embedded, skipped)."""
    version = model_version_active(project=project)
    if version is None:
        return 0, 0
    have = SightingEmbedding.objects.filter(extractor=version.embedding_extractor).values("sighting_id")
    missing = (
        Sighting.objects.filter(project=project, species__isnull=False)
        .exclude(pk__in=have)
        .exclude(status=Sighting.Status.FAILED)
        .order_by("created_at")
    )
    embedded = skipped = 0
    for sighting in missing[:limit].iterator() if limit else missing.iterator():
        try:
            result = classify_photo(
                model_version=version,
                data=storage_read(name=sighting.photo.name),
                top_k=1,
                max_pixels=settings.PHOTO_MAX_PIXELS,
            )
        except (FileNotFoundError, PhotoError):
            skipped += 1
            continue
        if result.embedding is None:
            return embedded, skipped  # the active version gives no embeddings at all
        sighting_embedding_store(sighting=sighting, model_version=version, vector=result.embedding)
        embedded += 1
    return embedded, skipped
