"""An angler changes or deletes their own catch, on the web and through the API; nobody else may."""

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from rest_framework.test import APIClient

from sightings.models import Identification, Sighting

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_owner_changes_the_details(angler, make_sighting):
    sighting = make_sighting(angler)
    client = client_for(angler)
    assert "Change details" in client.get(f"/sightings/{sighting.pk}/").content.decode()
    response = client.post(
        f"/sightings/{sighting.pk}/edit/",
        {"length": "42.5", "notes": "released", "geoprivacy": "private", "license": "cc0"},
    )
    assert response.status_code == 302 and response["Location"] == f"/sightings/{sighting.pk}/"
    sighting.refresh_from_db()
    assert (float(sighting.length_cm), sighting.notes, sighting.geoprivacy, sighting.license) == (
        42.5,
        "released",
        "private",
        "cc0",
    )


def test_a_bad_length_is_said_and_nothing_changes(angler, make_sighting):
    sighting = make_sighting(angler, length_cm=30)
    response = client_for(angler).post(
        f"/sightings/{sighting.pk}/edit/",
        {"length": "-5", "notes": "", "geoprivacy": "obscured", "license": "cc-by-nc"},
    )
    assert response.status_code == 400 and "between 0.1 and 2000.0 cm" in response.content.decode()
    sighting.refresh_from_db()
    assert float(sighting.length_cm) == 30


def test_the_owner_deletes_the_catch_with_its_history_and_photos(
    angler, color_model, eager_tasks, make_sighting, django_capture_on_commit_callbacks
):
    sighting = make_sighting(angler)
    names = [sighting.photo.name, sighting.public_photo.name]
    assert all(names) and all(default_storage.exists(name) for name in names)
    client = client_for(angler)
    assert "Delete this catch?" in client.get(f"/sightings/{sighting.pk}/delete/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/sightings/{sighting.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/sightings/"
    assert not Sighting.objects.filter(pk=sighting.pk).exists()
    assert not Identification.objects.filter(sighting_id=sighting.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_others_may_neither_change_nor_delete(angler, other_angler, moderator, make_sighting, action):
    sighting = make_sighting(angler)
    url = f"/sightings/{sighting.pk}/{action}/"
    assert client_for(other_angler).post(url, {"notes": "mine now"}).status_code == 404
    assert client_for(moderator).post(url, {"notes": "mine now"}).status_code == 403
    assert Sighting.objects.get(pk=sighting.pk).notes == ""


def test_the_api_deletes_for_the_owner_only(angler, other_angler, moderator, make_sighting):
    sighting = make_sighting(angler)
    url = f"/api/v1/sightings/{sighting.pk}/"
    for user, expected in ((other_angler, 404), (moderator, 403)):
        api = APIClient()
        api.force_authenticate(user)
        assert api.delete(url).status_code == expected
    api = APIClient()
    api.force_authenticate(angler)
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404
