"""Writes to the identification history, and the sighting's species and quality grade derived from it."""

from django.db import transaction

from .models import Identification, Sighting


@transaction.atomic
def identification_create(
    *,
    sighting,
    species,
    source,
    user=None,
    model_version=None,
    from_suggestion=False,
    comment="",
):
    """Append one identification and re-derive the sighting's species and quality grade."""
    sighting = Sighting.objects.select_for_update().get(pk=sighting.pk)
    if user is not None:
        Identification.objects.filter(sighting=sighting, user=user, is_current=True).update(is_current=False)
    identification = Identification.objects.create(
        sighting=sighting,
        species=species,
        previous_species=sighting.species,
        source=source,
        user=user,
        model_version=model_version,
        from_suggestion=from_suggestion,
        comment=comment,
    )
    sighting_derive_identity(sighting=sighting)
    return identification


def sighting_derive_identity(*, sighting):
    """Set species and quality grade from the current identifications.

    A moderator's identification decides; otherwise humans decide once more than two thirds of
    them agree (iNaturalist's rule); otherwise the newest machine suggestion stands, needing ID.
    """
    current = list(sighting.identifications.filter(is_current=True).order_by("created_at"))
    humans = [i for i in current if i.source != Identification.Source.MACHINE]
    machine = [i for i in current if i.source == Identification.Source.MACHINE]
    moderators = [i for i in humans if i.source == Identification.Source.MODERATOR]

    species, grade = None, Sighting.QualityGrade.NEEDS_ID
    if moderators:
        species, grade = moderators[-1].species, Sighting.QualityGrade.VERIFIED
    elif humans:
        votes = {}
        for identification in humans:
            votes[identification.species_id] = votes.get(identification.species_id, 0) + 1
        leader_id, count = max(votes.items(), key=lambda item: item[1])
        species = next(i.species for i in reversed(humans) if i.species_id == leader_id)
        if len(humans) >= 2 and count * 3 > len(humans) * 2:
            grade = Sighting.QualityGrade.VERIFIED
    elif machine:
        species = machine[-1].species
    if not sighting.photo or sighting.observed_at is None or sighting.location is None:
        grade = Sighting.QualityGrade.CASUAL

    Sighting.objects.filter(pk=sighting.pk).update(species=species, quality_grade=grade)
    sighting.species, sighting.quality_grade = species, grade
