"""The classifier's answers checked against the species known where the catch is shown."""

from django.contrib.gis.geos import Point

from regulations.models import Species
from regulations.selectors import species_known_at
from sightings.models import Sighting
from tests import factories

from .conftest import LATITUDE, LONGITUDE
from .test_views import client_for


def test_a_suggestion_nothing_records_in_the_region_is_flagged_before_yes(
    angler, color_model, eager_tasks, bass_invasive_here, make_sighting
):
    """Test Lake's rules name the largemouth bass only: a walleye there is worth a second look."""
    sighting = make_sighting(angler, color=factories.GREEN)
    html = client_for(angler).get(f"/sightings/{sighting.pk}/").content.decode()
    assert "Yes, it is a Walleye" in html
    assert 'id="unexpected-suggestion"' in html
    assert "Walleye is not recorded in Test Lake: check the photo before you say yes." in html
    assert html.count('class="unexpected"') == 1  # the walleye row; the bass is known there


def test_a_suggestion_known_in_the_region_is_not_flagged(
    angler, color_model, eager_tasks, bass_invasive_here, make_sighting
):
    sighting = make_sighting(angler, color=factories.RED)
    html = client_for(angler).get(f"/sightings/{sighting.pk}/").content.decode()
    assert "Yes, it is a Largemouth bass" in html
    assert "unexpected-suggestion" not in html and "not recorded in" not in html.split("Walleye")[0]


def test_a_verified_record_shown_exactly_in_the_region_makes_the_species_known(
    angler, other_angler, color_model, eager_tasks, bass_invasive_here, color_species, make_sighting
):
    """Only a record everyone may see at its exact place counts: an obscured one must not tell that
    it lies in a region smaller than its cell."""
    earlier = make_sighting(other_angler, color=factories.GREEN)
    Sighting.objects.filter(pk=earlier.pk).update(
        species=color_species["sander_vitreus"], quality_grade=Sighting.QualityGrade.VERIFIED
    )
    sighting = make_sighting(angler, color=factories.GREEN)
    client = client_for(angler)
    assert "Walleye is not recorded in Test Lake" in client.get(f"/sightings/{sighting.pk}/").content.decode()
    Sighting.objects.filter(pk=earlier.pk).update(geoprivacy=Sighting.Geoprivacy.OPEN)
    html = client.get(f"/sightings/{sighting.pk}/").content.decode()
    assert "Yes, it is a Walleye" in html and "not recorded in" not in html


def test_outside_every_region_nothing_is_flagged(angler, color_model, eager_tasks, make_sighting):
    sighting = make_sighting(angler, color=factories.GREEN)
    html = client_for(angler).get(f"/sightings/{sighting.pk}/").content.decode()
    assert "Yes, it is a Walleye" in html and "not recorded in" not in html


def test_a_named_species_makes_its_genus_known_and_a_named_genus_its_species(bass_invasive_here, db):
    genus = Species.objects.create(scientific_name="Micropterus", rank=Species.Rank.GENUS)
    smallmouth = Species.objects.create(scientific_name="Micropterus dolomieu", common_name="Smallmouth")
    point = Point(LONGITUDE, LATITUDE, srid=4326)
    known = species_known_at(point=point)
    assert known is not None and known.region == "Test Lake"
    assert genus.pk in known.species_ids and smallmouth.pk not in known.species_ids
    bass_invasive_here.species.set([genus])
    assert smallmouth.pk in species_known_at(point=point).species_ids
    assert species_known_at(point=Point(10.0, 50.0, srid=4326)) is None
