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
