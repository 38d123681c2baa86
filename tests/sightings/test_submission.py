"""Submitting a catch through the API: what is stored, and every bad input refused with a reason."""

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from sightings.models import Sighting
from tests import factories
from tests.conftest import token_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/sightings/"


def upload(data, name="catch.jpg"):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def submit(client, photo=None, **fields):
    payload = {"latitude": "41.5", "longitude": "-81.69", "observed_at": "2026-06-01T08:30:00Z"}
    payload.update(fields)
    if photo is not None:
        payload["photo"] = upload(photo, fields.pop("filename", "catch.jpg"))
    payload = {key: value for key, value in payload.items() if value is not None}
    return client.post(URL, payload, format="multipart")


def stored_photo_count():
    try:
        return len(default_storage.listdir("originals")[1])
    except FileNotFoundError:
        return 0


def test_submission_is_stored_pending_with_location_as_longitude_latitude(api, angler):
    before = stored_photo_count()
    response = submit(api, factories.photo_bytes(), notes="caught at dawn", length_cm="35.5")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    sighting = Sighting.objects.get(pk=body["id"])
    assert sighting.owner == angler
    # GEOS points are (x=longitude, y=latitude).
    assert (sighting.location.x, sighting.location.y) == (-81.69, 41.5)
    assert sighting.location.srid == 4326
    assert (body["latitude"], body["longitude"]) == (41.5, -81.69)
    assert float(sighting.length_cm) == 35.5
    assert sighting.geoprivacy == Sighting.Geoprivacy.OBSCURED
    assert stored_photo_count() == before + 1
    assert sighting.photo.name.startswith("originals/") and sighting.photo.name.endswith(".jpg")
    assert "catch" not in sighting.photo.name


def test_stored_name_ignores_the_uploaded_file_name(api):
    response = submit(api, factories.photo_bytes(fmt="PNG"), filename="../../etc/passwd.jpg")
    assert response.status_code == 201, response.content
    name = Sighting.objects.get().photo.name
    assert ".." not in name and "passwd" not in name
    assert name.endswith(".png")


def test_location_and_time_come_from_exif_when_absent(api):
    taken = datetime(2026, 1, 15, 21, 30)  # evening on Lake Erie: already the 16th in UTC
    exif = factories.exif_with_gps(latitude=41.6, longitude=-82.7, taken_at=taken)
    response = submit(api, factories.photo_bytes(exif=exif), latitude=None, longitude=None, observed_at=None)
    assert response.status_code == 201, response.content
    sighting = Sighting.objects.get()
    assert sighting.location.y == pytest.approx(41.6, abs=1e-3)
    assert sighting.location.x == pytest.approx(-82.7, abs=1e-3)
    local = sighting.observed_at.astimezone(ZoneInfo("America/New_York"))
    assert local.replace(tzinfo=None) == taken, "the camera's clock shows local time there"
    assert sighting.observed_at == datetime(2026, 1, 16, 2, 30, tzinfo=UTC)
    assert sighting.utc_offset_minutes == -300
    assert sighting.exif, "the camera metadata is kept, privately"


def test_fields_win_over_exif(api):
    exif = factories.exif_with_gps(latitude=10.0, longitude=10.0)
    response = submit(api, factories.photo_bytes(exif=exif), latitude="41.5", longitude="-81.69")
    assert response.status_code == 201
    assert Sighting.objects.get().location.y == 41.5


def truncated_jpeg():
    return factories.photo_bytes(size=(400, 300))[:600]


def bomb_png():
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, "PNG")
    return buffer.getvalue()


BAD_INPUTS = {
    "not an image": ({"photo": b"<html><script>alert(1)</script></html>"}, "photo"),
    "svg renamed jpg": ({"photo": b'<svg xmlns="http://www.w3.org/2000/svg"/>'}, "photo"),
    "zero bytes": ({"photo": b""}, "photo"),
    "truncated jpeg": ({"photo": truncated_jpeg()}, "photo"),
    "decompression bomb": ({"photo": bomb_png()}, "photo"),
    "latitude above 90": ({"latitude": "90.5"}, "latitude"),
    "latitude below -90": ({"latitude": "-91"}, "latitude"),
    "longitude above 180": ({"longitude": "180.01"}, "longitude"),
    "latitude not a number": ({"latitude": "north"}, "latitude"),
    "latitude nan": ({"latitude": "nan"}, "latitude"),
    "only latitude": ({"longitude": None}, "longitude"),
    "no location and no exif": ({"latitude": None, "longitude": None}, "latitude"),
    "no time and no exif": ({"observed_at": None}, "observed_at"),
    "observed in the future": (
        {"observed_at": (timezone.now() + timedelta(days=1)).isoformat()},
        "observed_at",
    ),
    "observed_at garbage": ({"observed_at": "yesterday"}, "observed_at"),
    "negative length": ({"length_cm": "-3"}, "length_cm"),
    "unknown geoprivacy": ({"geoprivacy": "secret"}, "geoprivacy"),
    "photo url not http": ({"photo": None, "photo_url": "ftp://example.com/fish.jpg"}, "photo_url"),
    "photo url loopback": ({"photo": None, "photo_url": "http://127.0.0.1/fish.jpg"}, "photo_url"),
    "photo url metadata service": (
        {"photo": None, "photo_url": "http://169.254.169.254/latest/"},
        "photo_url",
    ),
    "photo url private network": ({"photo": None, "photo_url": "http://10.0.0.8/fish.jpg"}, "photo_url"),
    "photo url file scheme": ({"photo": None, "photo_url": "file:///etc/passwd"}, "photo_url"),
    "neither photo nor url": ({"photo": None}, "photo"),
    "both photo and url": ({"photo_url": "https://example.com/fish.jpg"}, "photo"),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_is_refused_with_field_and_reason_and_nothing_is_stored(api, case, settings):
    settings.PHOTO_MAX_PIXELS = 50_000_000
    fields, field = BAD_INPUTS[case]
    fields = dict(fields)
    photo = fields.pop("photo", factories.photo_bytes())
    before = stored_photo_count()
    response = submit(api, photo, **fields)
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert all(isinstance(message, str) and message for message in body[field])
    assert Sighting.objects.count() == 0
    assert stored_photo_count() == before


def test_oversize_upload_is_refused(api, settings):
    settings.PHOTO_MAX_BYTES = 10_000
    response = submit(api, factories.photo_bytes(size=(1200, 900)) + b"\0" * 20_000)
    assert response.status_code == 400
    assert "larger than" in response.json()["photo"][0]
    assert Sighting.objects.count() == 0


def test_anonymous_may_not_submit(db):
    response = submit(token_client(None), factories.photo_bytes())
    assert response.status_code == 401
    assert Sighting.objects.count() == 0


def test_anglers_see_and_edit_only_their_own_sightings(api, other_angler):
    mine = submit(api, factories.photo_bytes()).json()["id"]
    other = token_client(other_angler)
    theirs = submit(other, factories.photo_bytes()).json()["id"]

    listed = [item["id"] for item in api.get(URL).json()["results"]]
    assert listed == [mine]
    assert [item["id"] for item in other.get(URL).json()["results"]] == [theirs]
    assert api.get(f"{URL}{theirs}/").status_code == 404
    assert api.patch(f"{URL}{theirs}/", {"notes": "mine now"}, format="json").status_code == 404
    response = api.patch(f"{URL}{mine}/", {"notes": "a fine fish", "geoprivacy": "private"}, format="json")
    assert response.status_code == 200
    assert response.json()["notes"] == "a fine fish"
    assert Sighting.objects.get(pk=theirs).notes == ""


def test_storage_outage_answers_503_and_writes_nothing(api, monkeypatch):
    from sightings.errors import StorageUnavailable
    from sightings.services import submission

    def down(**kwargs):
        raise StorageUnavailable("connection refused")

    monkeypatch.setattr(submission, "storage_save", down)
    response = submit(api, factories.photo_bytes())
    assert response.status_code == 503
    assert "nothing was saved" in response.json()["detail"]
    assert Sighting.objects.count() == 0


def test_failed_row_write_removes_the_stored_photo(api, monkeypatch):
    from sightings.services import submission

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(submission.Sighting, "save", broken)
    before = stored_photo_count()
    with pytest.raises(RuntimeError):
        submit(api, factories.photo_bytes())
    assert Sighting.objects.count() == 0
    assert stored_photo_count() == before


def test_angler_confirms_or_names_another_species(api, angler, color_model, color_species):
    from sightings.services.classification import sighting_classify

    sighting_id = submit(api, factories.photo_bytes(factories.RED)).json()["id"]
    sighting_classify(sighting_id=sighting_id)
    confirmed = api.post(f"{URL}{sighting_id}/identifications/", {"confirm_suggestion": True}, format="json")
    assert confirmed.status_code == 201, confirmed.content
    assert confirmed.json()["from_suggestion"] is True
    walleye = color_species["sander_vitreus"]
    named = api.post(f"{URL}{sighting_id}/identifications/", {"species": walleye.pk}, format="json")
    assert named.status_code == 201
    assert named.json()["previous_species"]["scientific_name"] == "Micropterus salmoides"
    body = api.get(f"{URL}{sighting_id}/").json()
    assert body["species"]["id"] == walleye.pk
    assert (
        api.post(f"{URL}{sighting_id}/identifications/", {"species": 999999}, format="json").status_code
        == 400
    )


def test_others_cannot_identify_a_sighting(api, other_angler, researcher, color_species):
    sighting_id = submit(api, factories.photo_bytes()).json()["id"]
    species = color_species["sander_vitreus"].pk
    for user in (other_angler, researcher):
        response = token_client(user).post(
            f"{URL}{sighting_id}/identifications/", {"species": species}, format="json"
        )
        assert response.status_code == 404


def test_moderators_read_any_sighting_but_list_only_their_own(api, moderator):
    sighting_id = submit(api, factories.photo_bytes()).json()["id"]
    client = token_client(moderator)
    assert client.get(f"{URL}{sighting_id}/").status_code == 200
    assert client.get(URL).json()["results"] == []


def test_the_201_body_is_what_the_owner_then_reads_and_costs_only_the_row(api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        created = submit(api, factories.photo_bytes(), length_cm="31.5", notes="by the pier")
    assert created.status_code == 201, created.content
    # The token, the project, the row's insert (inside its savepoint): no read-back, no permission,
    # region or identification lookups for a row that has none yet.
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert statements.count("INSERT") == 1
    assert statements.count("SELECT") == 2, [query["sql"][:80] for query in queries.captured_queries]
    body = created.json()
    read = api.get(f"{URL}{body['id']}/").json()
    # The photo address is signed with the time, which moves with the clock; both are the original.
    from sightings.photo_links import photo_name_from_token

    urls = [answer.pop("photo_url") for answer in (body, read)]
    if all("?" in url for url in urls):  # a presigned S3 address
        places = {url.split("?")[0] for url in urls}
    else:  # a signed path of the photo view (filesystem storage)
        places = {photo_name_from_token(url.rstrip("/").rsplit("/", 1)[-1]) for url in urls}
    assert len(places) == 1 and "originals/" in str(places.pop())
    assert body == read
