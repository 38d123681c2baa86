"""Sightings for the export tests, made the way the platform makes them."""

import pytest

from sightings.models import Sighting
from sightings.services.classification import sighting_classify
from sightings.services.identifications import identification_set_species
from sightings.services.public_photos import sighting_publish_photo
from sightings.services.submission import sighting_submit
from tests import factories


def sighting_make(
    *,
    owner,
    moderator=None,
    color=factories.RED,
    latitude=41.5,
    longitude=-81.69,
    geoprivacy="open",
    license="cc-by",
    observed_at=None,
    exif=None,
    verify=True,
    publish=True,
    classify=True,
    **fields,
):
    """Submit, classify, publish the EXIF-free copy and (by default) let a moderator verify it."""
    sighting = sighting_submit(
        owner=owner,
        photo=factories.photo_bytes(color, exif=exif),
        latitude=latitude,
        longitude=longitude,
        observed_at=observed_at or factories.aware(2026, 6, 1, 8, 0),
        geoprivacy=geoprivacy,
        license=license,
        **fields,
    )
    if classify:
        sighting_classify(sighting_id=sighting.pk)
    if publish:
        sighting_publish_photo(sighting_id=sighting.pk)
    sighting.refresh_from_db()
    if verify and moderator is not None and sighting.species is not None:
        identification_set_species(sighting=sighting, species=sighting.species, user=moderator)
    sighting.refresh_from_db()
    return sighting


@pytest.fixture
def make_sighting(angler, moderator, color_model):
    def make(**kwargs):
        kwargs.setdefault("owner", angler)
        kwargs.setdefault("moderator", moderator)
        return sighting_make(**kwargs)

    return make


@pytest.fixture
def three_sightings(make_sighting):
    """Open, obscured and private verified sightings at distinct places."""
    return {
        "open": make_sighting(latitude=41.501234, longitude=-81.701234, geoprivacy=Sighting.Geoprivacy.OPEN),
        "obscured": make_sighting(
            latitude=41.123456, longitude=-81.654321, geoprivacy=Sighting.Geoprivacy.OBSCURED
        ),
        "private": make_sighting(
            latitude=41.623456,
            longitude=-81.354321,
            geoprivacy=Sighting.Geoprivacy.PRIVATE,
            color=factories.GREEN,
        ),
    }
