"""A worker on PostgreSQL classifies the pending sightings of a project in batches: one transaction,
rows another worker holds skipped, a broken row left to its own message, nothing half-written.

SQLite has no SKIP LOCKED: there every task classifies its own sighting (the embedded default runs
tasks in-process anyway), so these run on the services run only."""

import contextlib
import threading

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from projects.models import Project
from sightings.errors import StorageUnavailable
from sightings.models import Classification, Sighting
from sightings.services import classification, submission
from sightings.services.classification import sighting_process
from tests import factories

from .test_worker_caches import new_sighting

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def batches(settings):
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("batches need SELECT ... FOR UPDATE SKIP LOCKED (PostgreSQL)")
    settings.CLASSIFY_BATCH_SIZE = 4


def statuses(sightings):
    by_id = dict(Sighting.objects.filter(pk__in=[s.pk for s in sightings]).values_list("pk", "status"))
    return [by_id[s.pk] for s in sightings]


def test_one_task_classifies_its_sighting_and_the_newest_pending_ones_of_its_project(angler, color_model):
    sightings = [new_sighting(angler) for _ in range(6)]
    elsewhere = new_sighting(angler)
    Sighting.objects.filter(pk=elsewhere.pk).update(
        project=Project.objects.create(name="Elsewhere", slug="elsewhere")
    )
    with CaptureQueriesContext(connection) as queries:
        sighting_process(sighting_id=sightings[0].pk)
    commits = [query for query in queries.captured_queries if query["sql"] == "COMMIT"]
    assert len(commits) <= 1
    row_updates = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "sightings_sighting"')]
    assert len(row_updates) == 1, "the batch's rows are written in one statement"
    # Its own, then the three newest others; the two oldest others wait for their own messages.
    assert statuses(sightings) == [
        "classified",
        "pending",
        "pending",
        "classified",
        "classified",
        "classified",
    ]
    assert statuses([elsewhere]) == ["pending"], "another project's model never classifies it"
    assert Classification.objects.count() == 4
    assert all(s.public_photo for s in Sighting.objects.filter(status="classified"))


def test_a_batch_is_classified_in_one_model_run(angler, color_model, monkeypatch):
    colors = (factories.RED, factories.BLUE, factories.RED)
    sightings = [new_sighting(angler, color=color) for color in colors]
    runs = []
    real_classify = classification.classify_tensor

    def classify(*, tensor, **options):
        runs.append(len(tensor))
        return real_classify(tensor=tensor, **options)

    monkeypatch.setattr(classification, "classify_tensor", classify)
    sighting_process(sighting_id=sightings[0].pk)
    assert runs == [3]
    species = dict(Sighting.objects.values_list("pk", "species__scientific_name"))
    assert species[sightings[0].pk] == species[sightings[2].pk] != species[sightings[1].pk]


def test_the_batch_threads_are_made_again_in_a_forked_process(monkeypatch, settings):
    settings.CLASSIFY_BATCH_THREADS = 2
    parent = classification._threads()
    assert classification._threads() is parent
    monkeypatch.setattr(classification.os, "getpid", lambda: -1)
    child = classification._threads()
    assert child is not parent and child._max_workers == 2


def test_a_message_for_a_sighting_a_batch_did_costs_one_query(angler, color_model):
    first, other = new_sighting(angler), new_sighting(angler)
    sighting_process(sighting_id=first.pk)
    with CaptureQueriesContext(connection) as queries:
        sighting_process(sighting_id=other.pk)
    assert len(queries.captured_queries) == 1
    assert Classification.objects.filter(sighting=other).count() == 1


def test_a_sighting_that_breaks_is_left_to_its_own_message(angler, color_model, monkeypatch):
    broken = new_sighting(angler, color=factories.BLUE)
    first = new_sighting(angler)
    broken_photo = default_storage.open(broken.photo.name).read()
    real_tensor, real_classify = classification.photo_tensor, classification.classify_photo

    def tensor(*, data, **options):  # the batch's decoding, in its threads
        if data == broken_photo:
            raise RuntimeError("a bug this photo meets")
        return real_tensor(data=data, **options)

    def classify(*, data, **options):  # one sighting's own path
        if data == broken_photo:
            raise RuntimeError("a bug this photo meets")
        return real_classify(data=data, **options)

    monkeypatch.setattr(classification, "photo_tensor", tensor)
    monkeypatch.setattr(classification, "classify_photo", classify)
    sighting_process(sighting_id=first.pk)
    assert statuses([first, broken]) == ["classified", "pending"]
    with pytest.raises(RuntimeError, match="a bug this photo meets"):
        sighting_process(sighting_id=broken.pk)


def test_a_sighting_whose_public_copy_breaks_is_left_to_its_own_message(angler, color_model, monkeypatch):
    broken = new_sighting(angler, color=factories.BLUE)
    first = new_sighting(angler)
    broken_photo = default_storage.open(broken.photo.name).read()
    real_save = classification.public_photo_save

    def save(*, data):
        if data == broken_photo:
            raise RuntimeError("a bug this photo meets")
        return real_save(data=data)

    monkeypatch.setattr(classification, "public_photo_save", save)
    sighting_process(sighting_id=first.pk)
    assert statuses([first, broken]) == ["classified", "pending"]
    assert Sighting.objects.get(pk=first.pk).public_photo


def test_unreadable_and_missing_photos_fail_with_a_reason_and_the_rest_of_the_batch_goes_on(
    angler, color_model
):
    missing, unreadable, good = new_sighting(angler), new_sighting(angler), new_sighting(angler)
    default_storage.delete(missing.photo.name)
    name = default_storage.save("originals/not-a-photo.jpg", ContentFile(b"\xff\xd8 not a JPEG at all"))
    Sighting.objects.filter(pk=unreadable.pk).update(photo=name)
    sighting_process(sighting_id=good.pk)
    assert statuses([missing, unreadable, good]) == ["failed", "failed", "classified"]
    reasons = dict(Sighting.objects.values_list("pk", "failure_reason"))
    assert reasons[missing.pk] == "The photo is missing from storage."
    assert reasons[unreadable.pk].startswith("The photo cannot be read")
    assert not Sighting.objects.get(pk=unreadable.pk).public_photo


def test_a_storage_outage_rolls_the_batch_back_and_leaves_no_public_copy(angler, color_model, monkeypatch):
    sightings = [new_sighting(angler) for _ in range(3)]
    stored = []
    real_save, real_read = classification.public_photo_save, classification.storage_read
    monkeypatch.setattr(
        classification, "public_photo_save", lambda *, data: stored.append(real_save(data=data)) or stored[-1]
    )

    def read(*, name):
        if name == sightings[0].photo.name:
            raise StorageUnavailable("the photo store is down")
        return real_read(name=name)

    monkeypatch.setattr(classification, "storage_read", read)
    with pytest.raises(StorageUnavailable):
        sighting_process(sighting_id=sightings[2].pk)
    assert statuses(sightings) == ["pending"] * 3 and not Classification.objects.exists()
    # The other two photos' copies were stored in the batch's threads, then removed.
    assert len(stored) == 2 and not any(default_storage.exists(name) for name in stored)


@contextlib.contextmanager
def held_elsewhere(sighting):
    """The sighting's row locked by another connection's transaction until the block ends (the
    test must commit for real: `django_db(transaction=True)`)."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            Sighting.objects.select_for_update().filter(pk=sighting.pk).first()
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        yield
    finally:
        release.set()
        holder.join()


@pytest.mark.django_db(transaction=True)
def test_a_row_another_worker_holds_is_skipped(angler, color_model, monkeypatch):
    # Committed for real here: their tasks must not reach a worker another test left running.
    monkeypatch.setattr(submission, "sighting_enqueue_work", lambda *, sighting_id: None)
    first, held = new_sighting(angler), new_sighting(angler)
    with held_elsewhere(held):
        sighting_process(sighting_id=first.pk)
        assert statuses([first, held]) == ["classified", "pending"]
    sighting_process(sighting_id=held.pk)
    assert statuses([first, held]) == ["classified", "classified"]
