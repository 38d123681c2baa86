"""The web pages through Django's test client: no JavaScript, so the plain form posts and links."""

import io
import json
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from sightings.geoprivacy import obscured_point
from sightings.models import Identification, Sighting
from tests import factories

from .conftest import INVASIVE_ACTION, LATITUDE, LONGITUDE, true_point

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def photo_file(data=None, name="catch.jpg"):
    handle = io.BytesIO(data if data is not None else factories.photo_bytes(size=(320, 240)))
    handle.name = name
    return handle


def form_post(client, **fields):
    payload = {
        "photo": photo_file(),
        "latitude": str(LATITUDE),
        "longitude": str(LONGITUDE),
        "observed_at": "2026-06-01T08:30",
        "utc_offset_minutes": "-240",
        "geoprivacy": "obscured",
        "license": "cc-by-nc",
        "notes": "",
    }
    payload.update(fields)
    return client.post("/sightings/new/", {key: value for key, value in payload.items() if value is not None})


def signed_photo(html):
    """A signed photo address: the photo view's token, or a presigned S3 URL."""
    return 'src="/photos/' in html or "Signature=" in html


def field_error(response, field):
    """The text of the error paragraph shown next to a field."""
    html = response.content.decode()
    marker = f'data-error-for="{field}"'
    start = html.index(marker)
    paragraph = html[start : html.index("</p>", start)]
    return paragraph.split(">", 1)[1].strip() if " hidden" not in paragraph.split(">", 1)[0] else ""


# --- Accounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/sightings/", "/sightings/new/"])
def test_pages_for_anglers_need_a_login(url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_sign_up_logs_the_angler_in_and_opens_the_catch_form():
    client = Client()
    response = client.post(
        "/signup/",
        {"username": "new-angler", "password1": "walleye-at-dawn-42", "password2": "walleye-at-dawn-42"},
    )
    assert response.status_code == 302 and response["Location"] == "/sightings/new/"
    assert User.objects.filter(username="new-angler").exists()
    assert client.get("/sightings/new/").status_code == 200


def test_sign_up_shows_what_is_wrong_next_to_the_field():
    response = Client().post("/signup/", {"username": "x", "password1": "short", "password2": "other"})
    assert response.status_code == 200
    assert "match" in field_error(response, "password2")


def test_log_in_and_log_out_by_post(angler):
    client = Client()
    response = client.post("/login/", {"username": "angler", "password": "x-test-password-1"})
    assert response.status_code == 302
    assert client.get("/sightings/").status_code == 200
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").status_code == 302
    assert client.get("/sightings/").status_code == 302


# --- Submitting without JavaScript ------------------------------------------------------------


def test_the_form_offers_the_camera_and_the_gallery_and_explains_geoprivacy(angler):
    html = client_for(angler).get("/sightings/new/").content.decode()
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert 'name="photo_gallery"' in html
    assert 'type="datetime-local"' in html
    assert "others see only a random point" in html
    assert 'data-api-url="/api/v1/sightings/"' in html
    assert "<progress" in html


def test_plain_form_post_stores_the_catch_with_the_browser_offset(angler):
    response = form_post(client_for(angler), length="31.5", notes="at dawn", geoprivacy="private")
    sighting = Sighting.objects.get(owner=angler)
    assert response.status_code == 302 and response["Location"] == f"/sightings/{sighting.pk}/"
    # 08:30 at UTC-4 is 12:30 UTC.
    assert sighting.observed_at == factories.aware(2026, 6, 1, 12, 30)
    assert true_point(sighting) == (LATITUDE, LONGITUDE)
    assert float(sighting.length_cm) == 31.5
    assert sighting.notes == "at dawn" and sighting.geoprivacy == "private"


def test_the_time_starts_blank_so_that_the_photo_gives_it(angler):
    html = client_for(angler).get("/sightings/new/").content.decode()
    field = html[html.index('id="id_observed_at"') - 200 : html.index('id="id_observed_at"') + 200]
    assert "value=" not in field.split("<input", 1)[-1].split(">", 1)[0]
    assert "time the photo was taken" in html


def test_a_blank_time_is_the_photos_own(angler):
    taken = factories.exif_with_gps(
        latitude=LATITUDE, longitude=LONGITUDE, taken_at=datetime(2026, 6, 14, 19, 5)
    )
    photo = photo_file(factories.photo_bytes(size=(320, 240), exif=taken))
    response = form_post(client_for(angler), photo=photo, observed_at="", utc_offset_minutes="")
    assert response.status_code == 302, field_error(response, "observed_at")
    sighting = Sighting.objects.get(owner=angler)
    assert sighting.observed_at.date() == date(2026, 6, 14)  # not today, as a pre-filled "now" made it


def test_a_blank_time_and_a_photo_without_one_ask_for_the_time(angler):
    response = form_post(client_for(angler), observed_at="", utc_offset_minutes="")
    assert response.status_code == 400
    assert "carries no capture time" in field_error(response, "observed_at")
    assert not Sighting.objects.filter(owner=angler).exists()


def test_a_gallery_photo_is_taken_too(angler):
    response = form_post(client_for(angler), photo=None, photo_gallery=photo_file())
    assert response.status_code == 302
    assert Sighting.objects.filter(owner=angler).count() == 1


def test_a_missing_photo_is_named_next_to_the_photo(angler):
    response = form_post(client_for(angler), photo=None)
    assert response.status_code == 400
    assert "Take a photo or choose one" in field_error(response, "photo")
    assert not Sighting.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"latitude": "200"}, "latitude", "less than or equal to 90"),
        ({"longitude": "east"}, "longitude", "Enter a number"),
        ({"length": "-3"}, "length", "between 0.1 and 2000.0 cm"),
        ({"length": "800", "length_unit": "in"}, "length", "between 0.1 and 787.4 inches"),
        ({"photo": photo_file(b"not an image at all", "catch.jpg")}, "photo", ""),
        ({"latitude": "", "longitude": ""}, "latitude", "no GPS position"),
        ({"longitude": ""}, "longitude", "both latitude and longitude"),
        ({"observed_at": "2999-01-01T10:00"}, "observed_at", "future"),
        ({"geoprivacy": "everyone"}, "geoprivacy", "valid choice"),
    ],
)
def test_each_rejected_field_is_explained_next_to_it(angler, fields, field, words):
    response = form_post(client_for(angler), **fields)
    assert response.status_code == 400
    message = field_error(response, field)
    assert message and words in message
    assert not Sighting.objects.exists()


def test_a_photo_too_small_to_show_a_catch_is_refused_by_the_service(angler):
    response = form_post(client_for(angler), photo=photo_file(factories.photo_bytes(size=(8, 8))))
    assert response.status_code == 400
    assert field_error(response, "photo")


# --- The result page --------------------------------------------------------------------------


def test_result_page_shows_species_confidence_rules_and_the_invasive_warning(
    angler, color_model, eager_tasks, bass_invasive_here, make_sighting
):
    sighting = make_sighting(angler)
    html = client_for(angler).get(f"/sightings/{sighting.pk}/").content.decode()
    assert 'data-status="classified"' in html
    assert "Largemouth bass" in html and "Micropterus salmoides" in html
    assert "Walleye" in html  # the runner-up
    assert "100%" in html
    assert 'role="alert"' in html and INVASIVE_ACTION in html
    assert "Largemouth bass in Test Lake: invasive" in html  # the rule in plain words
    assert signed_photo(html)


def test_result_page_says_when_no_rules_are_known(angler, color_model, eager_tasks, make_sighting):
    sighting = make_sighting(angler)
    html = client_for(angler).get(f"/sightings/{sighting.pk}/").content.decode()
    assert "No rules known for this place." in html
    assert 'role="alert"' not in html


def test_result_page_says_not_a_fish(angler, color_model, eager_tasks, make_sighting):
    sighting = make_sighting(angler, color=factories.BLUE)
    assert sighting.status == Sighting.Status.REJECTED
    html = client_for(angler).get(f"/sightings/{sighting.pk}/").content.decode()
    assert "Not a fish" in html
    assert "Name the species" in html


def test_a_pending_result_is_followed_through_its_panel(angler, color_model, make_sighting, monkeypatch):
    from sightings.services import submission

    monkeypatch.setattr(submission, "sighting_enqueue_work", lambda *, sighting_id: None)
    sighting = make_sighting(angler)  # a classifier is installed, but the work is not queued: pending
    client = client_for(angler)
    page = client.get(f"/sightings/{sighting.pk}/").content.decode()
    assert "Identifying your catch" in page and 'http-equiv="refresh"' in page
    assert 'data-follow="false"' not in page
    panel = client.get(f"/sightings/{sighting.pk}/panel/")
    assert panel.status_code == 200 and panel["Cache-Control"] == "no-store"
    assert panel.content.decode().lstrip().startswith('<section id="result"')


def test_without_a_classifier_the_angler_learns_a_moderator_will_identify_and_may_name_it(
    angler, color_species, make_sighting
):
    sighting = make_sighting(angler)  # no active model version in its project
    client = client_for(angler)
    page = client.get(f"/sightings/{sighting.pk}/").content.decode()
    assert "A moderator will identify your catch" in page
    assert "Identifying your catch" not in page and "usually takes a few seconds" not in page
    assert 'http-equiv="refresh"' not in page and 'data-follow="false"' in page
    assert "Name the species" in page
    walleye = color_species["sander_vitreus"]
    response = client.post(f"/sightings/{sighting.pk}/identify/", {"action": "name", "species": walleye.pk})
    assert response.status_code == 302
    sighting.refresh_from_db()
    assert sighting.species == walleye


def test_yes_is_not_offered_once_the_angler_named_another_species(
    angler, color_model, color_species, eager_tasks, make_sighting
):
    sighting = make_sighting(angler)
    client = client_for(angler)
    assert "Yes, it is a Largemouth bass" in client.get(f"/sightings/{sighting.pk}/").content.decode()
    walleye = color_species["sander_vitreus"]
    client.post(f"/sightings/{sighting.pk}/identify/", {"action": "name", "species": walleye.pk})
    page = client.get(f"/sightings/{sighting.pk}/").content.decode()
    assert "Yes, it is a" not in page
    assert "Name the species" in page or "another species" in page


@pytest.mark.parametrize("suffix", ["", "panel/"])
def test_others_cannot_see_an_anglers_result(angler, other_angler, make_sighting, suffix):
    sighting = make_sighting(angler)
    assert client_for(other_angler).get(f"/sightings/{sighting.pk}/{suffix}").status_code == 404


def test_moderators_may_open_any_result(angler, moderator, make_sighting):
    sighting = make_sighting(angler)
    assert client_for(moderator).get(f"/sightings/{sighting.pk}/").status_code == 200


def test_the_angler_confirms_the_suggestion(angler, color_model, eager_tasks, make_sighting):
    sighting = make_sighting(angler)
    response = client_for(angler).post(f"/sightings/{sighting.pk}/identify/", {"action": "confirm"})
    assert response.status_code == 302
    identification = Identification.objects.get(sighting=sighting, source=Identification.Source.OWNER)
    assert identification.from_suggestion
    assert identification.species.scientific_name == "Micropterus salmoides"


def test_the_angler_names_another_species(angler, color_model, color_species, eager_tasks, make_sighting):
    sighting = make_sighting(angler)
    walleye = color_species["sander_vitreus"]
    client = client_for(angler)
    response = client.post(f"/sightings/{sighting.pk}/identify/", {"action": "name", "species": walleye.pk})
    assert response.status_code == 302
    sighting.refresh_from_db()
    assert sighting.species == walleye
    assert "recorded as Walleye" in client.get(response["Location"]).content.decode()


def test_naming_needs_a_species(angler, make_sighting):
    sighting = make_sighting(angler)
    client = client_for(angler)
    response = client.post(f"/sightings/{sighting.pk}/identify/", {"action": "name"}, follow=True)
    assert "Choose the species you caught." in response.content.decode()
    assert not Identification.objects.filter(sighting=sighting).exclude(source="machine").exists()


def test_others_cannot_identify_an_anglers_catch(angler, other_angler, color_species, make_sighting):
    sighting = make_sighting(angler)
    response = client_for(other_angler).post(
        f"/sightings/{sighting.pk}/identify/",
        {"action": "name", "species": color_species["sander_vitreus"].pk},
    )
    assert response.status_code == 404


# --- Lists, map and species -------------------------------------------------------------------


def test_my_catches_lists_only_mine_newest_first(angler, other_angler, make_sighting):
    older = make_sighting(angler, notes="first")
    newer = make_sighting(angler, notes="second")
    theirs = make_sighting(other_angler)
    html = client_for(angler).get("/sightings/").content.decode()
    assert html.index(str(newer.pk)) < html.index(str(older.pk))
    assert str(theirs.pk) not in html


def test_my_catches_rows_tell_catches_apart(angler, color_model, eager_tasks, make_sighting):
    make_sighting(angler, observed_at=factories.aware(2026, 6, 1, 8, 30), length_cm=31.5)
    make_sighting(angler, observed_at=factories.aware(2026, 6, 2, 19, 5), latitude=41.6, longitude=-81.4)
    html = client_for(angler).get("/sightings/").content.decode()
    assert "1 Jun 2026, 08:30" in html and "2 Jun 2026, 19:05" in html
    assert f"{LATITUDE:.3f}, {LONGITUDE:.3f}" in html and "41.600, -81.400" in html
    assert "31.5 cm" in html
    # A thumbnail of each: the EXIF-free public copy, never the original.
    assert html.count('class="thumb"') == 2 and signed_photo(html)
    assert "originals/" not in html


def test_plain_words_for_geoprivacy_and_quality(angler, color_model, eager_tasks, make_sighting):
    sighting = make_sighting(angler)
    html = client_for(angler).get(f"/sightings/{sighting.pk}/").content.decode()
    assert "about 20 km" in html and "0.2 degree" not in html
    assert "Quality grade: needs an identification" in html


def test_map_points_never_reveal_others_true_places(angler, other_angler, make_sighting):
    places = {
        "open": (41.51234, -81.71234),
        "obscured": (41.52345, -81.72345),
        "private": (41.53456, -81.73456),
    }
    sightings = {
        geoprivacy: make_sighting(angler, latitude=lat, longitude=lon, geoprivacy=geoprivacy)
        for geoprivacy, (lat, lon) in places.items()
    }

    for viewer in (other_angler, None):
        response = client_for(viewer).get("/map/points.json")
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        body = response.content.decode()
        points = json.loads(body)["points"]
        assert len(points) == 2  # the private one has no place for others
        for hidden in ("obscured", "private"):
            lat, lon = places[hidden]
            assert str(lat) not in body and str(lon) not in body
        exact = [(p["latitude"], p["longitude"]) for p in points if not p["obscured"]]
        assert exact == [places["open"]]
        [obscured] = [p for p in points if p["obscured"]]
        lat, lon = places["obscured"]
        expected = obscured_point(latitude=lat, longitude=lon, seed=str(sightings["obscured"].pk))
        assert (obscured["latitude"], obscured["longitude"]) == expected
        assert all(not p["own"] and p["sighting_id"] is None for p in points)

    mine = json.loads(client_for(angler).get("/map/points.json").content)["points"]
    assert sorted((p["latitude"], p["longitude"]) for p in mine) == sorted(places.values())
    assert all(p["own"] and not p["obscured"] for p in mine)


def test_map_page_and_region_outlines_are_public(bass_invasive_here):
    client = Client()
    assert client.get("/map/").status_code == 200
    outlines = client.get("/map/regions.geojson").json()
    [feature] = outlines["features"]
    assert feature["properties"]["name"] == "Test Lake"
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_species_page_shows_counts_and_public_photos(
    angler, color_model, color_species, eager_tasks, make_sighting
):
    make_sighting(angler)
    make_sighting(angler, observed_at=timezone.now() - timedelta(days=1))
    bass = color_species["micropterus_salmoides"]
    html = Client().get(f"/species/{bass.pk}/").content.decode()
    assert "Largemouth bass" in html
    assert '<dd id="count-total">2</dd>' in html
    assert html.count('<figure><img src="') == 2
    assert signed_photo(html)


def test_unknown_species_is_404():
    assert Client().get("/species/999999/").status_code == 404
