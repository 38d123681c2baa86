"""Lengths in the unit of the place: typed in inches or cm, shown as the rules there are written."""

from datetime import date
from decimal import Decimal

from django.contrib.gis.geos import Point

from regulations.models import Regulation
from regulations.selectors import regulations_for
from sightings.models import Sighting
from sightings.web.lengths import CM, IN, length_in_unit, length_shown, place_length_unit

from .conftest import LATITUDE, LONGITUDE
from .test_views import client_for, form_post


def test_a_length_typed_in_inches_is_stored_in_centimetres(angler):
    response = form_post(client_for(angler), length="14", length_unit="in")
    assert response.status_code == 302
    assert Sighting.objects.get(owner=angler).length_cm == Decimal("35.6")


def test_a_length_out_of_bounds_is_refused_in_the_unit_typed(angler):
    html = form_post(client_for(angler), length="0", length_unit="in").content.decode()
    assert "Give a length between 0.1 and 787.4 inches." in html
    assert not Sighting.objects.exists()


def test_the_result_shows_the_rule_and_the_catch_in_the_rules_unit(
    angler, color_model, eager_tasks, bass_rules_in_inches, make_sighting
):
    sighting = make_sighting(angler, length_cm=Decimal("35.6"))
    html = client_for(angler).get(f"/sightings/{sighting.pk}/").content.decode()
    assert "<dt>Minimum length</dt><dd>14 in (35.56 cm)</dd>" in html
    assert '<dd id="catch-length">14 in (35.6 cm)</dd>' in html


def test_the_result_keeps_centimetres_where_the_rules_are_in_cm(
    angler, color_model, eager_tasks, bass_invasive_here, make_sighting
):
    sighting = make_sighting(angler, length_cm=Decimal("35.6"))
    html = client_for(angler).get(f"/sightings/{sighting.pk}/").content.decode()
    assert '<dd id="catch-length">35.6 cm</dd>' in html


def test_the_edit_form_offers_the_length_in_the_place_unit_and_saves_centimetres(
    angler, color_model, eager_tasks, bass_rules_in_inches, make_sighting
):
    sighting = make_sighting(angler, length_cm=Decimal("35.6"))
    client = client_for(angler)
    html = client.get(f"/sightings/{sighting.pk}/edit/").content.decode()
    assert 'value="14.0"' in html and '<option value="in" selected>' in html
    response = client.post(
        f"/sightings/{sighting.pk}/edit/",
        {"length": "15", "length_unit": "in", "notes": "", "geoprivacy": "obscured", "license": "cc-by-nc"},
    )
    assert response.status_code == 302
    sighting.refresh_from_db()
    assert sighting.length_cm == Decimal("38.1")


def test_the_unit_of_a_place_is_that_of_most_of_its_regulations_whatever_the_species(
    bass_rules_in_inches, bass_invasive_here, color_species
):
    """The state's rule is in inches, the lake's in cm: one each, so cm; a second inch rule tips it."""
    assert place_length_unit(None) == CM
    where = {"point": Point(LONGITUDE, LATITUDE, srid=4326), "on_date": date(2026, 6, 1)}
    assert regulations_for(species=None, **where).length_unit == CM
    Regulation.objects.create(
        region=bass_rules_in_inches.region,
        code="walleye",
        length_unit=Regulation.LengthUnit.IN,
        source_url="https://example.org/state-rules",
        last_checked=date(2026, 1, 15),
    )
    answer = regulations_for(species=color_species["sander_vitreus"], **where).as_dict()
    assert answer["rules"] == [] and place_length_unit(answer) == IN
    assert length_in_unit(Decimal("35.56"), IN) == Decimal("14.0")
    assert length_shown(30, CM) == "30 cm"


def test_saving_the_edit_form_untouched_keeps_the_centimetres(
    angler, color_model, eager_tasks, bass_rules_in_inches, make_sighting
):
    """100 cm shows as 39.4 in, which would read back as 100.1 cm."""
    sighting = make_sighting(angler, length_cm=Decimal("100.0"))
    client = client_for(angler)
    assert 'value="39.4"' in client.get(f"/sightings/{sighting.pk}/edit/").content.decode()
    response = client.post(
        f"/sightings/{sighting.pk}/edit/",
        {
            "length": "39.4",
            "length_unit": "in",
            "notes": "kept",
            "geoprivacy": "obscured",
            "license": "cc-by-nc",
        },
    )
    assert response.status_code == 302
    sighting.refresh_from_db()
    assert (sighting.length_cm, sighting.notes) == (Decimal("100.0"), "kept")
