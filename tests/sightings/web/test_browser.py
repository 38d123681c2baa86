"""The angler's whole flow in a real browser: Debian's Chromium driven by Playwright, at 360 x 740.

Sign up, pick a photo, take the (mocked) geolocation, upload with the progress bar, watch the
result page follow the classification, see species, rules and the invasive warning, confirm the
species, and find the catch on the map. A screenshot of each step goes to test-artifacts/screenshots/.
"""

import io
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PIL import Image

from sightings.models import Sighting
from sightings.services import submission

from .browsing import UUID, expect, fits_the_width, screenshot
from .conftest import INVASIVE_ACTION, LATITUDE, LONGITUDE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


PHOTO_TAKEN = datetime(2026, 6, 14, 6, 45)


def red_jpeg():
    """A noisy red photo of a few hundred KB, so that the upload takes a moment, taken at PHOTO_TAKEN
    (EXIF DateTimeOriginal, as a phone camera writes it)."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 60, size=(1200, 1600, 3), dtype=np.uint8)
    pixels[..., 0] = rng.integers(170, 255, size=(1200, 1600), dtype=np.uint8)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = PHOTO_TAKEN.strftime("%Y:%m:%d %H:%M:%S")
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def test_an_angler_submits_a_catch_from_a_phone_and_sees_species_rules_warning_and_map(
    phone, color_model, eager_tasks, bass_invasive_here, monkeypatch
):
    page, errors = phone
    # Hold the classification back until the result page shows "pending", to see it follow.
    held, enqueue_work = [], submission.sighting_enqueue_work
    monkeypatch.setattr(submission, "sighting_enqueue_work", lambda *, sighting_id: held.append(sighting_id))

    # Sign up.
    page.goto("/signup/")
    screenshot(page, "01-sign-up")
    page.get_by_label("Username").fill("phone-angler")
    page.get_by_label("Password", exact=True).fill("walleye-at-dawn-42")
    page.get_by_label("Password confirmation").fill("walleye-at-dawn-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/sightings/new/")
    assert page.get_by_text("Welcome, phone-angler!").is_visible()
    screenshot(page, "02-catch-form")
    assert fits_the_width(page)

    # The photo, the place from the (mocked) geolocation, a length.
    photo = {"name": "catch.jpg", "mimeType": "image/jpeg", "buffer": red_jpeg()}
    page.set_input_files("#id_photo", files=[photo])
    assert page.locator("#photo-preview").is_visible()
    page.get_by_role("button", name="Use my location").click()
    # A locator assertion, not wait_for_function: the page's CSP forbids the eval that polling uses.
    expect()(page.locator("#id_latitude")).not_to_have_value("", timeout=10_000)
    assert float(page.input_value("#id_latitude")) == LATITUDE
    assert float(page.input_value("#id_longitude")) == LONGITUDE
    assert page.input_value("#id_location_accuracy_m") == "12"
    assert page.locator("#submit-map .pin.here").count() == 1
    assert page.input_value("#id_observed_at") == "", "blank: the photo's own time is used"
    page.get_by_label("Length", exact=True).fill("38")
    screenshot(page, "03-catch-form-filled")

    # Upload on a slow line, so that the progress bar moves.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 256 * 1024},
    )
    page.get_by_role("button", name="Send my catch").click()
    page.locator("#upload").wait_for(state="visible")
    screenshot(page, "04-uploading")
    page.wait_for_url(re.compile(rf"/sightings/{UUID}/$"), timeout=60_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )

    progress = json.loads(page.evaluate("sessionStorage.getItem('progressLog')") or "[]")
    values = [entry["value"] for entry in progress]
    assert any(entry["visible"] for entry in progress), progress
    assert values and max(values) == 100 and all(entry["max"] == 100 for entry in progress), progress
    assert any(0 < value < 100 for value in values), f"no intermediate progress: {values}"

    # The result page follows the sighting while it is pending ...
    sighting = Sighting.objects.get(owner__username="phone-angler")
    assert held == [sighting.pk]
    assert sighting.location.y == LATITUDE and sighting.location.x == LONGITUDE
    assert sighting.location_accuracy_m == 12
    assert float(sighting.length_cm) == 38
    # EXIF without an offset is the camera's local time at the place (New York's zone, UTC-4 in June).
    assert sighting.observed_at == PHOTO_TAKEN.replace(tzinfo=ZoneInfo("America/New_York"))
    assert sighting.utc_offset_minutes == -240
    page.get_by_text("Identifying your catch").wait_for()
    screenshot(page, "05-result-pending")
    enqueue_work(sighting_id=sighting.pk)

    # ... and shows the answer once classified, without a reload.
    page.locator("#result[data-status='classified']").wait_for(timeout=15_000)
    assert page.locator("#species-name").inner_text().startswith("Largemouth bass")
    alert = page.get_by_role("alert")
    assert alert.is_visible()
    assert "invasive" in alert.inner_text().lower() and INVASIVE_ACTION in alert.inner_text()
    red = page.locator(".alert").evaluate("element => getComputedStyle(element).backgroundColor")
    assert red == "rgb(163, 22, 27)"
    rules = page.locator("#rules").inner_text()
    assert "Largemouth bass in Test Lake: invasive" in rules
    assert "Walleye" in page.locator(".predictions").inner_text()
    assert page.locator(".catch-photo").evaluate("image => image.complete && image.naturalWidth > 0")
    assert fits_the_width(page)
    screenshot(page, "06-result")

    # The angler confirms the suggestion.
    page.get_by_role("button", name="Yes, it is a Largemouth bass").click()
    page.get_by_text("Thank you: recorded as Largemouth bass").wait_for()
    screenshot(page, "07-confirmed")

    # My catches, then the map with the catch at its exact place (it is the angler's own).
    page.get_by_role("link", name="My catches").first.click()
    assert page.locator(".catches li").count() == 1
    # Shown in the phone's own time zone, which here is the place's: the time the photo was taken.
    expect()(page.locator(".catches time")).to_have_text("Jun 14, 2026, 6:45 AM")
    screenshot(page, "08-my-catches")
    page.get_by_role("link", name="Map").click()
    page.locator("#sightings-map[data-loaded='1']").wait_for()
    assert page.locator("#sightings-map .pin.own").count() == 1
    assert page.locator("#sightings-map path.leaflet-interactive, #sightings-map path").count() >= 1
    assert page.get_by_text("1 catch shown.").is_visible()
    page.locator("#sightings-map .pin.own").click()
    assert "Largemouth bass" in page.locator(".leaflet-popup-content").inner_text()
    assert fits_the_width(page)
    screenshot(page, "09-map")

    assert errors == []


def test_admin_swagger_ui_and_map_work_under_the_content_security_policy(
    desk, moderator, color_model, eager_tasks, make_sighting
):
    page, errors = desk
    sighting = make_sighting(moderator)

    # Swagger UI (drf-spectacular-sidecar, set-up script from a file) renders the schema.
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Catch and sighting platform API" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock-tag").first.wait_for()
    screenshot(page, "10-swagger-ui")

    # The admin: a real log-in through the form (django-axes counts it), the queue and a change page.
    page.goto("/admin/login/")
    page.fill("#id_username", "moderator")
    page.fill("#id_password", "x-test-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/sightings/sighting/{sighting.pk}/change/")
    page.locator("#moderation-panel").wait_for()
    columns = page.locator(".moderation-columns").evaluate("element => getComputedStyle(element).display")
    assert columns == "flex"
    screenshot(page, "11-admin-change")

    # The map (Leaflet, markercluster and our scripts from static files) draws the catch.
    page.goto("/map/")
    page.locator("#sightings-map[data-loaded='1']").wait_for()
    assert page.locator("#sightings-map .pin.own").count() == 1

    assert errors == []
