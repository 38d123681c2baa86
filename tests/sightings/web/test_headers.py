"""Every HTML page carries a Content-Security-Policy that allows no inline code, and needs none."""

from html.parser import HTMLParser

import pytest
from django.test import Client

from sightings.photo_links import storage_signed_url

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/login/", "/signup/", "/map/", "/api/docs/", "/admin/login/"]
ANGLER_PAGES = ["/sightings/", "/sightings/new/"]
MODERATOR_PAGES = ["/admin/", "/admin/sightings/sighting/", "/admin/sightings/sighting/{pk}/change/"]
# Inline style attributes written by sightings/admin.py (the queue's thumbnails, when photos are
# public yet): the policy blocks them, and static/css/admin.css gives the same style.
OWNED_ELSEWHERE = {"/admin/sightings/sighting/": ["img style="]}


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block: inline scripts, styles, handlers."""

    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._in_script = tag == "script" and "src" not in attrs and attrs.get("type") != "application/json"
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in attrs if name == "style" or name.startswith("on")]
        if any((value or "").lstrip().lower().startswith("javascript:") for value in attrs.values()):
            self.found.append(f"{tag} javascript: address")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        self._in_script = False


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def pages(angler, moderator, make_sighting):
    sighting = make_sighting(angler)
    yield from ((Client(), url) for url in PUBLIC_PAGES)
    owner = Client()
    owner.force_login(angler)
    yield from ((owner, url) for url in [*ANGLER_PAGES, f"/sightings/{sighting.pk}/"])
    staff = Client()
    staff.force_login(moderator)
    yield from ((staff, url.format(pk=sighting.pk)) for url in MODERATOR_PAGES)


def test_every_page_has_a_policy_without_inline_code_and_no_inline_code(angler, moderator, make_sighting):
    seen = 0
    for client, url in pages(angler, moderator, make_sighting):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = directives(response)
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"], url
        assert policy["frame-ancestors"] == ["'none'"], url
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert set(parser.found) <= set(OWNED_ELSEWHERE.get(url, [])), (url, parser.found)
        seen += 1
    assert seen == len(PUBLIC_PAGES) + len(ANGLER_PAGES) + 1 + len(MODERATOR_PAGES)


def test_swagger_ui_takes_its_set_up_script_from_a_file():
    page = Client().get("/api/docs/").content.decode()
    assert 'src="/api/docs/?script="' in page
    script = Client().get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_signed_photo_addresses_are_allowed_images(angler, make_sighting, settings):
    owner = Client()
    owner.force_login(angler)
    response = owner.get(f"/sightings/{make_sighting(angler).pk}/")
    img_src = directives(response)["img-src"]
    assert "'self'" in img_src and "blob:" in img_src
    endpoint = settings.STORAGES["default"]["OPTIONS"].get("endpoint_url")
    if endpoint:
        assert endpoint.rstrip("/") in img_src


def test_the_photo_view_keeps_its_own_sandbox_policy(angler, make_sighting):
    sighting = make_sighting(angler)
    url = storage_signed_url(name=sighting.photo.name)
    if not url.startswith("/photos/"):
        pytest.skip("photos are served by the S3 server on this run")
    owner = Client()
    owner.force_login(angler)
    response = owner.get(url)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
