"""No URL the project serves tells anyone but the owner and trusted viewers a true place or EXIF GPS.

Every URL pattern is walked from the root resolver (so URLs added later are covered without
touching this test), its parameters filled with the ids of real objects, and fetched as an
anonymous visitor, another angler and a researcher. Bodies, zip members and the photos behind the
signed addresses found in them are searched for the true coordinates of an obscured and a private
sighting in any usual formatting, and for the GPS rationals of their uploads. The same sweep as the
owner and as a trusted researcher must find them, so the search is known to work.
"""

import html
import io
import re
import struct
import urllib.request
import zipfile
from itertools import product

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from PIL import Image, UnidentifiedImageError

from classifier.models import ModelVersion
from regulations.models import Region, Species
from sightings.exports.services import export_job_create, export_job_run
from sightings.geoprivacy import obscured_point
from sightings.models import ExportJob, Sighting
from tests import factories
from tests.conftest import token_client
from tests.sightings.exports.conftest import sighting_make

pytestmark = pytest.mark.django_db
SECRET_PLACES = {"obscured": (41.123456, -81.654321), "private": (41.765432, -81.234567)}
OPEN_PLACE = (41.501234, -81.701234)
PUBLIC_ADMIN_VIEWS = {"login", "logout", "view_on_site", "password_reset", "password_reset_done"}
PARAMETER = re.compile(
    r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>(?P<regex>(?:[^()]|\([^()]*\))*)\)"
)
PROBES = ["", "?quality_grade=any", "?quality_grade=any&format=json"]


def dms_seconds(value):
    value = abs(value)
    minutes = (value - int(value)) * 60
    return round((minutes - int(minutes)) * 60 * 100)


def leak_patterns(latitude, longitude):
    texts = set()
    for value in (abs(latitude), abs(longitude)):
        text = f"{value:.6f}"
        for decimals in (4, 5, 6):
            texts.add(f"{value:.{decimals}f}")
            texts.add(text[: text.index(".") + 1 + decimals])
    seconds = [dms_seconds(latitude), dms_seconds(longitude)]
    texts |= {f"{s // 100}.{s % 100:02d}" for s in seconds} | {f"{s}/100" for s in seconds}
    regex = re.compile(
        "|".join(rf"(?<![\d.]){re.escape(text)}" for text in sorted(texts, key=len, reverse=True))
    )
    rationals = [struct.pack(order + "II", s, 100) for s in seconds for order in (">", "<")]
    return regex, rationals


LEAKS = {name: leak_patterns(*place) for name, place in SECRET_PLACES.items()}


def leaks_in(data):
    text = data.decode("latin-1")
    found = []
    for name, (regex, rationals) in LEAKS.items():
        found += [f"{name}: {match.group()}" for match in regex.finditer(text)]
        found += [f"{name}: GPS rational" for rational in rationals if rational in data]
    return found


def image_gps(data):
    try:
        with Image.open(io.BytesIO(data)) as image:
            return dict(image.getexif().get_ifd(0x8825))
    except (UnidentifiedImageError, OSError, SyntaxError):
        return {}


@pytest.fixture
def quick_setup(settings):
    # Pages render without collectstatic's manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def world(quick_setup, angler, other_angler, moderator, researcher, trusted_researcher, color_model):
    sightings = {}
    for name, (latitude, longitude) in SECRET_PLACES.items():
        while True:
            sighting = sighting_make(
                owner=angler,
                moderator=moderator,
                latitude=latitude,
                longitude=longitude,
                geoprivacy=name,
                exif=factories.exif_with_gps(latitude=latitude, longitude=longitude),
            )
            shown = obscured_point(latitude=latitude, longitude=longitude, seed=str(sighting.pk))
            if not leaks_in(f"{shown[0]} {shown[1]}".encode()):
                break
            sighting.delete()  # its random cell point happens to look like the secret: draw again
        sightings[name] = sighting
    sightings["open"] = sighting_make(
        owner=angler, moderator=moderator, latitude=OPEN_PLACE[0], longitude=OPEN_PLACE[1], geoprivacy="open"
    )
    jobs = [
        export_job_create(user=user, format="csv", filters={"quality_grade": "any"})
        for user in (trusted_researcher, researcher)
    ]
    for job in jobs:
        assert export_job_run(job_id=job.pk).status == ExportJob.Status.DONE
    return {"sightings": sightings, "jobs": jobs}


def candidates(world):
    ids = [str(s.pk) for s in world["sightings"].values()] + [str(job.pk) for job in world["jobs"]]
    ids += [
        str(pk)
        for model in (Species, Region, ModelVersion)
        for pk in model.objects.values_list("pk", flat=True)
    ]
    ids += [str(pk) for pk in Sighting.objects.values_list("owner_id", flat=True).distinct()]
    return {
        "pk": ids,
        "id": ids,
        "object_id": ids,
        "content_type_id": [str(ContentType.objects.get_for_model(Sighting).pk)],
        "token": ["not-a-valid-token"],
        "format": ["json"],
    }


def url_patterns(resolver=None, prefix="", admin=False):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, pattern, admin or entry.app_name == "admin")
        elif isinstance(entry, URLPattern):
            yield pattern, entry, admin


def concrete_urls(pattern, values):
    names, choices = [], []
    for match in PARAMETER.finditer(pattern):
        name = match.group("name") or match.group("group")
        regex = match.group("regex") or ""
        options = [regex.split("|")[0]] if name not in values and "|" in regex else values.get(name, ["1"])
        names.append(match.group(0))
        choices.append(options)
    for combination in product(*choices):
        url = pattern
        for placeholder, value in zip(names, combination, strict=True):
            url = url.replace(placeholder, value, 1)
        url = url.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "")
        yield "/" + url


def body_of(response):
    return b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content


def expanded(data):
    """The body and, for a zip, each of its members."""
    yield data
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield archive.read(name)


def linked_urls(data):
    text = html.unescape(data.decode("utf-8", "replace"))
    found = set(re.findall(r"/photos/[A-Za-z0-9_\-:.]+", text))
    endpoint = getattr(settings, "AWS_S3_ENDPOINT_URL", "") or ""
    storage = settings.STORAGES["default"]["OPTIONS"].get("endpoint_url") or endpoint
    if storage:
        found |= {url for url in re.findall(r"https?://[^\s\"'<>\t\\]+", text) if url.startswith(storage)}
    return found


def fetch_linked(client, url):
    if url.startswith("/"):
        return body_of(client.get(url))
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


def sweep(user, world):
    """(url, status, findings, gps) for every URL of the project, fetched as `user`."""
    client = token_client(user)
    if user is not None:
        client.force_login(user)
    values = candidates(world)
    seen_patterns, results = 0, []
    for pattern, entry, admin in url_patterns():
        for url in list(concrete_urls(pattern, values))[: 1 if admin else None]:
            try:
                match = resolve(url)
            except Resolver404:
                continue
            if match.func != entry.callback:
                continue
            seen_patterns += 1
            for probe in PROBES[:1] if admin else PROBES:
                response = client.get(url + probe)
                if admin and user is not None and user.is_staff:
                    continue
                if admin and entry.name not in PUBLIC_ADMIN_VIEWS:
                    assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), (
                        url
                    )
                    continue
                data = body_of(response)
                for part in expanded(data):
                    results.append((url + probe, response.status_code, leaks_in(part), image_gps(part)))
                    for link in linked_urls(part):
                        for linked in expanded(fetch_linked(client, link)):
                            results.append((link, 200, leaks_in(linked), image_gps(linked)))
    assert seen_patterns >= 15, "the walk found too few URL patterns"
    return results


@pytest.mark.parametrize("role", ["anonymous", "other_angler", "researcher"])
def test_nobody_else_learns_a_true_place_from_any_url(world, role, request):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    leaks = [
        (url, status, findings, gps) for url, status, findings, gps in sweep(user, world) if findings or gps
    ]
    assert leaks == []


def test_the_owner_and_a_trusted_researcher_do_see_them(world, angler, trusted_researcher):
    owner_results = sweep(angler, world)
    owner_found = " ".join(" ".join(findings) for _, _, findings, _ in owner_results)
    assert "obscured: 41.123456" in owner_found and "private: 81.234567" in owner_found
    assert any(gps for *_, gps in owner_results), "the owner's own upload with its GPS was not served"
    trusted_found = " ".join(" ".join(findings) for _, _, findings, _ in sweep(trusted_researcher, world))
    assert "obscured: 41.123456" in trusted_found and "private: 41.765432" in trusted_found
