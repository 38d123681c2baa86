"""One written form per kind of value, the same in every export."""

from datetime import UTC, datetime

from regulations.time_zones import local_time


def moment_text(moment: datetime | None) -> str:
    """ISO 8601 in UTC to the second, with a Z: 2026-06-01T08:30:00Z ("" for none)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def local_moment_text(moment: datetime | None, offset: int | None) -> str:
    """ISO 8601 local time to the second with its UTC offset, 2026-06-01T20:30:00-04:00 ("" when
    the offset is unknown or may not be shown)."""
    if moment is None or offset is None:
        return ""
    return local_time(moment, offset).replace(microsecond=0).isoformat()


def number(value) -> float | None:
    """A decimal as a JSON number (never a string), or None."""
    return None if value is None else float(value)
