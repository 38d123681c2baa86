"""The classification step: predictions, statuses, idempotency and failures (tasks run in-process)."""

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from sightings.errors import StorageUnavailable
from sightings.models import Classification, Identification, Prediction, Sighting
from sightings.services.classification import sighting_classify
from sightings.services.submission import sighting_submit
from tests import factories

pytestmark = pytest.mark.django_db


def new_sighting(owner, color=factories.RED, **fields):
    return sighting_submit(
        owner=owner,
        photo=factories.photo_bytes(color),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1, 8, 0),
        **fields,
    )


def test_red_photo_is_classified_as_bass_with_top_k_and_a_machine_identification(
    angler, color_model, color_species
):
    sighting = new_sighting(angler)
    classification = sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.CLASSIFIED
    assert sighting.species == color_species["micropterus_salmoides"]
    assert sighting.quality_grade == Sighting.QualityGrade.NEEDS_ID
    predictions = list(classification.predictions.order_by("rank"))
    assert [p.label for p in predictions][0] == "micropterus_salmoides"
    assert [p.rank for p in predictions] == list(range(1, len(predictions) + 1))
    assert predictions[0].score > 0.9
    assert all(a.score >= b.score for a, b in zip(predictions, predictions[1:], strict=False))
    identification = sighting.identifications.get()
    assert identification.source == Identification.Source.MACHINE
    assert identification.model_version == color_model


def test_green_photo_is_walleye(angler, color_model, color_species):
    sighting = new_sighting(angler, factories.GREEN)
    sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    assert sighting.species == color_species["sander_vitreus"]


def test_photo_of_none_of_the_classes_is_rejected_without_species(angler, color_model):
    sighting = new_sighting(angler, factories.BLUE)
    classification = sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    assert classification.rejected
    assert sighting.status == Sighting.Status.REJECTED
    assert sighting.species is None
    assert not sighting.identifications.exists()


def test_a_rejected_photo_that_someone_identifies_is_classified_and_stays_so(
    angler, moderator, color_model, color_species
):
    from sightings.services.identifications import identification_set_species

    sighting = new_sighting(angler, factories.BLUE)
    sighting_classify(sighting_id=sighting.pk)
    bass = color_species["micropterus_salmoides"]
    identification_set_species(sighting=sighting, species=bass, user=moderator)
    sighting.refresh_from_db()
    assert (sighting.status, sighting.species) == (Sighting.Status.CLASSIFIED, bass)
    # Another version rejecting it again does not undo the person's identification.
    from classifier.services import model_version_register

    newer = model_version_register(
        onnx_bytes=factories.color_model_bytes(),
        name="newer colour model",
        labels=factories.COLOR_LABELS,
        preprocessing=factories.COLOR_PREPROCESSING,
        source="imported",
    )
    assert sighting_classify(sighting_id=sighting.pk, model_version=newer).rejected
    sighting.refresh_from_db()
    assert (sighting.status, sighting.species) == (Sighting.Status.CLASSIFIED, bass)


def test_low_top_score_is_rejected_by_threshold(angler, color_model):
    color_model.rejection_threshold = 0.999
    color_model.save()
    sighting = new_sighting(angler, (150, 120, 20))
    sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.REJECTED


def test_classifying_twice_records_one_answer(angler, color_model):
    sighting = new_sighting(angler)
    first = sighting_classify(sighting_id=sighting.pk)
    second = sighting_classify(sighting_id=sighting.pk)
    assert first.pk == second.pk
    assert Classification.objects.filter(sighting=sighting).count() == 1
    assert Prediction.objects.filter(classification__sighting=sighting).count() == first.predictions.count()
    assert sighting.identifications.count() == 1


def test_unreadable_stored_photo_marks_the_sighting_failed_with_a_reason(angler, color_model):
    sighting = new_sighting(angler)
    default_storage.delete(sighting.photo.name)
    name = default_storage.save(sighting.photo.name, __import__("io").BytesIO(b"\xff\xd8\xff\xe0broken"))
    Sighting.objects.filter(pk=sighting.pk).update(photo=name)
    assert sighting_classify(sighting_id=sighting.pk) is None
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.FAILED
    assert "cannot be read" in sighting.failure_reason


def test_photo_missing_from_storage_marks_failed(angler, color_model):
    sighting = new_sighting(angler)
    default_storage.delete(sighting.photo.name)
    sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.FAILED
    assert "missing" in sighting.failure_reason


def test_storage_outage_raises_for_a_retry_and_leaves_the_sighting_pending(angler, color_model, monkeypatch):
    from sightings.services import classification

    sighting = new_sighting(angler)

    def down(**kwargs):
        raise StorageUnavailable("timeout")

    monkeypatch.setattr(classification, "storage_read", down)
    with pytest.raises(StorageUnavailable):
        sighting_classify(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.PENDING
    assert not Classification.objects.exists()


def test_without_an_active_model_the_sighting_waits(angler, color_species):
    sighting = new_sighting(angler)
    assert sighting_classify(sighting_id=sighting.pk) is None
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.PENDING


def test_submission_queues_classification_after_commit(
    angler, color_model, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sighting = new_sighting(angler)
    assert len(callbacks) == 1
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.CLASSIFIED
    assert sighting.public_photo.name.startswith("photos/")


def test_public_photo_carries_no_exif(angler, color_model, eager_tasks, django_capture_on_commit_callbacks):
    from PIL import Image

    exif = factories.exif_with_gps(latitude=41.6, longitude=-82.7)
    with django_capture_on_commit_callbacks(execute=True):
        sighting = sighting_submit(
            owner=angler, photo=factories.photo_bytes(exif=exif), observed_at=factories.aware(2026, 6, 1)
        )
    sighting.refresh_from_db()
    with default_storage.open(sighting.public_photo.name) as handle:
        image = Image.open(handle)
        image.load()
        assert not image.getexif()
        assert "exif" not in image.info
    with default_storage.open(sighting.photo.name) as handle:
        assert Image.open(handle).getexif().get_ifd(0x8825), "the private original keeps its GPS"


def test_requeue_job_picks_up_old_pending_sightings(angler, color_model, eager_tasks, settings):
    from sightings.tasks import sightings_requeue_stuck

    settings.CLASSIFY_BATCH_SIZE = 1  # a batch would classify the fresh one too: this is about the queue
    stuck = new_sighting(angler)
    fresh = new_sighting(angler)
    Sighting.objects.filter(pk=stuck.pk).update(
        updated_at=timezone.now() - settings.SIGHTING_PENDING_REQUEUE_AFTER * 2
    )
    assert sightings_requeue_stuck() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == Sighting.Status.CLASSIFIED
    assert fresh.status == Sighting.Status.PENDING
