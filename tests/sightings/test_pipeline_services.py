"""The whole path against the real services: API -> S3 server -> Redis -> a real Celery worker -> PostGIS."""

import io
import time

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from config.celery_app import app as celery_app
from sightings.models import Classification, Sighting
from sightings.tasks import sighting_classify_task
from tests import factories
from tests.conftest import token_client, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def post(client, color=factories.RED, **extra):
    payload = {
        "photo": factories.photo_bytes(color, size=(640, 480)),
        "latitude": "41.5",
        "longitude": "-81.69",
        "observed_at": "2026-06-01T08:30:00Z",
        **extra,
    }
    handle = io.BytesIO(payload["photo"])
    handle.name = "catch.jpg"
    payload["photo"] = handle
    response = client.post("/api/v1/sightings/", payload, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def settled(sighting_id):
    sighting = Sighting.objects.get(pk=sighting_id)
    return sighting if sighting.status != Sighting.Status.PENDING and sighting.public_photo else None


def test_settings_use_the_real_services():
    from django.conf import settings
    from django.db import connection

    assert connection.vendor == "postgresql" and "postgis" in connection.settings_dict["ENGINE"]
    assert settings.STORAGES["default"]["BACKEND"] == "sightings.s3_storage.S3Storage"
    assert celery_app.conf.task_always_eager is False


def test_submission_is_classified_by_the_worker(celery_worker, angler, color_model, color_species):
    client = token_client(angler)
    started = time.monotonic()
    red, blue = post(client), post(client, factories.BLUE)
    red_sighting = wait_for(lambda: settled(red), message="the red sighting to be classified")
    latency = time.monotonic() - started
    blue_sighting = wait_for(lambda: settled(blue), message="the blue sighting to be classified")

    assert red_sighting.status == Sighting.Status.CLASSIFIED
    assert red_sighting.species == color_species["micropterus_salmoides"]
    assert blue_sighting.status == Sighting.Status.REJECTED
    assert blue_sighting.species is None
    # The objects live on the S3-compatible server, under UUID keys.
    assert default_storage.exists(red_sighting.photo.name)
    assert default_storage.exists(red_sighting.public_photo.name)
    body = client.get(f"/api/v1/sightings/{red}/").json()
    assert body["status"] == "classified"
    assert body["predictions"][0]["species"]["scientific_name"] == "Micropterus salmoides"
    assert "X-Amz-Signature" in body["photo_url"] and "X-Amz-Expires" in body["photo_url"]
    print(f"POST to classified (two photos, light load): {latency:.2f} s")


def test_duplicate_delivery_makes_one_classification(celery_worker, angler, color_model):
    client = token_client(angler)
    sighting_id = post(client)
    for _ in range(3):
        sighting_classify_task.delay(sighting_id)
    wait_for(lambda: settled(sighting_id), message="classification")
    time.sleep(1.0)
    assert Classification.objects.filter(sighting_id=sighting_id).count() == 1


def test_worker_failure_marks_unreadable_photo_failed(celery_worker, angler, color_model):
    client = token_client(angler)
    sighting_id = post(client)
    wait_for(lambda: settled(sighting_id), message="first classification")
    sighting = Sighting.objects.get(pk=sighting_id)
    default_storage.delete(sighting.photo.name)
    with default_storage.open(sighting.photo.name, "wb") as handle:
        handle.write(b"\xff\xd8\xff\xe0not really a jpeg")
    Classification.objects.filter(sighting_id=sighting_id).delete()
    Sighting.objects.filter(pk=sighting_id).update(status=Sighting.Status.PENDING)
    sighting_classify_task.delay(sighting_id)
    failed = wait_for(
        lambda: Sighting.objects.filter(pk=sighting_id, status=Sighting.Status.FAILED).first(),
        message="the sighting to fail",
    )
    assert "cannot be read" in failed.failure_reason


def test_public_copy_on_s3_has_no_exif(celery_worker, angler, color_model):
    client = token_client(angler)
    exif = factories.exif_with_gps(latitude=41.6, longitude=-82.7)
    handle = io.BytesIO(factories.photo_bytes(exif=exif))
    handle.name = "gps.jpg"
    response = client.post(
        "/api/v1/sightings/", {"photo": handle, "observed_at": "2026-06-01T08:30:00Z"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    sighting = wait_for(lambda: settled(response.json()["id"]), message="classification")
    with default_storage.open(sighting.public_photo.name) as stored:
        image = Image.open(stored)
        assert not image.getexif()
