"""What each role learns of a place, in every format; sensitive species; place filters that leak nothing."""

import pytest

from sightings.geoprivacy import cell_uncertainty_m, obscured_point
from tests import factories

from .helpers import (
    DATASET_URL,
    archive,
    csv_rows,
    dataset_metadata,
    geojson,
    region_make,
    sensitive_regulation,
)

pytestmark = pytest.mark.django_db
TRUE_LAT, TRUE_LON = 41.123456, -81.654321


def shown(sighting):
    return obscured_point(latitude=sighting.location.y, longitude=sighting.location.x, seed=str(sighting.pk))


def test_researcher_sees_the_cell_point_with_widened_uncertainty_and_no_place_for_private(
    three_sightings, researcher
):
    rows = csv_rows(researcher)
    obscured = three_sightings["obscured"]
    row = rows[str(obscured.pk)]
    latitude, longitude = shown(obscured)
    assert (float(row["latitude"]), float(row["longitude"])) == (latitude, longitude)
    assert (latitude, longitude) != (TRUE_LAT, TRUE_LON)
    assert 41.0 <= latitude < 41.2 and -81.8 <= longitude < -81.6
    assert float(row["coordinate_uncertainty_m"]) == cell_uncertainty_m(latitude=TRUE_LAT) > 20_000
    assert row["coordinates"] == "generalized"
    private = rows[str(three_sightings["private"].pk)]
    assert private["latitude"] == private["longitude"] == private["coordinate_uncertainty_m"] == ""
    assert private["coordinates"] == "withheld"
    # The same point on every export, so repeated exports cannot be averaged.
    assert csv_rows(researcher)[str(obscured.pk)]["latitude"] == row["latitude"]


@pytest.mark.parametrize("role", ["trusted_researcher", "moderator"])
def test_trusted_researchers_and_moderators_see_true_places(three_sightings, role, request):
    viewer = request.getfixturevalue(role)
    rows = csv_rows(viewer)
    for sighting in three_sightings.values():
        row = rows[str(sighting.pk)]
        assert (float(row["latitude"]), float(row["longitude"])) == (sighting.location.y, sighting.location.x)
        assert row["coordinates"] == "exact"
    assert geojson(viewer)["coordinate_kind"] == "true"


def test_geojson_and_dataset_apply_the_same_rules(three_sightings, researcher):
    features = {f["id"]: f for f in geojson(researcher)["features"]}
    obscured = three_sightings["obscured"]
    latitude, longitude = shown(obscured)
    assert features[str(obscured.pk)]["geometry"]["coordinates"] == [longitude, latitude]
    labels = dataset_metadata(archive(researcher, DATASET_URL))
    assert str(TRUE_LAT) not in labels and str(latitude) in labels


@pytest.fixture
def sensitive_bass(make_sighting, color_species):
    reef = region_make(code="spawning-reef", bbox=(-82.0, 41.0, -81.0, 42.0))
    sensitive_regulation(region=reef, species=color_species["micropterus_salmoides"])
    return {
        "inside": make_sighting(latitude=41.5, longitude=-81.5, geoprivacy="open"),
        "outside": make_sighting(latitude=44.5, longitude=-81.5, geoprivacy="open"),
        "walleye": make_sighting(latitude=41.5, longitude=-81.5, geoprivacy="open", color=factories.GREEN),
    }


def test_sensitive_species_are_obscured_even_when_open_for_untrusted_viewers(
    sensitive_bass, researcher, trusted_researcher
):
    rows = csv_rows(researcher)
    inside = rows[str(sensitive_bass["inside"].pk)]
    assert inside["geoprivacy"] == "open" and inside["coordinates"] == "generalized"
    assert (float(inside["latitude"]), float(inside["longitude"])) == shown(sensitive_bass["inside"])
    assert rows[str(sensitive_bass["outside"].pk)]["coordinates"] == "exact"
    assert rows[str(sensitive_bass["walleye"].pk)]["coordinates"] == "exact"
    trusted = csv_rows(trusted_researcher)[str(sensitive_bass["inside"].pk)]
    assert (float(trusted["latitude"]), float(trusted["longitude"])) == (41.5, -81.5)


def test_sensitive_species_obscured_in_geojson_too(sensitive_bass, researcher):
    features = {f["id"]: f for f in geojson(researcher)["features"]}
    assert features[str(sensitive_bass["inside"].pk)]["geometry"]["coordinates"] != [-81.5, 41.5]
    assert features[str(sensitive_bass["outside"].pk)]["geometry"]["coordinates"] == [-81.5, 44.5]


def test_a_tight_bbox_around_the_true_place_does_not_reveal_an_obscured_sighting(
    three_sightings, researcher, trusted_researcher
):
    obscured = three_sightings["obscured"]
    latitude, longitude = shown(obscured)
    tight = (TRUE_LON - 0.0005, TRUE_LAT - 0.0005, TRUE_LON + 0.0005, TRUE_LAT + 0.0005)
    assert not (tight[0] <= longitude <= tight[2] and tight[1] <= latitude <= tight[3])
    bbox = ",".join(str(value) for value in tight)
    assert str(obscured.pk) not in csv_rows(researcher, bbox=bbox)
    assert set(csv_rows(trusted_researcher, bbox=bbox)) == {str(obscured.pk)}
    around_shown = f"{longitude - 0.0005},{latitude - 0.0005},{longitude + 0.0005},{latitude + 0.0005}"
    assert set(csv_rows(researcher, bbox=around_shown)) == {str(obscured.pk)}


def test_place_filters_never_match_private_sightings_for_untrusted_viewers(
    three_sightings, researcher, trusted_researcher
):
    private = str(three_sightings["private"].pk)
    everywhere = "-180,-90,180,90"
    assert private not in csv_rows(researcher, bbox=everywhere)
    assert str(three_sightings["open"].pk) in csv_rows(researcher, bbox=everywhere)
    assert private in csv_rows(trusted_researcher, bbox=everywhere)


def test_region_filter_uses_the_shown_point_for_untrusted_viewers(
    three_sightings, researcher, trusted_researcher
):
    obscured = three_sightings["obscured"]
    latitude, longitude = shown(obscured)
    region_make(
        code="true-spot", bbox=(TRUE_LON - 0.001, TRUE_LAT - 0.001, TRUE_LON + 0.001, TRUE_LAT + 0.001)
    )
    region_make(
        code="shown-spot", bbox=(longitude - 0.001, latitude - 0.001, longitude + 0.001, latitude + 0.001)
    )
    assert str(obscured.pk) not in csv_rows(researcher, region="true-spot")
    assert str(obscured.pk) in csv_rows(trusted_researcher, region="true-spot")
    assert str(obscured.pk) in csv_rows(researcher, region="shown-spot")


def test_sensitivity_is_decided_on_the_whole_cell_not_the_true_point(
    make_sighting, color_species, researcher
):
    # The reef ends at latitude 41.15, inside the cell 41.0-41.2: a catch just outside it is hidden
    # too, or whether it is hidden would tell which side of the edge it lies.
    reef = region_make(code="reef-edge", bbox=(-82.0, 40.0, -81.0, 41.15))
    sensitive_regulation(region=reef, species=color_species["micropterus_salmoides"])
    beside = make_sighting(latitude=41.18, longitude=-81.5, geoprivacy="open")
    next_cell = make_sighting(latitude=41.21, longitude=-81.5, geoprivacy="open")
    rows = csv_rows(researcher)
    assert rows[str(beside.pk)]["coordinates"] == "generalized"
    assert rows[str(next_cell.pk)]["coordinates"] == "exact"


def test_sensitive_taxa_cover_genus_family_and_merged_entries(color_species):
    from regulations.models import Species
    from regulations.selectors import sensitive_species_by_region

    bass = color_species["micropterus_salmoides"]
    genus = Species.objects.create(scientific_name="Micropterus", rank=Species.Rank.GENUS)
    smallmouth = Species.objects.create(scientific_name="Micropterus dolomieu", family=bass.family)
    old_name = Species.objects.create(scientific_name="Huro salmoides", merged_into=bass)
    family = Species.objects.create(scientific_name="Percidae", rank=Species.Rank.FAMILY)
    perch = Species.objects.create(scientific_name="Perca flavescens", family="Percidae")
    genus_region = region_make(code="genus-rule", bbox=(0, 0, 1, 1))
    family_region = region_make(code="family-rule", bbox=(2, 2, 3, 3))
    sensitive_regulation(region=genus_region, species=genus)
    sensitive_regulation(region=family_region, species=family)
    covered = sensitive_species_by_region()
    assert {bass.pk, smallmouth.pk, old_name.pk, genus.pk} <= covered[genus_region.pk]
    assert perch.pk not in covered[genus_region.pk]
    assert {perch.pk, family.pk} <= covered[family_region.pk]
    assert bass.pk not in covered[family_region.pk]
