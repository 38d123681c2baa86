"""The identification history service: grades, permissions, history, bulk writes, merges."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from regulations.models import Species
from regulations.selectors import species_accepted
from sightings.models import Identification, Sighting
from sightings.services.identifications import (
    identification_confirm_suggestion,
    identification_create,
    identification_set_species,
    identifications_confirm_suggested_bulk,
    identifications_set_species_bulk,
    species_merge,
)
from tests.sightings.factories_moderation import (
    classification_make,
    media_in_tmp,  # noqa: F401 (fixture)
    model_version_make,
    moderator_make,
    researcher_make,
    sighting_make,
    species_make,
    user_make,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

NEEDS_ID, VERIFIED, CASUAL = (
    Sighting.QualityGrade.NEEDS_ID,
    Sighting.QualityGrade.VERIFIED,
    Sighting.QualityGrade.CASUAL,
)
MACHINE, OWNER, MODERATOR, COMMUNITY = (
    Identification.Source.MACHINE,
    Identification.Source.OWNER,
    Identification.Source.MODERATOR,
    Identification.Source.COMMUNITY,
)


@pytest.fixture
def bass():
    return species_make("Micropterus salmoides", "Largemouth bass")


@pytest.fixture
def walleye():
    return species_make("Sander vitreus", "Walleye")


@pytest.fixture
def owner():
    return user_make("owner")


@pytest.fixture
def moderator():
    return moderator_make()


@pytest.fixture
def model_version():
    return model_version_make()


@pytest.fixture
def sighting(owner, model_version, bass, walleye):
    sighting = sighting_make(owner)
    classification_make(sighting, model_version, [(bass, 0.7), (walleye, 0.2), ("not_fish", 0.1)])
    return sighting


def state(sighting):
    sighting.refresh_from_db()
    return sighting.species, sighting.quality_grade


# --- Quality grade ------------------------------------------------------------------------------


def test_machine_only_needs_id(sighting, bass):
    assert state(sighting) == (bass, NEEDS_ID)


def test_owner_agreeing_alone_still_needs_id(sighting, owner, bass):
    identification = identification_confirm_suggestion(sighting=sighting, user=owner)

    assert (identification.source, identification.from_suggestion) == (OWNER, True)
    assert identification.model_version_id is not None
    assert state(sighting) == (bass, NEEDS_ID)


def test_two_agreeing_humans_verify(sighting, owner, bass):
    identification_confirm_suggestion(sighting=sighting, user=owner)
    identification_create(sighting=sighting, species=bass, source=COMMUNITY, user=user_make("neighbour"))

    assert state(sighting) == (bass, VERIFIED)


def test_disagreement_then_later_agreement(sighting, owner, bass, walleye):
    identification_set_species(sighting=sighting, species=walleye, user=owner)
    identification_create(sighting=sighting, species=bass, source=COMMUNITY, user=user_make("first"))
    assert state(sighting) == (bass, NEEDS_ID)  # 1 to 1: the newest human wins the tie, unverified

    identification_create(sighting=sighting, species=bass, source=COMMUNITY, user=user_make("second"))
    assert state(sighting) == (bass, NEEDS_ID)  # 2 of 3 is not more than two thirds

    identification_set_species(sighting=sighting, species=bass, user=owner)
    assert state(sighting) == (bass, VERIFIED)  # the owner changed their mind: 3 of 3
    assert sighting.identifications.filter(user=owner).count() == 2
    assert sighting.identifications.get(user=owner, is_current=False).species == walleye


def test_three_of_four_humans_verify(sighting, owner, bass, walleye):
    identification_set_species(sighting=sighting, species=walleye, user=owner)
    for name in ("a", "b", "c"):
        identification_create(sighting=sighting, species=bass, source=COMMUNITY, user=user_make(name))

    assert state(sighting) == (bass, VERIFIED)


def test_moderator_confirmation_verifies(sighting, moderator, bass):
    identification = identification_confirm_suggestion(sighting=sighting, user=moderator)

    assert (identification.source, identification.from_suggestion) == (MODERATOR, True)
    assert state(sighting) == (bass, VERIFIED)


def test_moderator_decides_against_the_crowd(sighting, owner, moderator, bass, walleye):
    identification_create(sighting=sighting, species=bass, source=COMMUNITY, user=user_make("a"))
    identification_confirm_suggestion(sighting=sighting, user=owner)
    identification_set_species(sighting=sighting, species=walleye, user=moderator)

    assert state(sighting) == (walleye, VERIFIED)


def test_genus_level_is_never_verified(sighting, moderator):
    genus = species_make("Micropterus", rank=Species.Rank.GENUS)
    identification_set_species(sighting=sighting, species=genus, user=moderator)

    assert state(sighting) == (genus, NEEDS_ID)


@pytest.mark.parametrize(
    "fields",
    [{"photo": False}, {"observed_at": None}, {"location": None}],
    ids=["no photo", "no date", "no location"],
)
def test_unverifiable_sightings_are_casual(owner, moderator, bass, fields):
    sighting = sighting_make(owner, **fields)
    identification_set_species(sighting=sighting, species=bass, user=moderator)

    assert state(sighting) == (bass, CASUAL)


def test_machine_identification_after_a_human_changes_nothing(sighting, owner, walleye, bass):
    identification_set_species(sighting=sighting, species=walleye, user=owner)
    later = model_version_make("newer model")
    identification_create(sighting=sighting, species=bass, source=MACHINE, model_version=later)

    assert state(sighting) == (walleye, NEEDS_ID)
    assert sighting.identifications.filter(source=MACHINE, is_current=True).count() == 2


def test_same_model_version_again_replaces_its_own_identification(sighting, model_version, walleye):
    identification_create(sighting=sighting, species=walleye, source=MACHINE, model_version=model_version)

    assert state(sighting) == (walleye, NEEDS_ID)
    assert list(sighting.identifications.order_by("created_at").values_list("is_current", flat=True)) == [
        False,
        True,
    ]


def test_sources_must_match_users(sighting, bass, owner, model_version):
    with pytest.raises(ValueError):
        identification_create(sighting=sighting, species=bass, source=MACHINE, user=owner)
    with pytest.raises(ValueError):
        identification_create(sighting=sighting, species=bass, source=OWNER)


# --- Permissions ------------------------------------------------------------------------------


def test_angler_may_not_identify_others_sightings(sighting, bass):
    stranger = user_make("stranger")
    with pytest.raises(PermissionDenied):
        identification_set_species(sighting=sighting, species=bass, user=stranger)
    with pytest.raises(PermissionDenied):
        identification_confirm_suggestion(sighting=sighting, user=stranger)
    assert not sighting.identifications.exclude(source=MACHINE).exists()


def test_researcher_may_not_identify(sighting, bass):
    researcher = researcher_make(is_staff=True)
    with pytest.raises(PermissionDenied):
        identification_set_species(sighting=sighting, species=bass, user=researcher)
    with pytest.raises(PermissionDenied):
        identifications_set_species_bulk(sightings=[sighting], species=bass, user=researcher)


def test_inactive_moderator_may_not_identify(sighting, bass, moderator):
    moderator.is_active = False
    moderator.save()
    with pytest.raises(PermissionDenied):
        identification_set_species(sighting=sighting, species=bass, user=moderator)


def test_moderator_identifies_own_sighting_as_owner(moderator, bass):
    sighting = sighting_make(moderator)
    identification = identification_set_species(sighting=sighting, species=bass, user=moderator)

    assert identification.source == OWNER
    assert state(sighting) == (bass, NEEDS_ID)


def test_confirm_without_suggestion_is_refused(owner, moderator):
    sighting = sighting_make(owner)
    with pytest.raises(ValidationError):
        identification_confirm_suggestion(sighting=sighting, user=moderator)


def test_suggestion_falls_back_to_the_top_prediction(owner, moderator, model_version, walleye):
    sighting = sighting_make(owner)
    classification_make(sighting, model_version, [(walleye, 0.9)], suggest=False)

    identification = identification_confirm_suggestion(sighting=sighting, user=moderator)

    assert identification.species_id == walleye.pk
    assert state(sighting) == (walleye, VERIFIED)


# --- History ------------------------------------------------------------------------------------


def test_history_is_append_only(sighting, owner, moderator, bass, walleye):
    identification_confirm_suggestion(sighting=sighting, user=owner)
    identification_set_species(sighting=sighting, species=walleye, user=moderator)
    identification_set_species(sighting=sighting, species=bass, user=moderator, comment="second look")

    history = list(sighting.identifications.order_by("created_at", "pk"))
    assert [(i.source, i.previous_species, i.species, i.is_current) for i in history] == [
        (MACHINE, None, bass, True),
        (OWNER, bass, bass, True),
        (MODERATOR, bass, walleye, False),
        (MODERATOR, walleye, bass, True),
    ]
    assert history[-1].comment == "second look"
    assert state(sighting) == (bass, VERIFIED)


def test_services_queue_no_classification(sighting, moderator, walleye, monkeypatch):
    from sightings import tasks

    queued = []
    for name in dir(tasks):
        task = getattr(tasks, name)
        if hasattr(task, "delay"):
            monkeypatch.setattr(task, "delay", lambda *a, **k: queued.append(a))
            monkeypatch.setattr(task, "apply_async", lambda *a, **k: queued.append(a))
    identification_set_species(sighting=sighting, species=walleye, user=moderator)
    identifications_confirm_suggested_bulk(sightings=[sighting], user=moderator)

    assert queued == []


# --- Bulk ---------------------------------------------------------------------------------------


def test_bulk_set_species_writes_one_identification_each(owner, moderator, model_version, bass, walleye):
    sightings = [sighting_make(owner) for _ in range(3)]
    for sighting in sightings:
        classification_make(sighting, model_version, [(bass, 0.6)])

    written = identifications_set_species_bulk(
        sightings=Sighting.objects.filter(pk__in=[s.pk for s in sightings]), species=walleye, user=moderator
    )

    assert len(written) == 3
    assert all(
        i.source == MODERATOR and not i.from_suggestion and i.previous_species_id == bass.pk for i in written
    )
    assert set(Sighting.objects.values_list("species", "quality_grade")) == {(walleye.pk, VERIFIED)}
    assert Identification.objects.filter(source=MACHINE).count() == 3


def test_bulk_confirm_skips_sightings_without_suggestion(owner, moderator, model_version, walleye):
    suggested = sighting_make(owner)
    classification_make(suggested, model_version, [(walleye, 0.95)])
    unsuggested = sighting_make(owner)

    written = identifications_confirm_suggested_bulk(sightings=[suggested, unsuggested], user=moderator)

    assert [(i.sighting_id, i.from_suggestion) for i in written] == [(suggested.pk, True)]
    assert state(suggested) == (walleye, VERIFIED)
    assert state(unsuggested) == (None, NEEDS_ID)


def test_bulk_is_all_or_nothing(owner, bass):
    own = sighting_make(owner)
    foreign = sighting_make(user_make("someone"))

    with pytest.raises(PermissionDenied):
        identifications_set_species_bulk(sightings=[own, foreign], species=bass, user=owner)
    assert not Identification.objects.exists()


def test_bulk_queries_do_not_grow_with_the_sightings(owner, moderator, model_version, bass, walleye):
    def run(count):
        sightings = [sighting_make(owner) for _ in range(count)]
        for sighting in sightings:
            classification_make(sighting, model_version, [(bass, 0.6)])
        with CaptureQueriesContext(connection) as captured:
            identifications_confirm_suggested_bulk(sightings=sightings, user=moderator)
            identifications_set_species_bulk(sightings=sightings, species=walleye, user=moderator)
        return len(captured.captured_queries)

    moderator.has_perm("sightings.moderate_sighting")  # the permission cache is not what is measured
    assert run(2) == run(12)


# --- Species merge ------------------------------------------------------------------------------


def test_species_merge_moves_sightings_and_keeps_history(owner, moderator, model_version, bass, walleye):
    old = species_make("Stizostedion vitreum", "Walleye (old name)")
    verified = sighting_make(owner)
    classification_make(verified, model_version, [(old, 0.9)])
    identification_confirm_suggestion(sighting=verified, user=moderator)
    machine_only = sighting_make(owner)
    classification_make(machine_only, model_version, [(old, 0.8)])
    untouched = sighting_make(owner)
    classification_make(untouched, model_version, [(bass, 0.8)])

    moved = species_merge(source=old, target=walleye, user=moderator)

    assert moved == 2
    old.refresh_from_db()
    assert old.merged_into == walleye
    assert state(verified) == (walleye, VERIFIED)
    assert state(machine_only) == (walleye, NEEDS_ID)
    assert state(untouched) == (bass, NEEDS_ID)
    assert set(Identification.objects.filter(sighting=verified).values_list("species", flat=True)) == {old.pk}
    assert LogEntry.objects.filter(
        object_id=str(verified.pk), change_message__contains="merged into"
    ).exists()
    assert LogEntry.objects.filter(object_id=str(old.pk)).exists()


def test_merged_votes_count_for_the_new_taxon(sighting, owner, bass, walleye):
    old = species_make("Stizostedion vitreum")
    identification_set_species(sighting=sighting, species=old, user=owner)
    identification_create(sighting=sighting, species=walleye, source=COMMUNITY, user=user_make("a"))
    assert state(sighting) == (walleye, NEEDS_ID)

    species_merge(source=old, target=walleye, user=moderator_make())

    assert state(sighting) == (walleye, VERIFIED)


def test_species_merge_keeps_chains_one_step_long(moderator, bass, walleye):
    older = species_make("Perca older")
    old = species_make("Perca old")
    species_merge(source=older, target=old, user=moderator)
    species_merge(source=old, target=walleye, user=moderator)

    assert set(Species.objects.filter(merged_into=walleye).values_list("scientific_name", flat=True)) == {
        "Perca older",
        "Perca old",
    }
    with pytest.raises(ValidationError):
        species_merge(source=bass, target=old, user=moderator)
    with pytest.raises(ValidationError):
        species_merge(source=bass, target=bass, user=moderator)


def test_only_moderators_merge_species(bass, walleye, owner):
    with pytest.raises(PermissionDenied):
        species_merge(source=bass, target=walleye, user=owner)
    with pytest.raises(PermissionDenied):
        species_merge(source=bass, target=walleye, user=researcher_make(is_staff=True))


def test_a_merged_species_is_read_as_what_it_became(bass, walleye, moderator):
    species_merge(source=bass, target=walleye, user=moderator)
    bass.refresh_from_db()

    assert species_accepted(species=bass) == walleye
    assert species_accepted(species=walleye) == walleye
