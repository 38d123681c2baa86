"""Training photos from verified sightings, and re-classification when a model version becomes active."""

import hashlib

import pytest

from classifier.models import ModelVersion
from classifier.services import model_version_register
from projects.selectors import project_default
from sightings import tasks as retraining_tasks
from sightings.models import Classification, Identification, Sighting
from sightings.services import retraining
from sightings.services.classification import sighting_classify
from sightings.services.identifications import (
    identification_confirm_suggestion,
    identification_set_species,
)
from sightings.services.submission import sighting_submit
from tests import factories

pytestmark = pytest.mark.django_db

# The colour model with its first two labels swapped: a red photo is now a walleye.
SWAPPED_LABELS = ["sander_vitreus", "micropterus_salmoides", "not_fish"]


def swapped_model_register(*, activate):
    return model_version_register(
        onnx_bytes=factories.color_model_bytes(),
        name="swapped",
        labels=SWAPPED_LABELS,
        preprocessing=factories.COLOR_PREPROCESSING,
        source="trained",
        activate=activate,
    )


def activate_without_signal(version):
    """Make a version the active one without queueing its re-classification."""
    ModelVersion.objects.filter(project=version.project).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    version.refresh_from_db()
    return version


def classified_sighting(owner, color=factories.RED):
    sighting = sighting_submit(
        owner=owner,
        photo=factories.photo_bytes(color),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1, 8, 0),
    )
    sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    return sighting


@pytest.fixture
def bass(color_species):
    return color_species["micropterus_salmoides"]


@pytest.fixture
def walleye(color_species):
    return color_species["sander_vitreus"]


class TestVerifiedExamples:
    def test_only_sightings_humans_named_on_purpose_are_training_photos(
        self, angler, other_angler, moderator, color_model, bass, walleye
    ):
        named = classified_sighting(angler)  # the machine says bass; two humans say walleye
        identification_set_species(sighting=named, species=walleye, user=angler)
        identification_set_species(sighting=named, species=walleye, user=moderator)
        clicked = classified_sighting(other_angler)  # the machine says bass; two humans click "agree"
        identification_confirm_suggestion(sighting=clicked, user=other_angler)
        identification_confirm_suggestion(sighting=clicked, user=moderator)
        unverified = classified_sighting(angler, color=factories.GREEN)
        for sighting in (named, clicked, unverified):
            sighting.refresh_from_db()
        assert named.quality_grade == clicked.quality_grade == Sighting.QualityGrade.VERIFIED
        assert clicked.species == bass and unverified.quality_grade == Sighting.QualityGrade.NEEDS_ID

        examples = retraining.verified_examples(project=project_default())

        assert [example.name for example in examples] == [f"sighting {named.pk}"]
        (example,) = examples
        assert example.label == "sander_vitreus"
        assert example.sha256 == named.photo_sha256 == hashlib.sha256(example.load()).hexdigest()
        assert example.group.startswith(f"owner {angler.pk} on 2026-06-01")

    def test_a_click_next_to_a_named_species_still_counts(self, angler, moderator, color_model, bass):
        sighting = classified_sighting(angler)
        identification_confirm_suggestion(sighting=sighting, user=angler)
        identification_set_species(sighting=sighting, species=bass, user=moderator)
        assert [example.label for example in retraining.verified_examples(project=project_default())] == [
            "micropterus_salmoides"
        ]

    def test_the_setting_names_this_source(self, settings):
        from django.utils.module_loading import import_string

        assert import_string(settings.CLASSIFIER_VERIFIED_SOURCE) is retraining.verified_examples


class TestReclassifyOnActivation:
    def activate_swapped_model(self, capture):
        with capture(execute=True):
            return swapped_model_register(activate=True)

    def test_needs_id_sightings_are_classified_again_and_humans_keep_the_last_word(
        self,
        angler,
        other_angler,
        moderator,
        color_model,
        bass,
        walleye,
        eager_tasks,
        django_capture_on_commit_callbacks,
    ):
        machine_only = classified_sighting(angler)
        owner_named = classified_sighting(other_angler)
        identification_set_species(sighting=owner_named, species=bass, user=other_angler)
        verified = classified_sighting(angler)
        identification_set_species(sighting=verified, species=bass, user=angler)
        identification_set_species(sighting=verified, species=bass, user=moderator)
        for sighting in (machine_only, owner_named, verified):
            sighting.refresh_from_db()
            assert sighting.species == bass
        assert owner_named.quality_grade == Sighting.QualityGrade.NEEDS_ID

        new_version = self.activate_swapped_model(django_capture_on_commit_callbacks)

        for sighting in (machine_only, owner_named, verified):
            sighting.refresh_from_db()
        assert Classification.objects.filter(sighting=machine_only, model_version=new_version).exists()
        assert machine_only.species == walleye  # the newest machine answer stands when no human spoke
        assert Classification.objects.filter(sighting=owner_named, model_version=new_version).exists()
        assert owner_named.species == bass  # the owner's identification wins over the new model
        assert Identification.objects.filter(
            sighting=owner_named, source=Identification.Source.MACHINE, model_version=new_version
        ).exists()
        assert not Classification.objects.filter(sighting=verified, model_version=new_version).exists()
        assert verified.species == bass
        # Earlier answers keep their version.
        assert Classification.objects.filter(sighting=machine_only, model_version=color_model).exists()

    def test_a_version_no_longer_active_classifies_nothing(self, angler, color_model, eager_tasks):
        sighting = classified_sighting(angler)
        inactive = model_version_register(
            onnx_bytes=factories.color_model_bytes(),
            name="inactive",
            labels=SWAPPED_LABELS,
            preprocessing=factories.COLOR_PREPROCESSING,
            source="trained",
        )
        assert retraining_tasks.sightings_reclassify_task(inactive.pk) == 0
        assert retraining_tasks.sighting_reclassify_task(str(sighting.pk), inactive.pk) is None
        assert not Classification.objects.filter(model_version=inactive).exists()

    def test_a_broker_outage_does_not_fail_the_activation(
        self, color_model, monkeypatch, django_capture_on_commit_callbacks
    ):
        def broker_down(*args, **kwargs):
            raise ConnectionError("broker down")

        monkeypatch.setattr(retraining_tasks.sightings_reclassify_task, "delay", broker_down)
        new_version = self.activate_swapped_model(django_capture_on_commit_callbacks)
        new_version.refresh_from_db()
        assert new_version.is_active
