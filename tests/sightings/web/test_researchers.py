"""The researcher's pages: exports with filters and an API token, without a shell."""

import csv
import io

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def client_for(user, **options):
    client = Client(**options)
    client.force_login(user)
    return client


def test_anglers_get_no_export_page_and_no_link(angler):
    client = client_for(angler)
    assert client.get("/exports/").status_code == 403
    assert "Export data" not in client.get("/sightings/").content.decode()


def test_researchers_find_the_page_and_every_format(researcher):
    client = client_for(researcher)
    assert 'href="/exports/"' in client.get("/map/").content.decode()
    html = client.get("/exports/").content.decode()
    for label in ("CSV", "GeoJSON", "Darwin Core", "ML dataset"):
        assert label in html
    assert "API token" in html


def test_the_form_downloads_the_apis_export_with_only_the_filters_given(
    researcher, angler, color_model, color_species, eager_tasks, make_sighting
):
    sighting = make_sighting(angler)
    bass = color_species["micropterus_salmoides"]
    client = client_for(researcher)
    response = client.get(
        "/exports/",
        {
            "format": "csv",
            "species": bass.pk,
            "quality_grade": "any",
            "observed_from": "2026-05-01",
            "observed_to": "",
            "region": "",
            "license": "",
            "project": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == (
        f"/api/v1/exports/sightings.csv?species={bass.pk}&quality_grade=any&observed_from=2026-05-01"
    )
    download = client.get(response["Location"])
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert [row["id"] for row in rows] == [str(sighting.pk)]


def test_a_bad_range_is_said_on_the_page(researcher):
    response = client_for(researcher).get(
        "/exports/", {"format": "csv", "observed_from": "2026-06-02", "observed_to": "2026-06-01"}
    )
    assert response.status_code == 400
    assert "The last day comes before the first." in response.content.decode()


def test_a_token_is_made_shown_and_replaced(angler):
    client = client_for(angler)
    assert "You have no token yet." in client.get("/account/token/").content.decode()
    assert client.post("/account/token/new/").status_code == 302
    first = Token.objects.get(user=angler).key
    assert first in client.get("/account/token/").content.decode()
    api = Client(HTTP_AUTHORIZATION=f"Token {first}")
    assert api.get("/api/v1/sightings/").status_code == 200

    client.post("/account/token/new/")
    second = Token.objects.get(user=angler).key
    assert second != first
    assert api.get("/api/v1/sightings/").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Token {second}").get("/api/v1/sightings/").status_code == 200


def test_replacing_a_token_needs_the_pages_csrf_token_and_a_post(angler):
    client = client_for(angler, enforce_csrf_checks=True)
    assert client.post("/account/token/new/").status_code == 403
    assert client_for(angler).get("/account/token/new/").status_code == 405
    assert not Token.objects.filter(user=angler).exists()


def test_signed_out_people_are_sent_to_log_in():
    for url in ("/exports/", "/account/token/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
