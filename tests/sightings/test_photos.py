"""Photos are private: signed addresses that expire, and never served as a page from our origin."""

import time

import pytest
from django.test import Client

from sightings.photo_links import photo_url, storage_signed_url
from sightings.services.submission import sighting_submit
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def sighting(angler):
    return sighting_submit(
        owner=angler,
        photo=factories.photo_bytes(),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1),
    )


def filesystem_only(settings):
    if settings.AWS_STORAGE_BUCKET_NAME:
        pytest.skip("the signed photo view serves the filesystem storage; S3 signs its own URLs")


def test_original_is_for_the_owner_and_moderators_only(sighting, angler, other_angler, moderator, researcher):
    assert photo_url(sighting=sighting, user=angler, public=False)
    assert photo_url(sighting=sighting, user=moderator, public=False)
    assert photo_url(sighting=sighting, user=other_angler, public=False) == ""
    assert photo_url(sighting=sighting, user=researcher, public=False) == ""


def test_signed_photo_is_served_as_an_image_that_cannot_run_script(sighting, angler, settings):
    filesystem_only(settings)
    url = photo_url(sighting=sighting, user=angler, public=False)
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_signed_photo_address_expires(sighting, angler, settings):
    filesystem_only(settings)
    url = photo_url(sighting=sighting, user=angler, public=False)
    settings.SIGNED_URL_MAX_AGE = 1
    time.sleep(2.1)
    assert Client().get(url).status_code == 404


def test_forged_token_is_refused(sighting, settings):
    filesystem_only(settings)
    url = storage_signed_url(name=sighting.photo.name)
    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert Client().get(forged).status_code == 404
    assert Client().get("/photos/not-a-token").status_code == 404


@pytest.mark.services
def test_s3_addresses_are_presigned_and_short_lived(sighting, angler, settings):
    url = photo_url(sighting=sighting, user=angler, public=False)
    assert "X-Amz-Signature=" in url
    assert f"X-Amz-Expires={settings.SIGNED_URL_MAX_AGE}" in url
