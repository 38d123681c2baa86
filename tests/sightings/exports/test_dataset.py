"""The ML dataset: split folders loaders read, labels, README counts, no EXIF, grouped splits."""

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
from PIL import Image

from regulations.models import Species
from sightings.exports.dataset_export import Groups, near_duplicate_keys, split_of
from sightings.models import Sighting
from sightings.services.identifications import identification_set_species
from tests import factories

from .helpers import DATASET_URL, archive, dataset_metadata

pytestmark = pytest.mark.django_db
SPLIT_NAMES = {"train", "validation", "test"}


def labels(zipped):
    return {row["sighting_id"]: row for row in csv.DictReader(io.StringIO(dataset_metadata(zipped)))}


def test_layout_labels_and_readme(make_sighting, researcher):
    gps = factories.exif_with_gps(latitude=41.123456, longitude=-81.654321)
    bass = make_sighting(exif=gps, license="cc0")
    walleye = make_sighting(color=factories.GREEN)
    unpublished = make_sighting(publish=False)
    zipped = archive(researcher, DATASET_URL)
    rows = labels(zipped)
    assert set(rows) == {str(bass.pk), str(walleye.pk)}
    bass_row, walleye_row = rows[str(bass.pk)], rows[str(walleye.pk)]
    assert bass_row["label"] == "micropterus_salmoides" and bass_row["license"] == "cc0"
    assert bass_row["file_name"] == f"micropterus_salmoides/{bass.pk}.jpg"
    assert bass_row["taxon_rank"] == "species" and bass_row["split"] in SPLIT_NAMES
    # Each image lies in its split's folder, next to that split's metadata.csv.
    expected = {f"{row['split']}/{row['file_name']}" for row in (bass_row, walleye_row)}
    expected |= {f"{row['split']}/metadata.csv" for row in (bass_row, walleye_row)} | {"README"}
    assert set(zipped.namelist()) == expected
    readme = zipped.read("README").decode()
    assert "Images: 2" in readme and "micropterus_salmoides: 1" in readme and "sander_vitreus: 1" in readme
    assert "Skipped sightings: 1" in readme and "no public photo yet: 1" in readme
    assert "cc0: 1" in readme and "cc-by: 1" in readme and "Coordinates: generalized" in readme
    assert str(unpublished.pk) not in dataset_metadata(zipped)
    image_bytes = zipped.read(f"{bass_row['split']}/{bass_row['file_name']}")
    with Image.open(io.BytesIO(image_bytes)) as image:
        assert not image.getexif() and "exif" not in image.info
    assert Image.open(io.BytesIO(bass.photo.read())).getexif().get_ifd(0x8825)


def test_only_photos_a_dataset_may_carry_are_in_it_each_with_licence_and_credit(make_sighting, researcher):
    from sightings.models import Contributor

    open_photo = make_sighting(license="cc-by")
    reserved = make_sighting(license="all-rights-reserved")
    Contributor.objects.create(user=open_photo.owner, credit="name", credit_name="Ana Angler")
    zipped = archive(researcher, DATASET_URL)
    rows = labels(zipped)
    assert set(rows) == {str(open_photo.pk)}
    assert str(reserved.pk) not in " ".join(zipped.namelist())
    row = rows[str(open_photo.pk)]
    assert row["license_url"] == "http://creativecommons.org/licenses/by/4.0/legalcode"
    assert row["credit"] == "Ana Angler"
    assert "all rights reserved are never included" in zipped.read("README").decode()


def test_a_public_copy_carrying_exif_is_left_out(make_sighting, researcher):
    from sightings.storage import storage_read, storage_save

    sighting = make_sighting()
    tainted = storage_save(
        name="photos/tainted.jpg",
        data=factories.photo_bytes(exif=factories.exif_with_gps(latitude=41.123456, longitude=-81.654321)),
    )
    type(sighting).objects.filter(pk=sighting.pk).update(public_photo=tainted)
    assert Image.open(io.BytesIO(storage_read(name=tainted))).getexif()
    zipped = archive(researcher, DATASET_URL)
    assert zipped.namelist() == ["README"]
    assert "public photo carries metadata: 1" in zipped.read("README").decode()


def test_split_is_deterministic_by_seed(make_sighting, researcher, other_angler):
    made = [make_sighting(), make_sighting(owner=other_angler, color=factories.GREEN)]
    first = {pk: row["split"] for pk, row in labels(archive(researcher, DATASET_URL, split_seed=7)).items()}
    again = {pk: row["split"] for pk, row in labels(archive(researcher, DATASET_URL, split_seed=7)).items()}
    assert first == again and set(first) == {str(s.pk) for s in made}
    for sighting in made:
        keys = near_duplicate_keys(
            individual_id=None,
            owner_id=sighting.owner_id,
            observed_at=sighting.observed_at,
            utc_offset=sighting.utc_offset_minutes,
            species_id=sighting.species_id,
            photo_sha256="",
        )
        assert first[str(sighting.pk)] == split_of(group=keys[0], seed=7)


def test_near_duplicates_never_cross_splits(make_sighting, researcher, other_angler):
    # One angler's three photos of a bass on one evening (the last is after midnight UTC, before
    # midnight in Cleveland), and the first photo sent again by someone else weeks later: one group.
    reds = [(220 - shade, 20, 20) for shade in range(3)]
    moments = [datetime(2026, 6, 1, 22, 0, tzinfo=UTC), datetime(2026, 6, 1, 22, 30, tzinfo=UTC)]
    moments.append(datetime(2026, 6, 2, 3, 30, tzinfo=UTC))
    same_catch = [
        make_sighting(color=red, observed_at=moment) for red, moment in zip(reds, moments, strict=True)
    ]
    assert len({s.photo_sha256 for s in same_catch}) == 3
    resent = make_sighting(
        owner=other_angler, color=reds[0], observed_at=datetime(2026, 6, 20, 12, tzinfo=UTC)
    )
    assert resent.photo_sha256 == same_catch[0].photo_sha256
    others = [
        make_sighting(color=(20, 220 - day, 20), observed_at=datetime(2026, 6, day, 12, tzinfo=UTC))
        for day in range(3, 9)
    ]
    together = {str(s.pk) for s in [*same_catch, resent]}
    mixed = False
    for seed in range(10):
        rows = labels(archive(researcher, DATASET_URL, split_seed=seed))
        assert len({rows[pk]["split"] for pk in together}) == 1, f"a group crossed splits (seed {seed})"
        mixed |= len({rows[str(s.pk)]["split"] for s in others}) > 1
    assert mixed, "separate catches are drawn separately"


def test_groups_join_through_any_shared_key():
    groups = Groups()
    groups.join(["catch:a", "individual:1"])
    groups.join(["catch:b", "individual:1"])
    groups.join(["catch:c", "photo:x"])
    assert groups.of("catch:a") == groups.of("catch:b") == groups.of("individual:1")
    assert groups.of("catch:c") != groups.of("catch:a")


def test_species_rank_by_default_and_every_rank_when_asked(make_sighting, researcher, moderator):
    genus = Species.objects.create(scientific_name="Micropterus", rank=Species.Rank.GENUS)
    species_level = make_sighting()
    genus_level = make_sighting(color=factories.GREEN)
    identification_set_species(sighting=genus_level, species=genus, user=moderator)
    genus_level.refresh_from_db()
    assert genus_level.species == genus
    # A genus is never "verified": asking for every rank goes with every grade.
    species_only = archive(researcher, DATASET_URL, quality_grade="any")
    assert set(labels(species_only)) == {str(species_level.pk)}
    # An empty-looking dataset says why: the genus-level one was left out, and how to have it.
    assert "identified above species rank (ranks=any adds them): 1" in species_only.read("README").decode()
    rows = labels(archive(researcher, DATASET_URL, ranks="any", quality_grade="any"))
    assert (
        rows[str(genus_level.pk)]["label"] == "micropterus"
        and rows[str(genus_level.pk)]["taxon_rank"] == "genus"
    )


def test_negatives_only_when_asked(make_sighting, researcher):
    bass = make_sighting()
    rejected = make_sighting(color=factories.BLUE)
    assert rejected.status == Sighting.Status.REJECTED and rejected.species is None
    assert set(labels(archive(researcher, DATASET_URL))) == {str(bass.pk)}
    readme = archive(researcher, DATASET_URL, quality_grade="any").read("README").decode()
    assert "rejected by the classifier, named by nobody (negatives=true adds them): 1" in readme
    zipped = archive(researcher, DATASET_URL, negatives="true")
    row = labels(zipped)[str(rejected.pk)]
    assert row["label"] == "not_fish" and row["scientific_name"] == "" and row["quality_grade"] != "verified"
    assert f"{row['split']}/not_fish/{rejected.pk}.jpg" in zipped.namelist()
    assert "nobody identified" in zipped.read("README").decode()


@pytest.mark.parametrize(
    ("option", "value"), [("negatives", "maybe"), ("ranks", "genus"), ("split_seed", "x")]
)
def test_bad_options_are_refused(researcher, option, value):
    from .helpers import get

    response = get(researcher, DATASET_URL, **{option: value})
    assert response.status_code == 400 and option in response.json()


def test_split_proportions_and_seed_dependence():
    groups = [f"catch:{uuid.UUID(int=number)}" for number in range(2000)]
    seven = [split_of(group=group, seed=7) for group in groups]
    assert seven == [split_of(group=group, seed=7) for group in groups]
    assert 0.75 < seven.count("train") / len(groups) < 0.85
    assert 0.07 < seven.count("test") / len(groups) < 0.13
    assert 0.07 < seven.count("validation") / len(groups) < 0.13
    assert seven != [split_of(group=group, seed=8) for group in groups]
