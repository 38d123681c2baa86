"""The grid that hides places: each sighting's 0.2-degree cell and the point shown for it.

An obscured place is reported as a point in its fixed 0.2-degree grid cell: random, but the same
every time for one sighting (seeded by its id and a server secret, and stored with the sighting),
so repeated exports cannot be averaged back to the true spot. Who sees which place is decided in
`sightings.visibility`, from these stored values alone.
"""

import hashlib
import hmac
import math

from django.conf import settings
from django.contrib.gis.geos import Point, Polygon

CELL_DEGREES = 0.2
EARTH_METRES_PER_DEGREE = 111_320.0


def _unit_floats(seed: str) -> tuple[float, float]:
    digest = hmac.new(settings.SECRET_KEY.encode(), seed.encode(), hashlib.sha256).digest()
    first = int.from_bytes(digest[:8], "big") / 2**64
    second = int.from_bytes(digest[8:16], "big") / 2**64
    return first, second


def obscured_point(*, latitude: float, longitude: float, seed: str) -> tuple[float, float]:
    """A stable pseudo-random point inside the 0.2-degree cell holding (latitude, longitude)."""
    west, south, _, _ = cell_bounds(latitude=latitude, longitude=longitude)
    u, v = _unit_floats(seed)
    # Rounding must not carry the point over the cell's north or east edge into the next cell.
    inside = CELL_DEGREES - 1e-5
    return round(south + min(u * CELL_DEGREES, inside), 5), round(west + min(v * CELL_DEGREES, inside), 5)


def cell_bounds(*, latitude: float, longitude: float) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the grid cell holding the point."""
    south = math.floor(latitude / CELL_DEGREES) * CELL_DEGREES
    west = math.floor(longitude / CELL_DEGREES) * CELL_DEGREES
    return west, south, west + CELL_DEGREES, south + CELL_DEGREES


def cell_of(*, location: Point, seed: str) -> tuple[Polygon, Point]:
    """The cell holding `location` and the stable point shown for it."""
    latitude, longitude = location.y, location.x
    cell = Polygon.from_bbox(cell_bounds(latitude=latitude, longitude=longitude))
    cell.srid = 4326
    shown_latitude, shown_longitude = obscured_point(latitude=latitude, longitude=longitude, seed=seed)
    return cell, Point(x=shown_longitude, y=shown_latitude, srid=4326)


def cell_uncertainty_m(*, latitude: float) -> int:
    """Radius that covers the whole cell from any point in it: its diagonal.

    Computed at the cell's middle latitude, so that it tells nothing of where in the cell the
    true point lies.
    """
    latitude = math.floor(latitude / CELL_DEGREES) * CELL_DEGREES + CELL_DEGREES / 2
    height = CELL_DEGREES * EARTH_METRES_PER_DEGREE
    width = CELL_DEGREES * EARTH_METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.0)
    return round(math.hypot(height, width))
