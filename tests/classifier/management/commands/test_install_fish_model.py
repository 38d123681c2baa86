"""The default model a new user gets: trained once from the team data, then found again."""

import io
import time

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from classifier.fish_model import team_data_examples
from classifier.inference import classify_photo
from classifier.models import ModelVersion
from classifier.selectors import model_version_active
from sightings.services.classification import sighting_classify
from sightings.services.submission import sighting_submit
from tests import factories
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def run(**options):
    out = io.StringIO()
    call_command("install_fish_model", no_progress=True, stdout=out, **options)
    return out.getvalue()


def test_without_the_team_data_it_says_what_is_missing_and_installs_nothing(tmp_path):
    out = run(data=tmp_path / "nowhere")
    assert "No fish model" in out and "MANIFEST.csv" in out and "wait for a moderator" in out
    assert not ModelVersion.objects.exists()
    with pytest.raises(CommandError, match="No fish model"):
        run(data=tmp_path / "nowhere", require=True)


@pytest.mark.shared
@pytest.mark.skipif(
    "postgis" in settings.DATABASES["default"]["ENGINE"],
    reason="the default model is set up on the embedded default: tested once, on its run (a minute)",
)
def test_the_default_model_knows_a_bass_a_reef_fish_and_an_everyday_photo(shared_data, angler):
    call_command("load_demo_data", stdout=io.StringIO())
    started = time.perf_counter()
    out = run(data=shared_data)
    first_seconds = time.perf_counter() - started
    assert "trained now" in out and "Held out" in out and "calibration error" in out
    version = model_version_active()
    assert version is not None and version.training_data["fingerprint"]
    assert "micropterus" in version.labels and version.negative_label == "not_fish"

    # Every held-out photo (trajectories and photos never trained on) of the three kinds a new user
    # tries first: an angler's bass, a reef fish, an everyday photo.
    held_out = set(version.training_data["validation_sha256"])
    answers: dict[str, list] = {"micropterus": [], "amphiprion_clarkii": [], "not_fish": []}
    for example in team_data_examples(data_dir=shared_data):
        if example.label in answers and example.digest() in held_out:
            answer = classify_photo(
                model_version=version, data=example.load(), top_k=3, max_pixels=settings.PHOTO_MAX_PIXELS
            )
            answers[example.label].append((example, answer))
    bass = [answer for _, answer in answers["micropterus"]]
    named_bass = [answer for answer in bass if not answer.rejected and answer.top_label == "micropterus"]
    assert len(bass) >= 5 and len(named_bass) >= 0.6 * len(bass)
    # A bass is never called another fish: the misses are "not a fish" (the Caltech photos' domain).
    assert all(answer.rejected or answer.top_label == "micropterus" for answer in bass)
    reef = [answer for _, answer in answers["amphiprion_clarkii"]]
    assert sum(answer.top_label == "amphiprion_clarkii" for answer in reef) >= 0.9 * len(reef)
    everyday = [answer for _, answer in answers["not_fish"]]
    assert len(everyday) >= 20 and sum(answer.rejected for answer in everyday) >= 0.95 * len(everyday)

    # As an angler meets it: a bass from Lake Erie gets its name and the Lake Erie bass rules.
    sighting = sighting_submit(
        owner=angler,
        photo=next(example for example, answer in answers["micropterus"] if answer in named_bass).load(),
        latitude=41.6,
        longitude=-81.9,
        observed_at=factories.aware(2026, 7, 4, 8, 0),
    )
    sighting_classify(sighting_id=sighting.pk)
    detail = token_client(angler).get(f"/api/v1/sightings/{sighting.pk}/").json()
    assert detail["species"]["scientific_name"] == "Micropterus"
    assert detail["regulations"]["rules"], detail["regulations"]

    count = ModelVersion.objects.count()
    started = time.perf_counter()
    again = run(data=shared_data)
    assert "already installed" in again
    assert ModelVersion.objects.count() == count
    assert time.perf_counter() - started < first_seconds / 5
