"""What each viewer may learn of a sighting's place.

Obscured places are reported as a point in their fixed 0.2-degree grid cell: random, but the
same every time for one sighting (seeded by its id and a server secret), so repeated exports
cannot be averaged back to the true spot.
"""

import hashlib
import hmac
import math
from dataclasses import dataclass

from django.conf import settings

CELL_DEGREES = 0.2
EARTH_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class PublicLocation:
    latitude: float | None
    longitude: float | None
    uncertainty_m: float | None
    obscured: bool
    withheld: bool


def _unit_floats(seed):
    digest = hmac.new(settings.SECRET_KEY.encode(), seed.encode(), hashlib.sha256).digest()
    first = int.from_bytes(digest[:8], "big") / 2**64
    second = int.from_bytes(digest[8:16], "big") / 2**64
    return first, second


def obscured_point(*, latitude, longitude, seed):
    """A stable pseudo-random point inside the 0.2-degree cell holding (latitude, longitude)."""
    south = math.floor(latitude / CELL_DEGREES) * CELL_DEGREES
    west = math.floor(longitude / CELL_DEGREES) * CELL_DEGREES
    u, v = _unit_floats(seed)
    return round(south + u * CELL_DEGREES, 5), round(west + v * CELL_DEGREES, 5)


def cell_uncertainty_m(*, latitude):
    """Radius that covers the whole cell from any point in it: its diagonal."""
    height = CELL_DEGREES * EARTH_METRES_PER_DEGREE
    width = CELL_DEGREES * EARTH_METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.0)
    return round(math.hypot(height, width))


def public_location(*, sighting, true_location_allowed, force_obscure=False):
    """The location a viewer may see: exact, obscured to its cell, or withheld."""
    point = sighting.location
    if point is None:
        return PublicLocation(None, None, None, obscured=False, withheld=False)
    latitude, longitude = point.y, point.x
    if true_location_allowed:
        return PublicLocation(latitude, longitude, sighting.location_accuracy_m, obscured=False, withheld=False)
    if sighting.geoprivacy == sighting.Geoprivacy.PRIVATE:
        return PublicLocation(None, None, None, obscured=False, withheld=True)
    if sighting.geoprivacy == sighting.Geoprivacy.OBSCURED or force_obscure:
        lat, lon = obscured_point(latitude=latitude, longitude=longitude, seed=str(sighting.pk))
        uncertainty = cell_uncertainty_m(latitude=latitude)
        if sighting.location_accuracy_m:
            uncertainty = max(uncertainty, round(sighting.location_accuracy_m))
        return PublicLocation(lat, lon, uncertainty, obscured=True, withheld=False)
    return PublicLocation(latitude, longitude, sighting.location_accuracy_m, obscured=False, withheld=False)
