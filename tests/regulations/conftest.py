import io
from datetime import date

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command

from regulations.models import Authority, Region, Regulation, Season, Species

CHECKED = date(2026, 1, 15)


def square_region(code, bbox, *, kind=Region.Kind.STATE_WATERS, parent=None, authority=None, name=None):
    return Region.objects.create(
        code=code,
        name=name or code.replace("-", " ").title(),
        kind=kind,
        parent=parent,
        authority=authority,
        geometry=MultiPolygon(Polygon.from_bbox(bbox), srid=4326),
    )


def rule(region, code, species, *, seasons=(), **values):
    values.setdefault("source_url", "https://example.org/rules")
    values.setdefault("last_checked", CHECKED)
    regulation = Regulation.objects.create(region=region, code=code, **values)
    regulation.species.set(species if isinstance(species, (list, tuple)) else [species])
    for kind, start, end, *extra in seasons:
        Season.objects.create(
            regulation=regulation, kind=kind, start=start, end=end, daily_bag_limit=(extra or [None])[0]
        )
    return regulation


@pytest.fixture
def authority():
    return Authority.objects.create(name="Test Wildlife Agency")


@pytest.fixture
def world(authority):
    """West (0..10 x 0..10) holding a Bay (2..4 x 2..4) zone; East (10..20 x 0..10) shares West's
    border x=10."""
    west = square_region("west", (0, 0, 10, 10), authority=authority)
    bay = square_region("west-bay", (2, 2, 4, 4), kind=Region.Kind.ZONE, parent=west, authority=authority)
    east = square_region("east", (10, 0, 20, 10), authority=authority)
    return {"west": west, "bay": bay, "east": east}


@pytest.fixture
def bass(db):
    return Species.objects.create(
        scientific_name="Micropterus dolomieu", common_name="smallmouth bass", family="Centrarchidae"
    )


@pytest.fixture
def goby(db):
    return Species.objects.create(
        scientific_name="Neogobius melanostomus", common_name="round goby", family="Gobiidae"
    )


@pytest.fixture
def demo(db):
    call_command("load_demo_data", stdout=io.StringIO())
