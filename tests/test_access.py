"""Who may read, change and export what: every endpoint against every role; throttling; deploy checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from sightings.services.classification import sighting_classify
from sightings.services.submission import sighting_submit
from tests import factories
from tests.conftest import token_client

ROOT = Path(__file__).resolve().parent.parent
ROLES = ["anonymous", "owner", "other_angler", "moderator", "researcher", "trusted_researcher"]


@pytest.fixture
def people(angler, other_angler, moderator, researcher, trusted_researcher):
    return {
        "anonymous": None,
        "owner": angler,
        "other_angler": other_angler,
        "moderator": moderator,
        "researcher": researcher,
        "trusted_researcher": trusted_researcher,
    }


@pytest.fixture
def sighting(angler, color_model):
    sighting = sighting_submit(
        owner=angler,
        photo=factories.photo_bytes(),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1),
    )
    sighting_classify(sighting_id=sighting.pk)
    return sighting


def photo_upload():
    import io

    handle = io.BytesIO(factories.photo_bytes())
    handle.name = "catch.jpg"
    return handle


# (name, method, path template, payload, format, expected status per role)
MATRIX = [
    (
        "list sightings",
        "get",
        "/api/v1/sightings/",
        None,
        None,
        {
            "anonymous": 401,
            "owner": 200,
            "other_angler": 200,
            "moderator": 200,
            "researcher": 200,
            "trusted_researcher": 200,
        },
    ),
    (
        "read a sighting",
        "get",
        "/api/v1/sightings/{id}/",
        None,
        None,
        {
            "anonymous": 401,
            "owner": 200,
            "other_angler": 404,
            "moderator": 200,
            "researcher": 404,
            "trusted_researcher": 404,
        },
    ),
    (
        "submit",
        "post",
        "/api/v1/sightings/",
        "photo",
        "multipart",
        {
            "anonymous": 401,
            "owner": 201,
            "other_angler": 201,
            "moderator": 201,
            "researcher": 201,
            "trusted_researcher": 201,
        },
    ),
    (
        "change a sighting",
        "patch",
        "/api/v1/sightings/{id}/",
        {"notes": "changed"},
        "json",
        {
            "anonymous": 401,
            "owner": 200,
            "other_angler": 404,
            "moderator": 403,
            "researcher": 404,
            "trusted_researcher": 404,
        },
    ),
    (
        "identify",
        "post",
        "/api/v1/sightings/{id}/identifications/",
        {"confirm_suggestion": True},
        "json",
        {
            "anonymous": 401,
            "owner": 201,
            "other_angler": 404,
            "moderator": 201,
            "researcher": 404,
            "trusted_researcher": 404,
        },
    ),
    (
        "export csv",
        "get",
        "/api/v1/exports/sightings.csv?quality_grade=any",
        None,
        None,
        {
            "anonymous": 401,
            "owner": 403,
            "other_angler": 403,
            "moderator": 200,
            "researcher": 200,
            "trusted_researcher": 200,
        },
    ),
    (
        "export geojson",
        "get",
        "/api/v1/exports/sightings.geojson?quality_grade=any",
        None,
        None,
        {
            "anonymous": 401,
            "owner": 403,
            "other_angler": 403,
            "moderator": 200,
            "researcher": 200,
            "trusted_researcher": 200,
        },
    ),
    (
        "export dwca",
        "get",
        "/api/v1/exports/dwca.zip?quality_grade=any",
        None,
        None,
        {
            "anonymous": 401,
            "owner": 403,
            "other_angler": 403,
            "moderator": 200,
            "researcher": 200,
            "trusted_researcher": 200,
        },
    ),
    (
        "export dataset",
        "get",
        "/api/v1/exports/dataset.zip?quality_grade=any",
        None,
        None,
        {
            "anonymous": 401,
            "owner": 403,
            "other_angler": 403,
            "moderator": 200,
            "researcher": 200,
            "trusted_researcher": 200,
        },
    ),
    (
        "regulations",
        "get",
        "/api/v1/regulations/?latitude=41.5&longitude=-81.69&date=2026-06-01",
        None,
        None,
        {role: 200 for role in ROLES},
    ),
    ("species", "get", "/api/v1/species/", None, None, {role: 200 for role in ROLES}),
    ("schema", "get", "/api/schema/", None, None, {role: 200 for role in ROLES}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name,method,path,payload,fmt,expected", MATRIX, ids=[row[0] for row in MATRIX])
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(people, sighting, role, name, method, path, payload, fmt, expected):
    client = token_client(people[role])
    data = (
        {
            "photo": photo_upload(),
            "latitude": "41.5",
            "longitude": "-81.69",
            "observed_at": "2026-06-01T08:00:00Z",
        }
        if payload == "photo"
        else payload
    )
    kwargs = {"format": fmt} if fmt else {}
    response = getattr(client, method)(path.format(id=sighting.pk), data, **kwargs)
    assert response.status_code == expected[role], (
        role,
        name,
        response.status_code,
        getattr(response, "content", b"")[:200],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role,expected", [("anonymous", 302), ("owner", 302), ("researcher", 302), ("moderator", 200)]
)
def test_admin_is_for_moderators_only(people, role, expected):
    client = Client()
    if people[role] is not None:
        client.force_login(people[role])
    assert client.get("/admin/sightings/sighting/").status_code == expected


@pytest.mark.django_db
def test_anonymous_api_use_is_throttled_with_429(monkeypatch):
    cache.clear()
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    client = token_client(None)
    codes = [client.get("/api/v1/species/").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]
    assert "throttled" in client.get("/api/v1/species/").json()["detail"].lower()


@pytest.mark.django_db
def test_a_rotating_forwarded_for_header_does_not_escape_the_anonymous_throttle(monkeypatch):
    cache.clear()
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    client = token_client(None)
    codes = [
        client.get("/api/v1/species/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(1, 101)
    ]
    assert codes[:3] == [200, 200, 200]
    assert set(codes[3:]) == {429}


@pytest.mark.django_db
def test_behind_one_proxy_the_throttle_keys_on_the_last_forwarded_address(monkeypatch, settings):
    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    client = token_client(None)

    def get(forwarded_for):
        return client.get("/api/v1/species/", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    # The client may write anything before the proxy's entry: only the last hop counts.
    assert [get(f"10.0.0.{n}, 198.51.100.7") for n in range(5)] == [200, 200, 200, 429, 429]
    assert get("198.51.100.8") == 200


@pytest.mark.django_db
def test_authenticated_api_use_is_throttled_with_429(angler, monkeypatch):
    cache.clear()
    monkeypatch.setattr(UserRateThrottle, "rate", "2/minute", raising=False)
    client = token_client(angler)
    codes = [client.get("/api/v1/sightings/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def deploy_check(**extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_ENV_FILE=os.devnull,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="catch.example.org",
        DJANGO_SETTINGS_MODULE="config.settings",
        SITE_URL="https://catch.example.org",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_pass_with_production_settings():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_pass_with_hsts_preload_for_a_year():
    result = deploy_check(DJANGO_SECURE_HSTS_PRELOAD="1", DJANGO_SECURE_HSTS_SECONDS="31536000")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_refuses_hsts_preload_below_a_year():
    result = deploy_check(DJANGO_SECURE_HSTS_PRELOAD="1", DJANGO_SECURE_HSTS_SECONDS="86400")
    assert result.returncode != 0
    assert "needs DJANGO_SECURE_HSTS_SECONDS >= 31536000" in result.stderr


@pytest.mark.django_db
def test_forms_carry_csrf_protection(angler):
    client = Client(enforce_csrf_checks=True)
    client.force_login(angler)
    response = client.post("/api/v1/sightings/", {"notes": "x"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
