"""The export endpoints: who may call them, what each format holds, the filters and their errors."""

import csv
import io

import pytest

from sightings.models import Sighting
from sightings.storage import storage_read
from tests import factories
from tests.conftest import token_client

from .helpers import (
    CSV_URL,
    DATASET_URL,
    DWCA_URL,
    GEOJSON_URL,
    content,
    csv_rows,
    download,
    geojson,
    get,
    region_make,
    stored_name,
)

pytestmark = pytest.mark.django_db
URLS = [CSV_URL, GEOJSON_URL, DWCA_URL, DATASET_URL]


@pytest.mark.parametrize("url", URLS)
def test_anonymous_is_asked_to_sign_in_and_anglers_are_refused(url, angler):
    assert token_client(None).get(url).status_code == 401
    assert token_client(angler).get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("role", ["researcher", "moderator", "trusted_researcher"])
def test_researchers_and_moderators_may_export(url, role, request):
    response = get(request.getfixturevalue(role), url)
    assert response.status_code == 200
    assert response.streaming
    assert response["X-Coordinates"] in ("true", "generalized")
    assert "attachment" in response["Content-Disposition"]


def test_csv_has_one_row_per_verified_sighting_with_every_column(three_sightings, researcher, color_model):
    rows = csv_rows(researcher)
    assert set(rows) == {str(s.pk) for s in three_sightings.values()}
    row = rows[str(three_sightings["open"].pk)]
    assert row["scientific_name"] == "Micropterus salmoides"
    assert row["common_name"] == "Largemouth bass"
    assert row["quality_grade"] == "verified"
    assert row["observed_at"].startswith("2026-06-01T08:00:00")
    assert float(row["latitude"]) == pytest.approx(41.501234)
    assert float(row["longitude"]) == pytest.approx(-81.701234)
    assert row["coordinates"] == "exact" and row["geoprivacy"] == "open" and row["license"] == "cc-by"
    assert row["top_prediction"] == "micropterus_salmoides" and float(row["top_score"]) > 0.9
    assert row["model_version"] == color_model.name
    public = three_sightings["open"].public_photo.name
    assert stored_name(row["photo_url"]) == public
    assert download(row["photo_url"]) == storage_read(name=public)


def test_csv_photo_address_is_the_public_copy_never_the_upload(three_sightings, researcher):
    for sighting in three_sightings.values():
        row = csv_rows(researcher)[str(sighting.pk)]
        name = stored_name(row["photo_url"])
        assert name == sighting.public_photo.name != sighting.photo.name


def test_geojson_features_and_null_geometry_for_private(three_sightings, researcher):
    collection = geojson(researcher)
    assert collection["type"] == "FeatureCollection"
    assert collection["coordinate_kind"] == "generalized" and "0.2-degree" in collection["note"]
    features = {feature["id"]: feature for feature in collection["features"]}
    assert len(features) == 3
    assert features[str(three_sightings["private"].pk)]["geometry"] is None
    open_feature = features[str(three_sightings["open"].pk)]
    assert open_feature["geometry"]["coordinates"] == pytest.approx([-81.701234, 41.501234])
    assert open_feature["properties"]["scientific_name"] == "Micropterus salmoides"


def test_geojson_is_valid_rfc_7946_with_numbers_as_numbers_and_one_time_form(make_sighting, researcher):
    import geojson_validator

    sighting = make_sighting(length_cm="38.5", observed_at=factories.aware(2026, 6, 1, 8, 30))
    collection = geojson(researcher)
    assert geojson_validator.validate_structure(collection) == {}
    geometries = geojson_validator.validate_geometries(collection)
    assert geometries["invalid"] == {} and geometries["problematic"] == {}
    assert geometries["count_geometry_types"] == {"Point": 1}

    def members_named_coordinates(value, inside_geometry=False):
        if isinstance(value, dict):
            found = 0 if inside_geometry or "coordinates" not in value else 1
            return found + sum(
                members_named_coordinates(child, inside_geometry or key in ("geometry", "properties"))
                for key, child in value.items()
            )
        if isinstance(value, list):
            return sum(members_named_coordinates(child, inside_geometry) for child in value)
        return 0

    assert members_named_coordinates(collection) == 0  # RFC 7946, 7.1: only geometries have them
    [feature] = collection["features"]
    assert feature["properties"]["length_cm"] == 38.5
    assert feature["properties"]["observed_at"] == "2026-06-01T08:30:00Z"
    csv_row = csv_rows(researcher)[str(sighting.pk)]
    assert csv_row["observed_at"] == "2026-06-01T08:30:00Z" and csv_row["length_cm"] == "38.5"


def test_quality_grade_defaults_to_verified_and_any_gives_all(make_sighting, researcher):
    verified = make_sighting()
    unverified = make_sighting(verify=False)
    assert unverified.quality_grade == Sighting.QualityGrade.NEEDS_ID
    assert set(csv_rows(researcher)) == {str(verified.pk)}
    assert set(csv_rows(researcher, quality_grade="any")) == {str(verified.pk), str(unverified.pk)}
    assert set(csv_rows(researcher, quality_grade="needs_id")) == {str(unverified.pk)}


def test_species_filter_by_id_or_scientific_name(make_sighting, researcher, color_species):
    bass = make_sighting(color=factories.RED)
    walleye = make_sighting(color=factories.GREEN)
    walleye_species = color_species["sander_vitreus"]
    assert set(csv_rows(researcher, species=walleye_species.pk)) == {str(walleye.pk)}
    assert set(csv_rows(researcher, species="Micropterus salmoides")) == {str(bass.pk)}


def test_date_range_filter_includes_both_days(make_sighting, researcher):
    early = make_sighting(observed_at=factories.aware(2026, 5, 1, 23, 0))
    middle = make_sighting(observed_at=factories.aware(2026, 5, 10, 12, 0))
    late = make_sighting(observed_at=factories.aware(2026, 5, 20, 0, 30))
    assert set(csv_rows(researcher, observed_from="2026-05-01", observed_to="2026-05-10")) == {
        str(early.pk),
        str(middle.pk),
    }
    assert set(csv_rows(researcher, observed_from="2026-05-11")) == {str(late.pk)}


def test_licence_and_model_version_filters(make_sighting, researcher, color_model):
    cc0 = make_sighting(license="cc0")
    make_sighting(license="cc-by-nc")
    unclassified = make_sighting(classify=False)
    assert set(csv_rows(researcher, license="cc0")) == {str(cc0.pk)}
    rows = csv_rows(researcher, model_version=color_model.pk, quality_grade="any")
    assert str(cc0.pk) in rows and str(unclassified.pk) not in rows


def test_region_filter_by_code_or_id_for_a_trusted_viewer(make_sighting, trusted_researcher):
    inside = make_sighting(latitude=41.5, longitude=-81.5)
    make_sighting(latitude=44.5, longitude=-81.5)
    region = region_make(code="test-lake", bbox=(-82, 41, -81, 42))
    assert set(csv_rows(trusted_researcher, region="test-lake")) == {str(inside.pk)}
    assert set(csv_rows(trusted_researcher, region=region.pk)) == {str(inside.pk)}


@pytest.mark.parametrize(
    ("params", "field", "reason"),
    [
        ({"bbox": "1,2,3"}, "bbox", "four numbers"),
        ({"bbox": "a,b,c,d"}, "bbox", "four numbers"),
        ({"bbox": "10,0,5,1"}, "bbox", "smaller than the maximum"),
        ({"bbox": "0,-95,1,1"}, "bbox", "between -90 and 90"),
        ({"species": "Nonexistus fictus"}, "species", "No species"),
        ({"region": "atlantis"}, "region", "No region"),
        ({"quality_grade": "great"}, "quality_grade", "valid choice"),
        ({"observed_from": "yesterday"}, "observed_from", "valid date"),
        ({"license": "gpl"}, "license", "valid choice"),
        ({"model_version": "999999"}, "model_version", "valid choice"),
        ({"quality_grade": ""}, "quality_grade", "Empty"),
        ({"specie": "Sander vitreus"}, "specie", "Unknown parameter"),
        ({"project": "nowhere"}, "project", "No project"),
    ],
)
def test_bad_filter_values_answer_400_with_field_and_reason(researcher, params, field, reason):
    response = get(researcher, CSV_URL, **params)
    assert response.status_code == 400
    assert reason in " ".join(response.json()[field])


def test_a_job_with_an_unknown_or_blank_filter_is_refused_and_nothing_is_queued(researcher):
    from sightings.models import ExportJob

    api = token_client(researcher)
    for filters, field in (({"specie": "Sander vitreus"}, "specie"), ({"bbox": ""}, "bbox")):
        response = api.post("/api/v1/exports/jobs/", {"format": "csv", "filters": filters}, format="json")
        assert response.status_code == 400 and field in response.json(), response.content
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("params", [{"page": ""}, {"page": "two"}, {"quality_grade": ""}, {"spieces": "1"}])
def test_the_sightings_list_refuses_blank_or_unknown_parameters(api, params):
    response = api.get("/api/v1/sightings/", params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_split_seed_must_be_an_integer(researcher):
    response = get(researcher, DATASET_URL, split_seed="abc")
    assert response.status_code == 400 and "split_seed" in response.json()


def test_too_many_rows_answers_413_pointing_at_the_job_api(make_sighting, researcher, settings):
    make_sighting()
    make_sighting()
    settings.EXPORT_SYNC_MAX_ROWS = 1
    response = get(researcher, CSV_URL)
    assert response.status_code == 413
    body = response.json()
    assert body["count"] == 2 and body["max_rows"] == 1
    assert body["jobs_url"] == "/api/v1/exports/jobs/"
    settings.EXPORT_SYNC_MAX_ROWS = 2
    assert get(researcher, CSV_URL).status_code == 200


def test_csv_answers_whatever_the_accept_header(three_sightings, researcher):
    response = token_client(researcher).get(CSV_URL, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(content(response).decode())))) == 4


def test_csv_streams_with_a_constant_number_of_queries(
    make_sighting, researcher, django_assert_max_num_queries
):
    for _ in range(6):
        make_sighting()
    client = token_client(researcher)
    with django_assert_max_num_queries(12):
        rows = list(csv.reader(io.StringIO(content(client.get(CSV_URL)).decode())))
    assert len(rows) == 7


def test_every_registered_format_has_its_url_job_format_and_model_choice():
    from django.urls import resolve

    from sightings.exports.registry import exporters
    from sightings.exports.serializers import ExportJobCreateSerializer
    from sightings.models import ExportJob

    identifiers = [exporter.identifier for exporter in exporters()]
    assert set(identifiers) == {"csv", "geojson", "dwca", "dataset"}
    job_formats = dict(ExportJobCreateSerializer().fields["format"].choices)
    model_formats = dict(ExportJob._meta.get_field("format").choices)
    for exporter in exporters():
        assert resolve(f"/api/v1/exports/{exporter.path}").func.view_initkwargs == {
            "exporter": exporter.identifier
        }
        assert job_formats[exporter.identifier] == model_formats[exporter.identifier] == exporter.label
