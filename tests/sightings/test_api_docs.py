"""The OpenAPI schema and Swagger UI are served by the platform itself, with no CDN."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_swagger_ui_loads_its_assets_from_our_own_static_files():
    page = Client().get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui" in source for source in sources)
    assert all(source.startswith("/") for source in sources), sources


def test_schema_documents_the_submission_endpoint():
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    post = schema["paths"]["/api/v1/sightings/"]["post"]
    fields = post["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][fields]["properties"]
    assert {"photo", "photo_url", "latitude", "longitude", "observed_at", "geoprivacy"} <= set(properties)


def schema_of():
    return Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_every_operation_documents_the_errors_it_can_answer():
    for path, operations in schema_of()["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "429", "503"} <= codes, (method, path, codes)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put", "patch"):
                assert {"400", "403", "413", "415"} <= codes, (method, path, codes)


def test_exports_document_their_filters_options_and_file_types():
    paths = schema_of()["paths"]
    csv_export = paths["/api/v1/exports/sightings.csv"]["get"]
    assert set(csv_export["responses"]["200"]["content"]) == {"text/csv"}
    names = {parameter["name"] for parameter in csv_export["parameters"]}
    assert {"bbox", "species", "quality_grade", "observed_from", "region", "project"} <= names
    assert "split_seed" not in names, "an option of another format"
    dataset = {p["name"]: p["schema"] for p in paths["/api/v1/exports/dataset.zip"]["get"]["parameters"]}
    assert dataset["ranks"]["enum"] == ["species", "any"] and dataset["negatives"]["type"] == "boolean"
    assert set(paths["/api/v1/exports/dwca.zip"]["get"]["responses"]["200"]["content"]) == {"application/zip"}


def test_an_unknown_api_address_answers_json_and_a_page_answers_html():
    api = Client().get("/api/v1/species/1.5/")
    assert api.status_code == 404 and api.json() == {"detail": "Not found."}
    page = Client().get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_blank_regulations_parameter_is_refused_by_name():
    answer = Client().get(
        "/api/v1/regulations/",
        {"latitude": "41.5", "longitude": "-81.7", "date": "2026-06-01", "species": ""},
    )
    assert answer.status_code == 400 and "species" in answer.json()


def test_text_fields_take_text_only_and_jobs_take_json_only(angler, researcher):
    from tests.conftest import token_client

    number = token_client(angler).put(
        "/api/v1/account/credit/", {"credit": "name", "credit_name": 7}, format="json"
    )
    assert number.status_code == 400 and "credit_name" in number.json()
    form = token_client(researcher).post("/api/v1/exports/jobs/", {"format": "csv"})
    assert form.status_code == 415


def test_the_deploy_check_warns_of_a_local_site_url(settings):
    from sightings.published_photos import site_url_check

    settings.SITE_URL = "http://127.0.0.1:8000"
    assert [warning.id for warning in site_url_check()] == ["sightings.W001"]
    settings.SITE_URL = "https://catchlog.example.org"
    assert site_url_check() == []
