"""Yearly recurring days written as text, as the season rules of an authority name them.

A day spec is either "MM-DD" (a fixed day; "02-29" falls on February 28 in common years) or
"<nth>-<weekday>-MM" for a moving day, e.g. "last-sat-06" (the last Saturday in June) or
"fourth-sat-06". nth is first, second, third, fourth or last; weekday mon..sun.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = ("first", "second", "third", "fourth", "last")

_FIXED = re.compile(r"^(\d{2})-(\d{2})$")
_MOVING = re.compile(r"^(first|second|third|fourth|last)-(mon|tue|wed|thu|fri|sat|sun)-(\d{2})$")


class DaySpecError(ValueError):
    pass


@dataclass(frozen=True)
class DaySpec:
    month: int
    day: int | None = None
    ordinal: str | None = None
    weekday: int | None = None


def day_spec_parse(spec: str) -> DaySpec:
    text = (spec or "").strip().lower()
    if match := _FIXED.match(text):
        month, day = int(match[1]), int(match[2])
        if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2024, month)[1]:
            raise DaySpecError(f'"{spec}" is not a day of the year.')
        return DaySpec(month=month, day=day)
    if match := _MOVING.match(text):
        month = int(match[3])
        if not 1 <= month <= 12:
            raise DaySpecError(f'"{spec}" names no month.')
        return DaySpec(month=month, ordinal=match[1], weekday=WEEKDAYS.index(match[2]))
    raise DaySpecError(f'"{spec}" is not a day spec: use "MM-DD" or e.g. "last-sat-06".')


def day_spec_resolve(spec: str, year: int) -> date:
    parsed = day_spec_parse(spec)
    last_day = calendar.monthrange(year, parsed.month)[1]
    if parsed.day is not None:
        return date(year, parsed.month, min(parsed.day, last_day))
    assert parsed.weekday is not None  # not a fixed day, so a moving one: it names a weekday
    if parsed.ordinal == "last":
        end = date(year, parsed.month, last_day)
        return end - timedelta(days=(end.weekday() - parsed.weekday) % 7)
    first = date(year, parsed.month, 1)
    first_match = first + timedelta(days=(parsed.weekday - first.weekday()) % 7)
    return first_match + timedelta(weeks=ORDINALS.index(parsed.ordinal))


def day_spec_describe(spec: str) -> str:
    parsed = day_spec_parse(spec)
    month = calendar.month_name[parsed.month]
    if parsed.day is not None:
        return f"{month} {parsed.day}"
    assert parsed.weekday is not None  # not a fixed day, so a moving one: it names a weekday
    return f"the {parsed.ordinal} {WEEKDAY_NAMES[parsed.weekday]} in {month}"


def period_occurrence(*, start: str, end: str, on_date: date) -> tuple[date, date] | None:
    """The dates of the occurrence of the yearly period start..end (both included) that holds
    on_date, or None. A period whose end comes before its start wraps the year end."""
    year = on_date.year
    this_start, this_end = day_spec_resolve(start, year), day_spec_resolve(end, year)
    if this_start <= this_end:
        return (this_start, this_end) if this_start <= on_date <= this_end else None
    if on_date >= this_start:
        return this_start, day_spec_resolve(end, year + 1)
    if on_date <= this_end:
        return day_spec_resolve(start, year - 1), this_end
    return None
