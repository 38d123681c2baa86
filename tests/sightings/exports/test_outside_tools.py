"""The exports as the tools researchers use read them: pandas, python-dwca-reader, GDAL and
Hugging Face `datasets` (issue 16). Each test reads a real export with the tool and checks what a
researcher would rely on: types, local times, licences, splits, what publication may carry."""

import io
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime

import pandas as pd
import pytest
from dwca.darwincore.utils import qualname
from dwca.read import DwCAReader

from regulations.models import Region
from sightings.exports.dataset_export import sighting_groups, split_of
from sightings.models import Contributor, Sighting
from tests import factories

from .helpers import CSV_URL, DATASET_URL, DWCA_URL, GEOJSON_URL, content, get, region_make

pytestmark = pytest.mark.django_db

# 23:30 on June 1 in Cleveland (EDT, -04:00).
EVENING = datetime(2026, 6, 2, 3, 30, tzinfo=UTC)


def body(user, url, **params):
    response = get(user, url, **params)
    assert response.status_code == 200, content(response)
    return content(response)


@pytest.fixture
def catches(make_sighting):
    return {
        "open": make_sighting(latitude=41.501234, longitude=-81.701234, observed_at=EVENING, length_cm=38.5),
        "obscured": make_sighting(latitude=41.123456, longitude=-81.654321, geoprivacy="obscured"),
        "private": make_sighting(latitude=41.623456, longitude=-81.354321, geoprivacy="private"),
        "reserved": make_sighting(license="all-rights-reserved"),
    }


def test_pandas_reads_numbers_as_numbers_and_times_with_their_offsets(catches, researcher):
    frame = pd.read_csv(io.BytesIO(body(researcher, CSV_URL)), dtype={"id": str}).set_index("id")
    assert len(frame) == 4
    for column in ("latitude", "longitude", "coordinate_uncertainty_m", "length_cm", "top_score"):
        assert pd.api.types.is_float_dtype(frame[column]), column
    observed = pd.to_datetime(frame["observed_at"], format="ISO8601")
    assert str(observed.dt.tz) == "UTC"
    open_row = frame.loc[str(catches["open"].pk)]
    assert open_row["length_cm"] == 38.5
    local = pd.Timestamp(open_row["observed_at_local"])
    assert local == observed[str(catches["open"].pk)] and local.utcoffset().total_seconds() == -4 * 3600
    assert local.day == 1, "the catch keeps its local day"
    private = frame.loc[str(catches["private"].pk)]
    assert pd.isna(private["latitude"]) and pd.isna(private["observed_at_local"])


def test_python_dwca_reader_reads_every_variant_row_by_row(catches, researcher, trusted_researcher, tmp_path):
    def read(user, **params):
        path = tmp_path / f"dwca-{len(list(tmp_path.iterdir()))}.zip"
        path.write_bytes(body(user, DWCA_URL, **params))
        with DwCAReader(str(path)) as archive:
            rows = {row.id: row for row in archive}
            title = archive.metadata.find("dataset/title").text
            images = {row.id: [ext.data for ext in row.extensions] for row in rows.values()}
            return {key: row.data for key, row in rows.items()}, title, images

    published, title, images = read(researcher)
    assert "NOT FOR PUBLICATION" not in title
    ids = {f"urn:uuid:{catches[name].pk}" for name in ("open", "obscured", "private")}
    assert set(published) == ids, "all rights reserved photos are never in the archive"
    for row in published.values():
        for term in ("occurrenceID", "basisOfRecord", "scientificName", "eventDate", "license"):
            assert row[qualname(term)], term
        assert row[qualname("license")].startswith("http://creativecommons.org/")
    open_row = published[f"urn:uuid:{catches['open'].pk}"]
    assert open_row[qualname("eventDate")] == "2026-06-01T23:30:00-04:00"
    assert images[f"urn:uuid:{catches['open'].pk}"], "the photo is linked through the Multimedia extension"
    obscured = published[f"urn:uuid:{catches['obscured'].pk}"]
    assert not obscured[qualname("decimalLatitude")].startswith("41.1234")
    assert published[f"urn:uuid:{catches['private'].pk}"][qualname("decimalLatitude")] == ""

    exact, title, _ = read(trusted_researcher, coordinates="true")
    assert "NOT FOR PUBLICATION" in title
    assert exact[f"urn:uuid:{catches['obscured'].pk}"][qualname("decimalLatitude")] == "41.123456"


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="GDAL's ogrinfo is not installed (gdal-bin)")
def test_gdal_reads_the_geojson_with_typed_fields(catches, researcher, tmp_path):
    path = tmp_path / "sightings.geojson"
    path.write_bytes(body(researcher, GEOJSON_URL))
    summary = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "Feature Count: 4" in summary  # the private catch without a geometry
    assert "Geometry: Point" in summary
    for field, kind in (
        ("length_cm", "Real"),
        ("top_score", "Real"),
        ("observed_at", "DateTime"),
        ("observed_at_local", "DateTime"),
    ):
        assert f"{field}: {kind}" in summary, summary
    features = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-q", "-where", f"id = '{catches['open'].pk}'", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "length_cm (Real) = 38.5" in features
    assert "POINT (-81.701234 41.501234)" in features


def _seed_with_every_split(sightings):
    """A split seed under which these sightings' groups fill train, validation and test."""
    groups = set(sighting_groups(Sighting.objects.filter(pk__in=[s.pk for s in sightings])).values())
    every = {"train", "validation", "test"}
    return next(seed for seed in range(1000) if {split_of(group=g, seed=seed) for g in groups} == every)


def test_hugging_face_datasets_loads_the_splits_with_licence_and_credit(
    make_sighting, researcher, tmp_path, monkeypatch
):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    from datasets import load_dataset

    made = [
        make_sighting(
            color=(220 - day, 20, 20) if day % 2 else (20, 200 + day, 20),
            observed_at=datetime(2026, 6, day, 12, tzinfo=UTC),
            license="cc0" if day == 1 else "cc-by",
        )
        for day in range(1, 13)
    ]
    rejected = make_sighting(color=factories.BLUE)
    make_sighting(license="all-rights-reserved", color=(200, 30, 30))  # never in a dataset
    Contributor.objects.create(user=made[0].owner, credit="name", credit_name="Ana Angler")
    seed = _seed_with_every_split(made)
    folder = tmp_path / "dataset"
    zipfile.ZipFile(io.BytesIO(body(researcher, DATASET_URL, split_seed=seed, negatives="true"))).extractall(
        folder
    )

    loaded = load_dataset("imagefolder", data_dir=str(folder), cache_dir=str(tmp_path / "cache"))
    assert set(loaded) == {"train", "validation", "test"}
    assert sum(len(split) for split in loaded.values()) == len(made) + 1
    seen = {}
    for name, split in loaded.items():
        for example in split:
            assert example["split"] == name
            assert example["image"].size == (64, 48)
            assert example["license_url"].startswith("http://creativecommons.org/")
            seen[example["sighting_id"]] = example
    assert seen[str(made[0].pk)]["license"] == "cc0" and seen[str(made[0].pk)]["credit"] == "Ana Angler"
    assert seen[str(rejected.pk)]["label"] == "not_fish"
    assert {seen[str(s.pk)]["label"] for s in made} == {"micropterus_salmoides", "sander_vitreus"}


GBIF_BASIS_OF_RECORD = {"HumanObservation", "MachineObservation", "PreservedSpecimen", "Occurrence"}


def test_every_archive_variant_meets_gbif_terms_row_by_row(
    catches, make_sighting, researcher, trusted_researcher, tmp_path, settings
):
    settings.SITE_URL = "https://catchlog.example.org"
    region_make(code="ohio", bbox=(-85.0, 38.0, -80.5, 42.3), country_code="US", name="Ohio")
    region_make(code="erie", bbox=(-83.5, 41.5, -78.8, 42.9), kind=Region.Kind.LAKE, name="Lake Erie")
    # In the lake, in a grid cell (41.4 to 41.6 N) that reaches out of it.
    shore = make_sighting(latitude=41.55, longitude=-81.75, geoprivacy="obscured", observed_at=EVENING)

    def read(user, **params):
        path = tmp_path / f"dwca-{len(list(tmp_path.iterdir()))}.zip"
        path.write_bytes(body(user, DWCA_URL, **params))
        with DwCAReader(str(path)) as archive:
            rows = {row.id: (row.data, [media.data for media in row.extensions]) for row in archive}
            return rows, archive.metadata

    variants = {
        "researcher": read(researcher),
        "trusted, publishable": read(trusted_researcher),
        "trusted, exact": read(trusted_researcher, coordinates="true"),
    }
    for name, (rows, eml) in variants.items():
        assert len(rows) == 4, name
        for row_id, (terms, extensions) in rows.items():
            data = {term.rsplit("/", 1)[1]: value for term, value in terms.items()}
            where = f"{name}, {row_id}"
            # GBIF's required terms.
            assert data["occurrenceID"] == row_id and row_id.startswith("urn:uuid:"), where
            assert data["basisOfRecord"] in GBIF_BASIS_OF_RECORD, where
            assert data["scientificName"] and data["taxonRank"] == "species" and data["kingdom"], where
            assert datetime.fromisoformat(data["eventDate"]).tzinfo is not None, where
            assert data["occurrenceStatus"] == "present", where
            assert data["license"].startswith("http://creativecommons.org/"), where
            assert data["datasetID"].startswith("urn:uuid:") and data["datasetName"], where
            # Recommended: a place states its datum, uncertainty and country; a withheld one says why.
            if data["decimalLatitude"]:
                assert (
                    -90 <= float(data["decimalLatitude"]) <= 90
                    and -180 <= float(data["decimalLongitude"]) <= 180
                )
                assert data["geodeticDatum"] == "WGS84", where
                uncertainty = data["coordinateUncertaintyInMeters"]  # empty: the phone gave no accuracy
                assert not data["dataGeneralizations"] or int(uncertainty) > 20_000, where
                assert uncertainty == "" or int(uncertainty) >= 0, where
                assert data["countryCode"] == "US" and data["stateProvince"] == "Ohio", where
            else:
                assert "withheld" in data["informationWithheld"] and data["countryCode"] == "", where
            # The machine's suggestion beside the identification that counts.
            assert data["identificationRemarks"].startswith("Machine suggestion: Micropterus salmoides"), (
                where
            )
            assert data["identifiedBy"] and data["identificationVerificationStatus"] == "verified", where
            for media in extensions:
                identifier = media["http://purl.org/dc/terms/identifier"]
                assert identifier == f"https://catchlog.example.org/photos/published/{row_id[9:]}.jpg", where
        coverage = eml.find("dataset/coverage")
        assert coverage is not None, name
        box = coverage.find("geographicCoverage/boundingCoordinates")
        assert (
            -82
            < float(box.find("westBoundingCoordinate").text)
            < float(box.find("eastBoundingCoordinate").text)
        )
        assert coverage.find("temporalCoverage/rangeOfDates/beginDate/calendarDate").text == "2026-06-01"
        assert eml.find("dataset/creator/organizationName").text and eml.find("dataset/contact") is not None
        assert eml.find("dataset/intellectualRights") is not None

    # The water body is named only where the place shown lies in it: the whole cell for a researcher.
    key = f"urn:uuid:{shore.pk}"
    water = {name: rows[key][0][qualname("waterBody")] for name, (rows, _) in variants.items()}
    assert water == {"researcher": "", "trusted, publishable": "", "trusted, exact": "Lake Erie"}
