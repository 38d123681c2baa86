import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from regulations.models import Region, Regulation, Season, Species
from tests.regulations.conftest import square_region

pytestmark = pytest.mark.django_db

SHARED_GEO = Path(__file__).resolve().parents[3] / "shared" / "data" / "geo"
HEADER = (
    "region_code,rule_code,species,status,min_length,length_unit,seasons,invasive_action,source_url,"
    "last_checked\n"
)
GOOD = [
    "west,bass,Micropterus dolomieu,regulated,14,in,open 01-01..12-31; catch_and_release 05-01..last-sat-06,,https://example.org/a,2026-01-15",
    "west,goby,Neogobius melanostomus,invasive,,,,do not release it alive,https://example.org/b,2026-01-15",
]


@pytest.fixture
def place(authority, bass, goby):
    return square_region("west", (0, 0, 10, 10), authority=authority)


def write_csv(tmp_path, rows, header=HEADER):
    path = tmp_path / "rules.csv"
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def import_rules(path):
    call_command("import_regulations", str(path), stdout=io.StringIO())


def test_import_then_reimport_updates_without_duplicates(tmp_path, place):
    import_rules(write_csv(tmp_path, GOOD))
    bass_rule = Regulation.objects.get(code="bass")
    assert str(bass_rule.min_length_cm) == "35.56" and bass_rule.length_unit == "in"
    assert [s.end for s in bass_rule.seasons.order_by("start")] == ["12-31", "last-sat-06"]
    counts = (Regulation.objects.count(), Season.objects.count())
    changed = [GOOD[0].replace(",14,in,", ",15,in,"), GOOD[1].replace("do not release it alive", "kill it")]
    import_rules(write_csv(tmp_path, changed))
    assert (Regulation.objects.count(), Season.objects.count()) == counts == (2, 2)
    assert str(Regulation.objects.get(code="bass").min_length_cm) == "38.10"
    assert Regulation.objects.get(code="goby").invasive_action == "kill it"


@pytest.mark.parametrize(
    "row, column, reason",
    [
        (
            "nowhere,bass,Micropterus dolomieu,regulated,,,,,https://example.org/a,2026-01-15",
            "region_code",
            "unknown region",
        ),
        (
            "west,bass,Esox nonexistens,regulated,,,,,https://example.org/a,2026-01-15",
            "species",
            "unknown species",
        ),
        (
            "west,bass,Micropterus dolomieu,regulated,,,open 05-01..last-xyz-06,,https://example.org/a,2026-01-15",
            "seasons",
            "last-xyz-06",
        ),
        (
            "west,bass,Micropterus dolomieu,regulated,-3,,,,https://example.org/a,2026-01-15",
            "min_length",
            "0 or more",
        ),
        (
            "west,bass,Micropterus dolomieu,allowed,,,,,https://example.org/a,2026-01-15",
            "status",
            "not one of",
        ),
        (
            "west,bass,Micropterus dolomieu,regulated,,,,,https://example.org/a,15/01/2026",
            "last_checked",
            "YYYY-MM-DD",
        ),
        (
            "west,goby2,Neogobius melanostomus,invasive,,,,,https://example.org/a,2026-01-15",
            "invasive_action",
            "action",
        ),
        (
            "west,bass,Micropterus dolomieu,regulated,,,,,https://example.org/a,2026-01-15",
            "rule_code",
            "row 2",
        ),
    ],
)
def test_bad_row_names_row_and_column_and_writes_nothing(tmp_path, place, row, column, reason):
    path = write_csv(tmp_path, [GOOD[0], GOOD[1], row])
    with pytest.raises(CommandError) as error:
        import_rules(path)
    assert f"Row 4, column {column}:" in str(error.value)
    assert reason in str(error.value)
    assert Regulation.objects.count() == 0 and Season.objects.count() == 0


def test_missing_column_is_reported(tmp_path, place):
    path = write_csv(tmp_path, ["west,bass"], header="region_code,rule_code\n")
    with pytest.raises(CommandError, match="Row 1, column species: this required column is missing"):
        import_rules(path)


def test_species_import_is_idempotent(tmp_path):
    path = tmp_path / "species.csv"
    header = "scientific_name,common_name,rank,kingdom,family,gbif_taxon_key,venomous,merged_into\n"
    path.write_text(
        header
        + "Pterois volitans,lionfish,species,Animalia,Scorpaenidae,,yes,\n"
        + "Pterois miles,devil firefish,species,Animalia,Scorpaenidae,,yes,Pterois volitans\n"
    )
    call_command("import_species", str(path), stdout=io.StringIO())
    path.write_text(
        header
        + "Pterois volitans,red lionfish,species,Animalia,Scorpaenidae,,yes,\n"
        + "Pterois miles,devil firefish,species,Animalia,Scorpaenidae,,yes,Pterois volitans\n"
    )
    call_command("import_species", str(path), stdout=io.StringIO())
    assert Species.objects.count() == 2
    assert Species.objects.get(scientific_name="Pterois volitans").common_name == "red lionfish"
    assert (
        Species.objects.get(scientific_name="Pterois miles").merged_into.scientific_name == "Pterois volitans"
    )
    path.write_text(header + "Pterois volitans,lionfish,species,Animalia,Scorpaenidae,,perhaps,\n")
    with pytest.raises(CommandError, match="Row 2, column venomous"):
        call_command("import_species", str(path))


def test_import_regions_rejects_a_filter_matching_nothing(tmp_path):
    path = tmp_path / "none.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(CommandError, match="no feature"):
        call_command("import_regions", str(path), "--kind", "lake", "--code", "x", "--name", "X")
    assert Region.objects.count() == 0


@pytest.mark.shared
def test_import_regions_straight_from_natural_earth_with_clip():
    options = {"stdout": io.StringIO()}
    call_command(
        "import_regions",
        str(SHARED_GEO / "ne_50m_admin_1_us_states.geojson"),
        "--kind",
        "state_waters",
        "--code-property",
        "iso_3166_2",
        "--name-property",
        "name",
        "--filter",
        "postal=OH",
        "--authority",
        "Ohio DNR",
        **options,
    )
    args = [
        "import_regions",
        str(SHARED_GEO / "ne_10m_great_lakes.geojson"),
        "--kind",
        "zone",
        "--filter",
        "name=Lake Erie",
        "--code",
        "us-oh-lake-erie",
        "--name",
        "Ohio waters of Lake Erie",
        "--parent",
        "us-oh",
        "--clip-to",
        "us-oh",
        "--simplify",
        "0.005",
    ]
    call_command(*args, **options)
    call_command(*args, **options)
    assert Region.objects.count() == 2
    ohio, zone = Region.objects.get(code="us-oh"), Region.objects.get(code="us-oh-lake-erie")
    assert ohio.authority.name == "Ohio DNR" and zone.parent == ohio
    assert 0 < zone.area < ohio.area
    assert ohio.geometry.covers(zone.geometry.point_on_surface)


def test_import_regions_records_the_country_and_refuses_a_bad_code(tmp_path):
    path = tmp_path / "square.geojson"
    square = [[[-82.0, 41.0], [-81.0, 41.0], [-81.0, 42.0], [-82.0, 42.0], [-82.0, 41.0]]]
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
        f' "geometry": {{"type": "Polygon", "coordinates": {square}}}}}]}}'
    )
    arguments = ["import_regions", str(path), "--kind", "state_waters", "--code", "sq", "--name", "Square"]
    call_command(*arguments, "--country-code", "us", stdout=io.StringIO())
    assert Region.objects.get(code="sq").country_code == "US"
    with pytest.raises(CommandError, match="two letters"):
        call_command(*arguments, "--country-code", "USA")
    assert Region.objects.get(code="sq").country_code == "US"
