"""The worker's one-read path: one photo read per sighting, per-process caches that follow changes."""

import pytest

from classifier.services import model_version_register
from regulations.models import Species
from sightings.models import Identification, Sighting
from sightings.services import classification
from sightings.services.classification import sighting_classify, sighting_process
from sightings.services.identifications import identification_set_species
from sightings.services.submission import sighting_submit
from tests import factories

pytestmark = pytest.mark.django_db


def new_sighting(owner, color=factories.RED):
    return sighting_submit(
        owner=owner,
        photo=factories.photo_bytes(color),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1, 8, 0),
    )


def processed(sighting):
    sighting_process(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    return sighting


def test_one_read_of_the_photo_gives_the_answer_and_the_public_copy(angler, color_model, monkeypatch):
    reads = []
    real_read = classification.storage_read
    monkeypatch.setattr(
        classification, "storage_read", lambda *, name: reads.append(name) or real_read(name=name)
    )
    sighting = processed(new_sighting(angler))

    assert sighting.status == Sighting.Status.CLASSIFIED
    assert sighting.public_photo.name.startswith("photos/")
    assert reads == [sighting.photo.name]
    sighting_process(sighting_id=sighting.pk)
    assert len(reads) == 1, "a second delivery has nothing left to do"


def test_an_unreadable_photo_fails_once_and_publishes_nothing(angler, color_model, monkeypatch):
    sighting = new_sighting(angler)
    monkeypatch.setattr(classification, "storage_read", lambda *, name: b"\xff\xd8\xff\xe0broken")
    sighting = processed(sighting)
    assert sighting.status == Sighting.Status.FAILED
    assert "cannot be read" in sighting.failure_reason
    assert not sighting.public_photo


def test_without_an_active_version_the_public_copy_is_still_made(angler, color_species):
    sighting = processed(new_sighting(angler))
    assert sighting.status == Sighting.Status.PENDING
    assert sighting.public_photo


def test_a_newly_activated_version_answers_the_next_sighting(angler, color_model, color_species):
    assert processed(new_sighting(angler)).species == color_species["micropterus_salmoides"]
    swapped = model_version_register(
        onnx_bytes=factories.color_model_bytes(),
        name="colours swapped",
        labels=["sander_vitreus", "micropterus_salmoides", "not_fish"],
        preprocessing=factories.COLOR_PREPROCESSING,
        source="imported",
        activate=True,
    )
    sighting = processed(new_sighting(angler))
    assert sighting.species == color_species["sander_vitreus"]
    assert sighting.classifications.get().model_version == swapped


def test_an_edited_rejection_threshold_applies_to_the_next_sighting(angler, color_model):
    assert processed(new_sighting(angler)).status == Sighting.Status.CLASSIFIED
    type(color_model).objects.filter(pk=color_model.pk).update(rejection_threshold=0.9999999)
    assert processed(new_sighting(angler)).status == Sighting.Status.REJECTED


def test_a_species_added_later_is_named_by_the_next_classification(angler, color_model, color_species):
    color_species["sander_vitreus"].delete()
    first = processed(new_sighting(angler, factories.GREEN))
    assert first.species is None
    assert first.classifications.get().predictions.get(rank=1).species is None

    walleye = Species.objects.create(scientific_name="Sander vitreus", common_name="Walleye")
    assert processed(new_sighting(angler, factories.GREEN)).species == walleye


def test_a_merge_moves_the_next_machine_identification(angler, moderator, color_model, color_species):
    from sightings.services.identifications import species_merge

    target = Species.objects.create(scientific_name="Micropterus nigricans")
    processed(new_sighting(angler))  # the label map is cached before the merge
    species_merge(source=color_species["micropterus_salmoides"], target=target, user=moderator)
    assert processed(new_sighting(angler)).species == target


def test_a_persons_identification_outweighs_the_machine(angler, color_model, color_species):
    sighting = new_sighting(angler)
    identification_set_species(sighting=sighting, species=color_species["sander_vitreus"], user=angler)
    sighting = processed(sighting)
    assert sighting.species == color_species["sander_vitreus"]
    assert set(sighting.identifications.values_list("source", flat=True)) == {
        Identification.Source.OWNER,
        Identification.Source.MACHINE,
    }


def test_a_new_sighting_is_classified_in_a_handful_of_queries(
    angler, color_model, django_assert_max_num_queries
):
    processed(new_sighting(angler))  # warms this process's caches and the model session
    sighting = new_sighting(angler)
    # The work read; savepoint, lock, classification, predictions, identification, row, release.
    with django_assert_max_num_queries(8):
        sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.CLASSIFIED
    assert sighting.species is not None


def test_the_answer_and_the_public_copy_are_written_in_one_transaction(angler, color_model):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    processed(new_sighting(angler))
    sighting = new_sighting(angler)
    with CaptureQueriesContext(connection) as queries:
        sighting_process(sighting_id=sighting.pk)
    updates = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and '"public_photo"' in updates[0] and '"status"' in updates[0]
    sighting.refresh_from_db()
    assert sighting.public_photo and sighting.status == Sighting.Status.CLASSIFIED


def test_a_copy_made_for_a_row_that_has_one_meanwhile_is_removed(angler, color_model, monkeypatch, settings):
    from django.core.files.storage import default_storage

    from sightings.services import public_photos

    # One sighting at a time: a batch holds its rows locked, so no other delivery can publish meanwhile.
    settings.CLASSIFY_BATCH_SIZE = 1
    sighting = new_sighting(angler)
    saved = []
    real_save = public_photos.public_photo_save

    def save_while_another_delivery_publishes(*, data):
        name = real_save(data=data)
        saved.append(name)
        Sighting.objects.filter(pk=sighting.pk).update(public_photo="photos/published-first.jpg")
        return name

    monkeypatch.setattr(classification, "public_photo_save", save_while_another_delivery_publishes)
    sighting = processed(sighting)
    assert sighting.status == Sighting.Status.CLASSIFIED
    assert sighting.public_photo.name == "photos/published-first.jpg"
    assert len(saved) == 1 and not default_storage.exists(saved[0])
