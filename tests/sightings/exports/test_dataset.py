"""The ML dataset: layout, labels, README counts, no EXIF, a deterministic split."""

import csv
import io
import uuid

import pytest
from PIL import Image

from sightings.exports.dataset_export import split_of
from tests import factories

from .helpers import DATASET_URL, archive

pytestmark = pytest.mark.django_db


def labels(zipped):
    return {
        row["sighting_id"]: row for row in csv.DictReader(io.StringIO(zipped.read("labels.csv").decode()))
    }


def test_layout_labels_and_readme(make_sighting, researcher):
    gps = factories.exif_with_gps(latitude=41.123456, longitude=-81.654321)
    bass = make_sighting(exif=gps, license="cc0")
    walleye = make_sighting(color=factories.GREEN)
    unpublished = make_sighting(publish=False)
    zipped = archive(researcher, DATASET_URL)
    assert set(zipped.namelist()) == {
        f"images/micropterus_salmoides/{bass.pk}.jpg",
        f"images/sander_vitreus/{walleye.pk}.jpg",
        "labels.csv",
        "README",
    }
    rows = labels(zipped)
    assert set(rows) == {str(bass.pk), str(walleye.pk)}
    assert rows[str(bass.pk)]["label"] == "micropterus_salmoides" and rows[str(bass.pk)]["license"] == "cc0"
    assert "split" not in rows[str(bass.pk)]
    readme = zipped.read("README").decode()
    assert "Images: 2" in readme and "micropterus_salmoides: 1" in readme and "sander_vitreus: 1" in readme
    assert "Skipped sightings: 1" in readme and "no public photo yet: 1" in readme
    assert "cc0: 1" in readme and "cc-by: 1" in readme and "Coordinates: generalized" in readme
    assert str(unpublished.pk) not in zipped.read("labels.csv").decode()
    image_bytes = zipped.read(f"images/micropterus_salmoides/{bass.pk}.jpg")
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
    assert zipped.namelist() == ["labels.csv", "README"]
    assert "public photo carries metadata: 1" in zipped.read("README").decode()


def test_split_is_deterministic_by_seed(make_sighting, researcher):
    for _ in range(3):
        make_sighting()
    first = {pk: row["split"] for pk, row in labels(archive(researcher, DATASET_URL, split_seed=7)).items()}
    again = {pk: row["split"] for pk, row in labels(archive(researcher, DATASET_URL, split_seed=7)).items()}
    assert first == again and set(first.values()) <= {"train", "val", "test"}
    assert all(split == split_of(sighting_id=pk, seed=7) for pk, split in first.items())


def test_split_proportions_and_seed_dependence():
    ids = [uuid.UUID(int=number) for number in range(2000)]
    seven = [split_of(sighting_id=pk, seed=7) for pk in ids]
    assert seven == [split_of(sighting_id=pk, seed=7) for pk in ids]
    assert 0.75 < seven.count("train") / len(ids) < 0.85
    assert 0.07 < seven.count("test") / len(ids) < 0.13
    assert seven != [split_of(sighting_id=pk, seed=8) for pk in ids]
