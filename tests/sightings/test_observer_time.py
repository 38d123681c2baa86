"""The observer's local time: which UTC offset a submission keeps, and the local date its rules use."""

from datetime import UTC, datetime

import pytest
from PIL import ExifTags

from sightings.models import Sighting
from sightings.services.classification import sighting_classify
from sightings.services.submission import sighting_submit
from sightings.visibility import sighting_regulations, sightings_seen_by
from tests import factories
from tests.sightings.test_submission import submit
from tests.sightings.web.test_views import client_for, form_post

pytestmark = pytest.mark.django_db


def offset_of(response):
    assert response.status_code == 201, response.content
    return Sighting.objects.get(pk=response.json()["id"]).utc_offset_minutes


def test_a_time_given_with_an_offset_keeps_it(api):
    response = submit(api, factories.photo_bytes(), observed_at="2026-06-01T19:30:00-05:00")
    assert offset_of(response) == -300
    sighting = Sighting.objects.get()
    assert sighting.observed_at == datetime(2026, 6, 2, 0, 30, tzinfo=UTC)


def test_a_time_in_utc_gets_the_offset_of_the_place(api):
    # Cleveland in June is on Eastern Daylight Time; in January on Eastern Standard Time.
    assert offset_of(submit(api, factories.photo_bytes(), observed_at="2026-06-01T23:30:00Z")) == -240
    assert offset_of(submit(api, factories.photo_bytes(), observed_at="2026-01-15T23:30:00Z")) == -300


def test_an_exif_time_without_offset_is_the_local_time_of_the_place(api):
    taken = datetime(2026, 6, 1, 21, 15)
    exif = factories.exif_with_gps(latitude=41.5, longitude=-81.69, taken_at=taken)
    response = submit(api, factories.photo_bytes(exif=exif), latitude=None, longitude=None, observed_at=None)
    assert offset_of(response) == -240
    assert Sighting.objects.get().observed_at == datetime(2026, 6, 2, 1, 15, tzinfo=UTC)


def test_an_exif_offset_wins_over_the_place(api):
    exif = factories.exif_with_gps(latitude=41.5, longitude=-81.69, taken_at=datetime(2026, 6, 1, 21, 15))
    # The camera's clock was set to Central European Summer Time.
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.OffsetTimeOriginal] = "+02:00"
    response = submit(api, factories.photo_bytes(exif=exif), latitude=None, longitude=None, observed_at=None)
    assert offset_of(response) == 120
    assert Sighting.objects.get().observed_at == datetime(2026, 6, 1, 19, 15, tzinfo=UTC)


def test_the_web_form_keeps_the_browsers_offset(angler):
    response = form_post(client_for(angler), observed_at="2026-06-01T20:30", utc_offset_minutes="-300")
    assert response.status_code == 302, response.content
    sighting = Sighting.objects.get()
    assert sighting.utc_offset_minutes == -300
    assert sighting.observed_at == datetime(2026, 6, 2, 1, 30, tzinfo=UTC)


def test_an_impossible_offset_is_refused(api):
    response = submit(api, factories.photo_bytes(), observed_at="2026-06-01T08:30:00+16:00")
    assert response.status_code == 400
    assert "observed_at" in response.json()
    assert not Sighting.objects.exists()


def test_rules_apply_on_the_local_date_of_the_catch(angler, color_model):
    # 23:30 in Cleveland on June 1 is 03:30 UTC on June 2: the rules of June 1 apply.
    sighting = sighting_submit(
        owner=angler,
        photo=factories.photo_bytes(factories.RED),
        latitude=41.5,
        longitude=-81.69,
        observed_at=datetime(2026, 6, 2, 3, 30, tzinfo=UTC),
    )
    sighting_classify(sighting_id=sighting.pk)
    seen = sightings_seen_by(viewer=angler, queryset=Sighting.objects.select_related("species")).get()
    assert seen.species is not None
    answer = sighting_regulations(sighting=seen)
    assert answer is not None
    assert str(answer["on_date"]) == "2026-06-01"


def test_sightings_made_before_offsets_get_their_places_offset(api):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("sightings.migrations.0013_sighting_utc_offset")
    submit(api, factories.photo_bytes(), observed_at="2026-01-15T23:30:00Z")
    Sighting.objects.update(utc_offset_minutes=None)
    migration.offsets_from_places(apps, None)
    assert Sighting.objects.get().utc_offset_minutes == -300
