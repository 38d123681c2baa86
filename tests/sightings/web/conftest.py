"""Fixtures of the web app's tests: plain static files, a sighting maker and rules at the test place."""

import os
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from regulations.models import Authority, Region, Regulation
from sightings.models import Sighting
from sightings.services.submission import sighting_submit
from tests import factories

from .browsing import browser, desk, phone, web  # noqa: F401  (the browser tests' fixtures)
from .place import LATITUDE, LONGITUDE

# Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

INVASIVE_ACTION = "do not release it alive; report it to the Test Wildlife Agency"


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Templates use {% static %}; the test settings have no collectstatic manifest to look names up in."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def bass_invasive_here(db, color_species):
    """A lake around the test place where the authority lists largemouth bass as invasive."""
    authority = Authority.objects.create(name="Test Wildlife Agency", url="https://example.org/")
    lake = Region.objects.create(
        code="test-lake",
        name="Test Lake",
        kind=Region.Kind.LAKE,
        authority=authority,
        geometry=MultiPolygon(Polygon.from_bbox((-82.5, 41.0, -81.0, 42.0)), srid=4326),
    )
    regulation = Regulation.objects.create(
        region=lake,
        code="largemouth-bass",
        status=Regulation.Status.INVASIVE,
        invasive_action=INVASIVE_ACTION,
        source_url="https://example.org/rules",
        last_checked=date(2026, 1, 15),
    )
    regulation.species.set([color_species["micropterus_salmoides"]])
    return regulation


@pytest.fixture
def bass_rules_in_inches(db, color_species):
    """An Ohio-like state around the test place whose bass rule is written in inches (14 in)."""
    state = Region.objects.create(
        code="test-state",
        name="Test State",
        kind=Region.Kind.STATE_WATERS,
        geometry=MultiPolygon(Polygon.from_bbox((-85.0, 38.0, -80.0, 42.5)), srid=4326),
    )
    regulation = Regulation.objects.create(
        region=state,
        code="black-bass",
        status=Regulation.Status.REGULATED,
        min_length_cm=Decimal("35.56"),
        length_unit=Regulation.LengthUnit.IN,
        source_url="https://example.org/state-rules",
        last_checked=date(2026, 1, 15),
    )
    regulation.species.set([color_species["micropterus_salmoides"]])
    return regulation


@pytest.fixture
def make_sighting(db, django_capture_on_commit_callbacks):
    """Submit a sighting through the service; with the `eager_tasks` fixture it is classified too."""

    def make(owner, *, color=factories.RED, latitude=LATITUDE, longitude=LONGITUDE, **fields):
        fields.setdefault("observed_at", factories.aware(2026, 6, 1, 8, 30))
        with django_capture_on_commit_callbacks(execute=True):
            sighting = sighting_submit(
                owner=owner,
                photo=factories.photo_bytes(color),
                latitude=latitude,
                longitude=longitude,
                **fields,
            )
        return Sighting.objects.get(pk=sighting.pk)

    return make


def true_point(sighting):
    point: Point = sighting.location
    return point.y, point.x
