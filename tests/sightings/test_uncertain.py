"""An answer the classifier cannot make alone: "uncertain: A or B", no species, first in the queue."""

import pytest
from django.urls import reverse

from sightings.models import Identification, Sighting
from sightings.services.classification import sighting_classify
from sightings.services.submission import sighting_submit
from tests import factories
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def classified(owner, color=factories.RED):
    sighting = sighting_submit(
        owner=owner,
        photo=factories.photo_bytes(color),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1, 8, 0),
    )
    classification = sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    return sighting, classification


@pytest.fixture
def doubtful(settings):
    """No answer is sure enough: every top score (1.0 included) is under the bar."""
    settings.CLASSIFIER_UNCERTAIN_BELOW = 1.01


def test_a_clear_answer_names_the_species(angler, color_model, color_species):
    sighting, classification = classified(angler)
    assert not classification.uncertain and not sighting.uncertain
    assert sighting.species == color_species["micropterus_salmoides"]


def test_an_uncertain_answer_names_no_species_and_offers_the_two_best(angler, color_model, doubtful):
    sighting, classification = classified(angler)
    assert classification.uncertain and sighting.uncertain
    assert sighting.status == Sighting.Status.CLASSIFIED
    assert sighting.species is None
    assert not Identification.objects.filter(sighting=sighting).exists()

    body = token_client(angler).get(f"/api/v1/sightings/{sighting.pk}/").json()
    best_two = [p.label for p in classification.predictions.order_by("rank")[:2]]
    assert [candidate["label"] for candidate in body["uncertain"]["candidates"]] == best_two
    assert body["species"] is None


def test_the_page_says_uncertain_and_offers_each_candidate_in_one_tap(
    client, angler, color_model, color_species, doubtful
):
    sighting, _ = classified(angler)
    client.force_login(angler)
    page = client.get(reverse("sightings-web:detail", kwargs={"pk": sighting.pk})).content.decode()
    assert "Uncertain: Largemouth bass or " in page
    assert "A moderator will look at it first" in page
    assert "Yes, it is a" not in page
    assert "It is a Largemouth bass" in page
    assert f'name="species" value="{color_species["micropterus_salmoides"].pk}"' in page


def test_a_person_naming_the_species_ends_the_doubt(angler, color_model, color_species, doubtful):
    sighting, _ = classified(angler)
    walleye = color_species["sander_vitreus"]
    api = token_client(angler)
    response = api.post(f"/api/v1/sightings/{sighting.pk}/identifications/", {"species": walleye.pk})
    assert response.status_code == 201
    sighting.refresh_from_db()
    assert not sighting.uncertain and sighting.species == walleye
    assert api.get(f"/api/v1/sightings/{sighting.pk}/").json()["uncertain"] is None


def test_reclassifying_after_a_person_answered_does_not_requeue(angler, color_model, color_species, doubtful):
    sighting, _ = classified(angler)
    walleye = color_species["sander_vitreus"]
    token_client(angler).post(f"/api/v1/sightings/{sighting.pk}/identifications/", {"species": walleye.pk})
    color_model.classifications.all().delete()
    sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    assert not sighting.uncertain and sighting.species == walleye


def test_uncertain_sightings_come_first_in_the_moderation_queue(
    client, angler, moderator, color_model, settings
):
    settings.CLASSIFIER_UNCERTAIN_BELOW = 1.01
    doubtful_one, _ = classified(angler)
    settings.CLASSIFIER_UNCERTAIN_BELOW = 0.0
    settings.CLASSIFIER_UNCERTAIN_MARGIN = 0.0
    newer_clear_ones = [classified(angler)[0] for _ in range(2)]
    client.force_login(moderator)
    listed = list(client.get(reverse("admin:sightings_sighting_changelist")).context["cl"].result_list)
    assert listed[0].pk == doubtful_one.pk
    assert {row.pk for row in listed[1:]} == {sighting.pk for sighting in newer_clear_ones}
    filtered = client.get(reverse("admin:sightings_sighting_changelist"), {"uncertain__exact": "1"})
    assert [row.pk for row in filtered.context["cl"].result_list] == [doubtful_one.pk]
