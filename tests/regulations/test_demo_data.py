import io
from datetime import date

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command

from regulations.models import Region, Regulation, Season, Species
from regulations.selectors import region_containing, regulations_for, species_is_sensitive

pytestmark = pytest.mark.django_db

CLEVELAND = Point(x=-81.69, y=41.50, srid=4326)
OFF_CLEVELAND = Point(x=-81.7, y=41.6, srid=4326)
COLUMBUS = Point(x=-83.0, y=39.96, srid=4326)
SPOKANE_AREA = Point(x=-117.9, y=47.9, srid=4326)


def species(name):
    return Species.objects.get(scientific_name=name)


def test_coordinate_order_longitude_then_latitude(demo):
    assert region_containing(point=CLEVELAND).code == "us-oh"
    assert region_containing(point=Point(x=41.50, y=-81.69, srid=4326)) is None


def test_lake_erie_off_cleveland_most_specific_first(demo):
    result = regulations_for(
        point=OFF_CLEVELAND, species=species("Neogobius melanostomus"), on_date=date(2025, 7, 1)
    )
    assert [r.code for r in result.regions] == ["us-oh-lake-erie", "lake-erie", "us-oh"]
    assert result.warnings[0] == {
        "kind": "invasive",
        "message": "Round goby is invasive in Ohio waters of Lake Erie: "
        "do not release it alive or move it to other waters; kill it.",
    }
    assert result.rules[0].source_url.startswith("https://")


def test_lake_erie_bass_rules_replace_the_statewide_ones(demo):
    bass = species("Micropterus dolomieu")
    nesting = regulations_for(point=OFF_CLEVELAND, species=bass, on_date=date(2025, 6, 1), length_cm=40)
    assert [r.region_code for r in nesting.rules] == ["us-oh-lake-erie"]
    assert nesting.rules[0].daily_bag_limit == 1 and [w["kind"] for w in nesting.warnings] == ["undersize"]
    summer = regulations_for(point=OFF_CLEVELAND, species=bass, on_date=date(2025, 7, 1), length_cm=40)
    assert summer.rules[0].daily_bag_limit == 5 and summer.warnings == []
    inland = regulations_for(point=COLUMBUS, species=bass, on_date=date(2025, 7, 1), length_cm=32)
    assert [r.region_code for r in inland.rules] == ["us-oh"] and inland.warnings == []


def test_pike_native_in_ohio_invasive_in_washington(demo):
    pike = species("Esox lucius")
    assert regulations_for(point=COLUMBUS, species=pike, on_date=date(2025, 7, 1)).warnings == []
    washington = regulations_for(point=SPOKANE_AREA, species=pike, on_date=date(2025, 7, 1))
    assert [w["kind"] for w in washington.warnings] == ["invasive"]


def test_sturgeon_protected_and_sensitive(demo):
    result = regulations_for(point=OFF_CLEVELAND, species=species("Acipenseridae"), on_date=date(2025, 7, 1))
    assert [w["kind"] for w in result.warnings] == ["protected"]
    assert species_is_sensitive(species=species("Acipenser fulvescens"), point=COLUMBUS)


def test_demo_load_is_idempotent(demo):
    counts = [
        Species.objects.count(),
        Region.objects.count(),
        Regulation.objects.count(),
        Season.objects.count(),
    ]
    call_command("import_regulations", "--demo", stdout=io.StringIO())
    assert [
        Species.objects.count(),
        Region.objects.count(),
        Regulation.objects.count(),
        Season.objects.count(),
    ] == counts
    assert counts[1] == 4 and counts[2] >= 15


def test_demo_regions_know_their_country_except_the_shared_lake(demo):
    codes = dict(Region.objects.values_list("code", "country_code"))
    assert codes == {"us-oh": "US", "us-wa": "US", "lake-erie": "", "us-oh-lake-erie": "US"}
