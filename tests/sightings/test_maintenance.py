"""Photos left without a row by an outage are swept; referenced and fresh ones are kept."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from sightings.services.maintenance import photos_orphaned_delete
from sightings.services.submission import sighting_submit
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept_and_orphan(angler):
    sighting = sighting_submit(
        owner=angler,
        photo=factories.photo_bytes(),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1),
    )
    orphan = default_storage.save("originals/orphan-test.jpg", ContentFile(factories.photo_bytes()))
    yield sighting, orphan
    default_storage.delete(orphan)


def test_old_orphans_are_deleted_and_referenced_photos_kept(kept_and_orphan):
    sighting, orphan = kept_and_orphan
    deleted = photos_orphaned_delete(older_than=timedelta(0))
    assert orphan in deleted
    assert sighting.photo.name not in deleted
    assert not default_storage.exists(orphan)
    assert default_storage.exists(sighting.photo.name)


def test_fresh_orphans_are_kept_because_their_row_may_still_be_coming(kept_and_orphan):
    _, orphan = kept_and_orphan
    assert orphan not in photos_orphaned_delete(older_than=timedelta(hours=1))
    assert default_storage.exists(orphan)


def test_command_dry_run_lists_without_deleting(kept_and_orphan):
    _, orphan = kept_and_orphan
    output = StringIO()
    call_command("sweep_orphan_photos", "--older-than-hours", "0", "--dry-run", stdout=output)
    assert orphan in output.getvalue()
    assert "would delete" in output.getvalue()
    assert default_storage.exists(orphan)
