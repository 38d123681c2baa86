"""A newly active model version classifies the sightings still needing an ID in batches: one task,
one transaction and one model run for CLASSIFY_BATCH_SIZE of them; a row held elsewhere or broken
goes to a task of its own."""

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from sightings import tasks
from sightings.models import Classification, Sighting
from sightings.services import classification, retraining, submission
from tests import factories

from .test_batches import held_elsewhere
from .test_retraining import activate_without_signal, classified_sighting, swapped_model_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def swapped(color_model):
    """The colour model with two labels swapped, registered but not active yet."""
    return swapped_model_register(activate=False)


def queued(monkeypatch, task):
    calls = []
    monkeypatch.setattr(task, "delay", lambda *args: calls.append(args))
    return calls


def test_the_sightings_needing_an_id_are_queued_a_batch_to_a_task(angler, swapped, settings, monkeypatch):
    settings.CLASSIFY_BATCH_SIZE = 2
    sightings = [classified_sighting(angler) for _ in range(5)]
    batches = queued(monkeypatch, tasks.sightings_reclassify_batch_task)
    assert retraining.sightings_reclassify_queue(model_version=activate_without_signal(swapped)) == 5
    assert [len(ids) for ids, _ in batches] == [2, 2, 1]
    assert {version for _, version in batches} == {swapped.pk}
    assert sorted(sighting_id for ids, _ in batches for sighting_id in ids) == sorted(
        str(s.pk) for s in sightings
    )


def test_a_batch_is_classified_in_one_transaction_and_one_model_run(angler, swapped, monkeypatch):
    sightings = [classified_sighting(angler) for _ in range(3)]
    runs = []
    real_classify = classification.classify_tensor
    monkeypatch.setattr(
        classification, "classify_tensor", lambda **kwargs: runs.append(1) or real_classify(**kwargs)
    )
    alone = queued(monkeypatch, tasks.sighting_reclassify_task)
    left_out = tasks.sightings_reclassify_batch_task(
        [str(s.pk) for s in sightings], activate_without_signal(swapped).pk
    )
    assert left_out == [] and alone == [] and len(runs) == 1
    for sighting in sightings:
        sighting.refresh_from_db()
        assert Classification.objects.filter(sighting=sighting, model_version=swapped).count() == 1
        assert sighting.species.scientific_name == "Sander vitreus", "the red photo is a walleye now"
    # Delivered twice (a worker killed after the commit): nothing is classified twice.
    assert tasks.sightings_reclassify_batch_task([str(s.pk) for s in sightings], swapped.pk) == []
    assert Classification.objects.filter(model_version=swapped).count() == 3 and len(runs) == 1


def test_a_version_no_longer_active_classifies_nothing(angler, swapped):
    sighting = classified_sighting(angler)
    assert tasks.sightings_reclassify_batch_task([str(sighting.pk)], swapped.pk) is None
    assert not Classification.objects.filter(model_version=swapped).exists()


def test_a_broken_row_goes_to_a_task_of_its_own_and_the_rest_is_classified(angler, swapped, monkeypatch):
    good, broken = classified_sighting(angler), classified_sighting(angler, color=factories.BLUE)
    broken_photo = default_storage.open(broken.photo.name).read()
    real_tensor = classification.photo_tensor

    def tensor(*, data, **options):
        if data == broken_photo:
            raise RuntimeError("a bug this photo meets")
        return real_tensor(data=data, **options)

    monkeypatch.setattr(classification, "photo_tensor", tensor)
    alone = queued(monkeypatch, tasks.sighting_reclassify_task)
    left_out = tasks.sightings_reclassify_batch_task(
        [str(good.pk), str(broken.pk)], activate_without_signal(swapped).pk
    )
    assert left_out == [str(broken.pk)] and alone == [(str(broken.pk), swapped.pk)]
    assert Classification.objects.filter(model_version=swapped).get().sighting_id == good.pk


def test_an_unreadable_photo_fails_with_its_reason(angler, swapped):
    sighting = classified_sighting(angler)
    default_storage.delete(sighting.photo.name)
    assert (
        tasks.sightings_reclassify_batch_task([str(sighting.pk)], activate_without_signal(swapped).pk) == []
    )
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.FAILED
    assert sighting.failure_reason == "The photo is missing from storage."


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_row_another_worker_holds_goes_to_a_task_of_its_own(angler, swapped, monkeypatch):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("rows are held only where SELECT ... FOR UPDATE SKIP LOCKED exists (PostgreSQL)")
    # Committed for real here: their tasks must not reach a worker another test left running.
    monkeypatch.setattr(submission, "sighting_enqueue_work", lambda *, sighting_id: None)
    free, held = classified_sighting(angler), classified_sighting(angler)
    gone = classified_sighting(angler)
    Sighting.objects.filter(pk=gone.pk).delete()
    alone = queued(monkeypatch, tasks.sighting_reclassify_task)
    with held_elsewhere(held):
        ids = [str(free.pk), str(held.pk), str(gone.pk)]
        assert tasks.sightings_reclassify_batch_task(ids, activate_without_signal(swapped).pk) == [
            str(held.pk)
        ]
    assert alone == [(str(held.pk), swapped.pk)], "a gone row needs no task"
    assert Classification.objects.filter(model_version=swapped).get().sighting_id == free.pk
