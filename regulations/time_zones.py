"""The time zone of a place, from the boundaries timezonefinder ships (no network), and local times.

Offsets are minutes east of UTC, the way ISO 8601 writes them (-240 is -04:00).
"""

import threading
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from timezonefinder import TimezoneFinder

# The widest offsets in use are -12:00 and +14:00; these bounds leave room for the historical ones.
OFFSET_MINUTES_MIN = -15 * 60
OFFSET_MINUTES_MAX = 15 * 60

_lock = threading.Lock()


@cache
def _finder() -> TimezoneFinder:
    return TimezoneFinder()


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_at(*, latitude: float, longitude: float) -> ZoneInfo | None:
    """The IANA time zone of a point (at sea, the nautical zone Etc/GMT±N); None where unknown."""
    with _lock:
        name = _finder().timezone_at(lng=float(longitude), lat=float(latitude))
    return _zone(name) if name else None


def offset_at(*, latitude: float, longitude: float, moment: datetime) -> int | None:
    """The UTC offset in minutes of the point's local time at `moment` (an aware datetime)."""
    zone = zone_at(latitude=latitude, longitude=longitude)
    if zone is None:
        return None
    return offset_minutes(moment.astimezone(zone))


def offset_minutes(moment: datetime) -> int | None:
    """The UTC offset of an aware datetime in whole minutes (None for a naive one)."""
    offset = moment.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def local_time(moment: datetime, offset: int | None) -> datetime:
    """`moment` as the local time at `offset` minutes east of UTC (in UTC when the offset is None)."""
    if offset is None:
        return moment.astimezone(UTC)
    return moment.astimezone(timezone(timedelta(minutes=offset)))
