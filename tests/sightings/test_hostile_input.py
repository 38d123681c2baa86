"""At least forty bad files and requests: each a 400 naming the field, nothing stored, nothing crashed."""

import contextlib
import http.server
import threading
import time

import pytest
from django.test import Client

from sightings.models import Sighting
from sightings.services import remote_photos
from sightings.services.submission import sighting_submit
from tests import factories
from tests.conftest import token_client
from tests.sightings import hostile_corpus
from tests.sightings.test_submission import URL, stored_photo_count, submit

pytestmark = pytest.mark.django_db


def test_the_corpus_is_large_enough():
    assert len(hostile_corpus.CASES) >= 40


@pytest.mark.parametrize(
    "name,photo,fields,field", hostile_corpus.CASES, ids=[case[0] for case in hostile_corpus.CASES]
)
def test_hostile_input_gets_400_with_a_reason_and_stores_nothing(api, name, photo, fields, field):
    fields = dict(fields)
    if photo is None:
        photo = factories.photo_bytes()
    elif photo is False:
        photo = None
    before = stored_photo_count()
    response = submit(api, photo, **fields)
    assert response.status_code == 400, (name, response.status_code, response.content[:300])
    body = response.json()
    assert field in body, body
    assert all(isinstance(message, str) and len(message) > 5 for message in body[field])
    assert Sighting.objects.count() == 0
    assert stored_photo_count() == before


@pytest.mark.parametrize(
    "name,photo", hostile_corpus.ACCEPTED, ids=[case[0] for case in hostile_corpus.ACCEPTED]
)
def test_odd_but_real_photos_are_accepted_and_classified(
    api, name, photo, color_model, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(api, photo)
    assert response.status_code == 201, response.content
    sighting = Sighting.objects.get()
    assert sighting.status in {Sighting.Status.CLASSIFIED, Sighting.Status.REJECTED}, sighting.failure_reason
    assert sighting.public_photo


def test_script_in_notes_is_stored_as_text_and_served_as_json(api):
    payload = "<script>alert('x')</script>' OR 1=1; --"
    response = submit(api, factories.photo_bytes(), notes=payload)
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert Sighting.objects.get().notes == payload


# --- JSON bodies: every API view parses them with the depth-limited parser --------------------


@pytest.fixture
def own_sighting(angler):
    return sighting_submit(
        owner=angler,
        photo=factories.photo_bytes(),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1, 8, 30),
        length_cm="31.5",
        notes="as it was",
    )


JSON_IDS = [case[0] for case in hostile_corpus.JSON_BODIES]


def _editable(sighting):
    sighting.refresh_from_db()
    return sighting.notes, sighting.geoprivacy, sighting.license, sighting.length_cm


def _assert_400_with_a_reason(response, key):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert key in body, body
    messages = [body[key]] if isinstance(body[key], str) else body[key]
    assert messages and all(isinstance(message, str) and len(message) > 5 for message in messages)


@pytest.mark.parametrize("name,body,key", hostile_corpus.JSON_BODIES, ids=JSON_IDS)
def test_hostile_json_patch_gets_400_with_a_reason_and_changes_nothing(api, own_sighting, name, body, key):
    before = _editable(own_sighting)
    response = api.generic("PATCH", f"{URL}{own_sighting.pk}/", body, content_type="application/json")
    _assert_400_with_a_reason(response, key)
    assert _editable(own_sighting) == before


@pytest.mark.parametrize("name,body,key", hostile_corpus.JSON_BODIES, ids=JSON_IDS)
def test_hostile_json_submission_gets_400_with_a_reason_and_stores_nothing(api, name, body, key):
    response = api.generic("POST", URL, body, content_type="application/json")
    _assert_400_with_a_reason(response, key)
    assert Sighting.objects.count() == 0


def test_a_deeply_nested_body_is_refused_by_other_api_views_too(researcher):
    response = token_client(researcher).generic(
        "POST", "/api/v1/exports/jobs/", "[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    _assert_400_with_a_reason(response, "detail")


@pytest.mark.parametrize("path", ["/signup/", "/login/", "/sightings/new/", "/sightings/"])
def test_a_deeply_nested_json_body_on_a_web_page_is_no_server_error(angler, path):
    client = Client()
    client.force_login(angler)
    response = client.generic("POST", path, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code < 500


def test_oversized_json_body_is_refused(api):
    response = api.generic(
        "POST", URL, '{"notes": "' + "x" * 3_000_000 + '"}', content_type="application/json"
    )
    assert response.status_code in (400, 413)
    assert response.json()["detail"]
    assert Sighting.objects.count() == 0


# --- photo_url: a real local web server on 127.0.0.2, the only address the tests let through -----


class PhotoServer(http.server.BaseHTTPRequestHandler):
    routes = {}

    def do_GET(self):
        status, headers, body, delay = self.routes.get(self.path, (404, {}, b"", 0))
        time.sleep(delay)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def photo_server(monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), PhotoServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    original = remote_photos.address_is_forbidden
    monkeypatch.setattr(
        remote_photos,
        "address_is_forbidden",
        lambda address: str(address) != "127.0.0.2" and original(address),
    )
    base = f"http://127.0.0.2:{server.server_address[1]}"
    PhotoServer.routes = {
        "/fish.jpg": (200, {"Content-Type": "image/jpeg"}, factories.photo_bytes(), 0),
        "/to-loopback": (302, {"Location": "http://127.0.0.1/secret"}, b"", 0),
        "/to-metadata": (301, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"", 0),
        "/to-fish": (302, {"Location": "/fish.jpg"}, b"", 0),
        "/loop": (302, {"Location": "/loop"}, b"", 0),
        "/huge": (200, {"Content-Type": "image/jpeg"}, b"\xff\xd8" + b"\0" * 200_000, 0),
        "/slow": (200, {"Content-Type": "image/jpeg"}, factories.photo_bytes(), 3),
        "/missing": (404, {}, b"", 0),
    }
    yield base
    server.shutdown()


def test_photo_url_is_fetched_and_stored(api, photo_server):
    response = submit(api, None, photo_url=f"{photo_server}/fish.jpg")
    assert response.status_code == 201, response.content
    assert Sighting.objects.count() == 1


def test_photo_url_follows_a_redirect_to_a_public_place(api, photo_server):
    assert submit(api, None, photo_url=f"{photo_server}/to-fish").status_code == 201


@pytest.mark.parametrize("path", ["/to-loopback", "/to-metadata", "/loop", "/huge", "/slow", "/missing"])
def test_photo_url_refusals(api, photo_server, settings, path):
    settings.PHOTO_MAX_BYTES = 100_000
    settings.PHOTO_URL_DEADLINE_SECONDS = 1
    response = submit(api, None, photo_url=f"{photo_server}{path}")
    assert response.status_code == 400, response.content
    assert response.json()["photo_url"][0]
    assert Sighting.objects.count() == 0
