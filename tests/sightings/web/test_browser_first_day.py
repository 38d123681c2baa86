"""What an angler, a researcher and a moderator meet on their first day, on a phone (360 x 740 in
Chromium): one test per stumbling block of issue 19, each with its screenshots in
test-artifacts/screenshots/first-day-*.png."""

import csv
import json
import re
import urllib.error
import urllib.request

import pytest
from django.contrib.auth.models import User
from django.core import mail

from sightings.models import Sighting
from sightings.services.identifications import identification_set_species
from tests import factories

from .browsing import UUID, expect, fits_the_width, screenshot
from .test_accounts import RESET_LINK

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "x-test-password-1"  # tests.factories.make_user's


def log_in(page, username, password=PASSWORD):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def settled(page, name, errors):
    """Every first-day page: fits the phone, no script or CSP error, a screenshot kept."""
    assert fits_the_width(page), f"{name} is wider than the phone"
    screenshot(page, f"first-day-{name}")
    assert errors == []


def test_without_a_classifier_the_angler_is_told_a_moderator_will_identify_it_and_names_it(
    phone, angler, bass_invasive_here, make_sighting
):
    page, errors = phone
    sighting = make_sighting(angler)
    log_in(page, "angler")
    page.goto(f"/sightings/{sighting.pk}/")
    expect()(page.locator("#awaits-moderator")).to_contain_text("A moderator will identify your catch")
    assert page.locator(".spinner").count() == 0, "no endless 'a few seconds'"
    settled(page, "01-no-classifier", errors)
    page.get_by_label("Name the species").select_option(label="Largemouth bass (Micropterus salmoides)")
    page.get_by_role("button", name="Save this species").click()
    page.get_by_text("Thank you: recorded as Largemouth bass").wait_for()
    expect()(page.get_by_role("alert")).to_contain_text("invasive")
    settled(page, "02-named-by-the-angler", errors)


def test_a_researcher_downloads_a_csv_and_makes_and_replaces_an_api_token(
    phone, web, researcher, angler, color_model, eager_tasks, make_sighting
):
    page, errors = phone
    make_sighting(angler)
    log_in(page, "researcher")
    page.get_by_role("link", name="Export data").click()
    page.get_by_label("Format").select_option(label="CSV")
    page.get_by_label("Quality grade").select_option(label="any grade")  # the catch is not verified yet
    settled(page, "03-export-page", errors)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    with open(download.value.path(), encoding="utf-8") as downloaded:
        rows = list(csv.DictReader(downloaded))
    assert len(rows) == 1 and rows[0]["scientific_name"] == "Micropterus salmoides"

    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="API token").click()
    page.get_by_role("button", name="Create my token").click()
    first = page.input_value("#api-token")
    assert api_status(web.url, first) == 200
    page.get_by_role("button", name=re.compile("Replace my token")).click()
    page.get_by_text("The one you had before no longer works").wait_for()
    second = page.input_value("#api-token")
    assert second != first
    assert (api_status(web.url, first), api_status(web.url, second)) == (401, 200)
    settled(page, "04-api-token", errors)


def api_status(base_url, token):
    request = urllib.request.Request(
        f"{base_url}/api/v1/sightings/", headers={"Authorization": f"Token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_result_page_flags_an_unlikely_species_drops_yes_once_named_and_speaks_inches(
    phone, angler, color_model, eager_tasks, bass_rules_in_inches, make_sighting
):
    page, errors = phone
    sighting = make_sighting(angler, color=factories.GREEN, length_cm=35.6)  # classified as walleye
    log_in(page, "angler")
    page.goto(f"/sightings/{sighting.pk}/")
    expect()(page.locator("#unexpected-suggestion")).to_have_text(
        "Walleye is not recorded in Test State: check the photo before you say yes."
    )
    assert page.get_by_role("button", name="Yes, it is a Walleye").is_visible()
    settled(page, "05-unlikely-species", errors)

    page.get_by_label("No, it is another species").select_option(
        label="Largemouth bass (Micropterus salmoides)"
    )
    page.get_by_role("button", name="Save this species").click()
    page.get_by_text("Thank you: recorded as Largemouth bass").wait_for()
    assert page.get_by_role("button", name=re.compile("Yes, it is")).count() == 0
    assert "Minimum length\n14 in (35.56 cm)" in page.locator("#rules").inner_text()
    expect()(page.locator("#catch-length")).to_have_text("14 in (35.6 cm)")
    expect()(page.locator(".grade")).to_have_text("Quality grade: needs an identification")
    settled(page, "06-named-in-inches", errors)


def test_the_catch_form_takes_the_unit_of_the_place_and_has_a_basemap(phone, angler, bass_rules_in_inches):
    page, errors = phone
    log_in(page, "angler")
    page.goto("/sightings/new/")
    page.locator("#submit-map[data-basemap]").wait_for(state="attached")
    assert int(page.locator("#submit-map").get_attribute("data-basemap")) > 100  # the countries
    assert page.get_by_label("Unit").input_value() == "cm"
    page.get_by_role("button", name="Use my location").click()
    expect()(page.locator("#length-unit-hint")).to_have_text("The rules there are in inches.")
    assert page.get_by_label("Unit").input_value() == "in"
    assert "about 20 km" in page.locator("#submit-form").inner_text()
    settled(page, "07-catch-form-inches", errors)


def test_my_catches_show_photo_time_and_place_and_the_map_says_what_it_leaves_out(
    phone, angler, color_model, eager_tasks, make_sighting
):
    page, errors = phone
    make_sighting(angler, color=factories.RED)
    make_sighting(angler, color=factories.BLUE)  # no known species: rejected
    log_in(page, "angler")
    page.goto("/sightings/")
    rows = page.locator(".catches li")
    expect()(rows).to_have_count(2)
    for index in range(2):
        row = rows.nth(index)
        assert row.locator("img.thumb").evaluate("image => image.complete && image.naturalWidth > 0")
        # 08:30 UTC in the phone's time zone (New York), and the exact place (the angler's own).
        assert re.search(r"Jun 1, 2026, 4:30 AM · 41\.500, -81\.700", row.inner_text())
    settled(page, "08-my-catches", errors)

    page.get_by_role("link", name="Map").click()
    page.locator("#sightings-map[data-loaded='1']").wait_for()
    assert int(page.locator("#sightings-map").get_attribute("data-basemap")) > 100
    expect()(page.locator("#map-status")).to_have_text(
        "1 catch shown. Not on the map: your 1 photo the classifier found no known species in"
        " (see My catches)."
    )
    settled(page, "09-map-basemap", errors)


def test_an_angler_changes_and_deletes_a_catch_on_the_phone(
    phone, angler, color_model, eager_tasks, make_sighting
):
    page, errors = phone
    sighting = make_sighting(angler)
    log_in(page, "angler")
    page.goto(f"/sightings/{sighting.pk}/")
    page.get_by_role("link", name="Change details").click()
    page.get_by_label("Length", exact=True).fill("41.5")
    page.get_by_label("Notes").fill("released at once")
    settled(page, "10-change-catch", errors)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    expect()(page.locator("#catch-length")).to_have_text("41.5 cm")
    page.get_by_role("link", name="Change details").click()
    page.get_by_role("link", name="Delete this catch").click()
    settled(page, "11-delete-catch", errors)
    page.get_by_role("button", name="Delete it").click()
    page.get_by_text("No catches yet.").wait_for()
    assert not Sighting.objects.filter(pk=sighting.pk).exists()


def test_a_new_angler_resets_a_forgotten_password_then_deletes_the_account(
    phone, color_model, eager_tasks, make_sighting
):
    page, errors = phone
    page.goto("/signup/")
    page.get_by_label("Username").fill("forgetful")
    page.get_by_label("E-mail address (optional)").fill("forgetful@example.org")
    page.get_by_label("Password", exact=True).fill("first-long-password-1")
    page.get_by_label("Password confirmation").fill("first-long-password-1")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/sightings/new/")
    make_sighting(User.objects.get(username="forgetful"))
    page.get_by_role("button", name=re.compile("Log out")).click()

    page.goto("/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("forgetful@example.org")
    page.get_by_role("button", name="Send me the link").click()
    page.locator("#reset-sent").wait_for()
    settled(page, "12-reset-sent", errors)
    assert len(mail.outbox) == 1
    page.goto(RESET_LINK.search(mail.outbox[0].body).group(1))
    page.get_by_label("New password", exact=True).fill("second-long-password-2")
    page.get_by_label("New password confirmation").fill("second-long-password-2")
    settled(page, "13-new-password", errors)
    page.get_by_role("button", name="Save my new password").click()
    page.get_by_text("Your new password is set.").wait_for()
    log_in(page, "forgetful", "second-long-password-2")

    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name=re.compile("Delete my account")).click()
    expect()(page.locator("main")).to_contain_text("your 1 catch, their photos and their history")
    page.get_by_label("Your password").fill("second-long-password-2")
    settled(page, "14-delete-account", errors)
    page.get_by_role("button", name="Delete my account and all my data").click()
    page.get_by_text("Your account, your catches and their photos are deleted.").wait_for()
    assert not User.objects.filter(username="forgetful").exists() and not Sighting.objects.exists()


def test_the_moderation_history_marks_each_authors_latest_on_a_phone(
    phone, angler, moderator, color_model, eager_tasks, color_species, make_sighting
):
    page, errors = phone
    sighting = make_sighting(angler)
    identification_set_species(sighting=sighting, species=color_species["sander_vitreus"], user=moderator)
    identification_set_species(
        sighting=sighting, species=color_species["micropterus_salmoides"], user=moderator
    )
    page.goto("/admin/login/")
    page.fill("#id_username", "moderator")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    page.goto(f"/admin/sightings/sighting/{sighting.pk}/change/")
    history = page.locator("#identifications-group")
    history.wait_for()
    text = history.inner_text().lower()
    assert "latest by its author" in text and "is current" not in text
    rows = history.locator("tbody tr.has_original, tbody tr:has(td)")
    latest = [
        row.locator("td.field-is_current img").get_attribute("alt")
        for row in rows.all()
        if row.locator("td.field-is_current img").count()
    ]
    # The machine's answer and the moderator's second: one latest per author, the first superseded.
    assert sorted(latest) == ["False", "True", "True"], latest
    screenshot(page, "first-day-15-moderation-history")
    assert json.dumps(errors) == "[]"
    assert re.fullmatch(UUID, str(sighting.pk))
