import pytest
from rest_framework.test import APIClient

from regulations.models import Species

pytestmark = pytest.mark.django_db
URL = "/api/v1/regulations/"


@pytest.fixture
def client():
    return APIClient()


@pytest.mark.parametrize(
    "params, field",
    [
        ({"latitude": 91, "longitude": -81.7, "date": "2025-07-01"}, "latitude"),
        ({"latitude": 41.6, "longitude": -181, "date": "2025-07-01"}, "longitude"),
        ({"latitude": 41.6, "longitude": -81.7, "date": "2025-13-01"}, "date"),
        (
            {"latitude": 41.6, "longitude": -81.7, "date": "2025-07-01", "species": "Esox nonexistens"},
            "species",
        ),
        ({"latitude": 41.6, "longitude": -81.7, "date": "2025-07-01", "length_cm": "-2"}, "length_cm"),
        ({"longitude": -81.7, "date": "2025-07-01"}, "latitude"),
    ],
)
def test_bad_queries_are_400_with_field_and_reason(client, demo, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json() and response.json()[field][0]


def test_anonymous_answer_with_rules_and_warnings(client, demo):
    goby = Species.objects.get(scientific_name="Neogobius melanostomus")
    for key in (str(goby.pk), "Neogobius melanostomus", "neogobius_melanostomus"):
        response = client.get(
            URL, {"latitude": 41.6, "longitude": -81.7, "date": "2025-07-01", "species": key}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["known"] is True and body["regions"][0]["code"] == "us-oh-lake-erie"
        assert body["warnings"][0]["kind"] == "invasive" and body["species"]["id"] == goby.pk


def test_answer_outside_known_places(client, demo):
    body = client.get(URL, {"latitude": 0, "longitude": 0, "date": "2025-07-01"}).json()
    assert body["known"] is False and body["message"] == "No rules known for this place."


def test_species_list_search_and_detail(client, demo):
    body = client.get("/api/v1/species/", {"search": "goby"}).json()
    assert [item["scientific_name"] for item in body["results"]] == ["Neogobius melanostomus"]
    detail = client.get(f"/api/v1/species/{body['results'][0]['id']}/").json()
    assert detail["label_key"] == "neogobius_melanostomus"
    assert client.post("/api/v1/species/", {"scientific_name": "X"}).status_code in (401, 403, 405)
