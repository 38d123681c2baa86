import json
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from regulations.models import Regulation, Season, Species
from regulations.results import NO_RULES_MESSAGE
from regulations.selectors import region_containing, regulations_for, species_is_sensitive
from tests.regulations.conftest import rule

pytestmark = pytest.mark.django_db

IN_BAY = Point(3, 3, srid=4326)
IN_WEST = Point(7, 7, srid=4326)
IN_EAST = Point(15, 5, srid=4326)
SUMMER = date(2025, 8, 1)


def kinds(result):
    return [warning["kind"] for warning in result.warnings]


def test_overlapping_regions_most_specific_first(world):
    result = regulations_for(point=IN_BAY, species=None, on_date=SUMMER)
    assert [region.code for region in result.regions] == ["west-bay", "west"]
    assert region_containing(point=IN_BAY).code == "west-bay"


def test_point_on_a_shared_border_is_in_both_regions(world):
    codes = {
        region.code
        for region in regulations_for(point=Point(10, 5, srid=4326), species=None, on_date=SUMMER).regions
    }
    assert codes == {"west", "east"}
    corner = {
        region.code
        for region in regulations_for(point=Point(2, 2, srid=4326), species=None, on_date=SUMMER).regions
    }
    assert corner == {"west", "west-bay"}


def test_point_outside_every_region_says_so(world, bass):
    rule(world["west"], "bass", bass, daily_bag_limit=5)
    result = regulations_for(point=Point(50, 50, srid=4326), species=bass, on_date=SUMMER)
    assert result.known is False
    assert result.message == NO_RULES_MESSAGE
    assert result.regions == [] and result.rules == [] and result.warnings == []
    assert result.as_dict()["message"] == "No rules known for this place."


def test_region_without_rules_is_not_known(world, bass):
    result = regulations_for(point=IN_EAST, species=bass, on_date=SUMMER)
    assert [region.code for region in result.regions] == ["east"]
    assert result.known is False and result.message == NO_RULES_MESSAGE


def test_invasive_status_is_regional(world, goby):
    rule(
        world["west"],
        "goby",
        goby,
        status=Regulation.Status.INVASIVE,
        invasive_action="do not release it alive",
    )
    rule(world["east"], "goby", goby, status=Regulation.Status.REGULATED, daily_bag_limit=20)
    west = regulations_for(point=IN_WEST, species=goby, on_date=SUMMER)
    east = regulations_for(point=IN_EAST, species=goby, on_date=SUMMER)
    assert west.warnings == [
        {"kind": "invasive", "message": "Round goby is invasive in West: do not release it alive."}
    ]
    assert [r.status for r in west.rules] == ["invasive"]
    assert east.warnings == [] and [r.status for r in east.rules] == ["regulated"]
    assert east.rules[0].daily_bag_limit == 20 and east.rules[0].harvest_allowed


def test_protected_species(world):
    sturgeon = Species.objects.create(scientific_name="Acipenser fulvescens", common_name="lake sturgeon")
    rule(world["west"], "sturgeon", sturgeon, status=Regulation.Status.PROTECTED)
    result = regulations_for(point=IN_WEST, species=sturgeon, on_date=SUMMER)
    assert kinds(result) == ["protected"]
    assert "lake sturgeon is protected in West".lower() in result.warnings[0]["message"].lower()
    assert result.rules[0].harvest_allowed is False


def test_venomous_warning_comes_from_the_species_even_without_rules(world):
    lionfish = Species.objects.create(
        scientific_name="Pterois volitans",
        common_name="red lionfish",
        venomous=True,
        danger_note="venomous spines",
    )
    snake = Species.objects.create(scientific_name="Nerodia sipedon", common_name="northern water snake")
    result = regulations_for(point=Point(50, 50, srid=4326), species=lionfish, on_date=SUMMER)
    assert result.known is False
    assert result.warnings == [{"kind": "venomous", "message": "Red lionfish is venomous: venomous spines."}]
    assert regulations_for(point=IN_WEST, species=snake, on_date=SUMMER).warnings == []


@pytest.mark.parametrize(
    "length, expected",
    [
        (Decimal("29.9"), ["undersize"]),
        (30, []),
        (Decimal("45"), ["slot"]),
        (50, ["slot"]),
        (Decimal("50.1"), []),
        (70.5, ["oversize"]),
    ],
)
def test_lengths_minimum_slot_and_maximum(world, bass, length, expected):
    rule(world["west"], "bass", bass, min_length_cm=30, max_length_cm=70, slot_min_cm=40, slot_max_cm=50)
    assert kinds(regulations_for(point=IN_WEST, species=bass, on_date=SUMMER, length_cm=length)) == expected


def test_no_length_no_length_warning(world, bass):
    rule(world["west"], "bass", bass, min_length_cm=30)
    assert regulations_for(point=IN_WEST, species=bass, on_date=SUMMER).warnings == []


def test_catch_and_release_until_the_last_saturday_of_june(world, bass):
    rule(
        world["west"],
        "bass",
        bass,
        daily_bag_limit=5,
        min_length_cm=Decimal("35.56"),
        length_unit="in",
        seasons=[
            (Season.Kind.OPEN, "01-01", "12-31"),
            (Season.Kind.CATCH_AND_RELEASE, "05-01", "last-sat-06"),
        ],
    )
    for year, last_saturday in ((2024, 29), (2025, 28), (2026, 27)):
        during = regulations_for(
            point=IN_WEST, species=bass, on_date=date(year, 6, last_saturday), length_cm=40
        )
        after = regulations_for(
            point=IN_WEST, species=bass, on_date=date(year, 6, last_saturday + 1), length_cm=40
        )
        assert kinds(during) == ["catch_and_release"], year
        assert during.rules[0].season.ends_on == date(year, 6, last_saturday)
        assert during.rules[0].harvest_allowed is False
        assert kinds(after) == [] and after.rules[0].harvest_allowed, year
    message = regulations_for(point=IN_WEST, species=bass, on_date=date(2025, 5, 20)).warnings[0]["message"]
    assert "from May 1 to the last Saturday in June (May 1, 2025 to June 28, 2025)" in message
    early = regulations_for(point=IN_WEST, species=bass, on_date=date(2025, 4, 30), length_cm=30)
    assert kinds(early) == ["undersize"] and "14 in (35.56 cm)" in early.warnings[0]["message"]
    # The catch's length in the rule's unit too, as the angler measured it.
    assert early.warnings[0]["message"].startswith("At 11.8 in (30 cm), this")


def test_closed_season_wrapping_the_year_end(world, bass):
    rule(world["west"], "bass", bass, seasons=[(Season.Kind.OPEN, "06-15", "03-14", 4)])
    assert kinds(regulations_for(point=IN_WEST, species=bass, on_date=date(2025, 4, 1))) == ["closed_season"]
    winter = regulations_for(point=IN_WEST, species=bass, on_date=date(2026, 1, 5))
    assert kinds(winter) == [] and winter.rules[0].daily_bag_limit == 4
    assert winter.rules[0].season.starts_on == date(2025, 6, 15)


def test_specific_region_rule_supersedes_the_parent_rule(world, bass):
    rule(world["west"], "bass", bass, min_length_cm=30)
    rule(world["bay"], "bass", bass, min_length_cm=35)
    in_bay = regulations_for(point=IN_BAY, species=bass, on_date=SUMMER, length_cm=32)
    assert [r.region_code for r in in_bay.rules] == ["west-bay"] and kinds(in_bay) == ["undersize"]
    assert kinds(regulations_for(point=IN_WEST, species=bass, on_date=SUMMER, length_cm=32)) == []


def test_parent_rules_for_other_species_still_apply_in_the_zone(world, bass, goby):
    rule(world["west"], "goby", goby, status="invasive", invasive_action="kill it")
    rule(world["bay"], "bass", bass)
    assert kinds(regulations_for(point=IN_BAY, species=goby, on_date=SUMMER)) == ["invasive"]


def test_genus_rule_covers_its_species_and_merged_species_resolve(world, bass):
    genus = Species.objects.create(scientific_name="Micropterus", rank="genus", common_name="black bass")
    old_name = Species.objects.create(scientific_name="Micropterus dolomieui", merged_into=bass)
    rule(world["west"], "black-bass", genus, min_length_cm=30)
    result = regulations_for(point=IN_WEST, species=old_name, on_date=SUMMER, length_cm=20)
    assert result.species.scientific_name == "Micropterus dolomieu"
    assert result.species.merged_from == "Micropterus dolomieui"
    assert [r.code for r in result.rules] == ["black-bass"] and kinds(result) == ["undersize"]


def test_unknown_species_at_a_known_place(world, bass):
    rule(world["west"], "bass", bass)
    result = regulations_for(point=IN_WEST, species=None, on_date=SUMMER)
    assert result.known is True and result.rules == [] and "not known" in result.message


def test_sensitive_is_per_region(world, bass):
    rule(world["west"], "bass", bass, sensitive=True)
    rule(world["east"], "bass", bass, sensitive=False)
    assert species_is_sensitive(species=bass, point=IN_WEST) is True
    assert species_is_sensitive(species=bass, point=IN_EAST) is False
    assert species_is_sensitive(species=None, point=IN_WEST) is False


def test_result_as_dict_is_json(world, bass):
    rule(
        world["west"],
        "bass",
        bass,
        min_length_cm=Decimal("30.48"),
        length_unit="in",
        seasons=[(Season.Kind.OPEN, "05-01", "10-31")],
    )
    data = regulations_for(point=IN_WEST, species=bass, on_date=SUMMER, length_cm=25).as_dict()
    json.dumps(data)
    assert data["rules"][0]["min_length_cm"] == 30.48
    assert data["rules"][0]["last_checked"] == "2026-01-15"
    assert data["rules"][0]["season"]["starts_on"] == "2025-05-01"
    assert data["rules"][0]["summary"].startswith("Smallmouth bass in West: open from May 1 to October 31")
    assert data["warnings"][0]["kind"] == "undersize" and data["length_cm"] == 25.0


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SpatiaLite only")
def test_spatialite_index_is_enabled_and_used(world):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = 'regulations_region'"
        )
        assert cursor.fetchone()[0] == 1
        cursor.execute(
            "SELECT COUNT(*) FROM SpatialIndex WHERE f_table_name = 'regulations_region'"
            " AND search_frame = BuildMbr(3, 3, 3, 3, 4326)"
        )
        assert cursor.fetchone()[0] == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostGIS only")
def test_postgis_gist_index_exists_and_is_used(world):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'regulations_region'")
        assert any("USING gist (geometry)" in row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM regulations_region"
            " WHERE ST_Intersects(geometry, ST_SetSRID(ST_MakePoint(3, 3), 4326))"
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "Index" in plan
