from datetime import date

import pytest

from regulations.dayspecs import DaySpecError, day_spec_describe, day_spec_resolve, period_occurrence


@pytest.mark.parametrize(
    "year, expected",
    [
        (2023, date(2023, 6, 24)),
        (2024, date(2024, 6, 29)),
        (2025, date(2025, 6, 28)),
        (2026, date(2026, 6, 27)),
    ],
)
def test_last_saturday_of_june_moves_with_the_year(year, expected):
    assert day_spec_resolve("last-sat-06", year) == expected
    assert expected.weekday() == 5


def test_fourth_saturday_and_first_monday():
    assert day_spec_resolve("fourth-sat-06", 2025) == date(2025, 6, 28)
    assert day_spec_resolve("fourth-sat-06", 2024) == date(2024, 6, 22)
    assert day_spec_resolve("first-mon-09", 2025) == date(2025, 9, 1)


def test_february_29_falls_on_the_28th_in_common_years():
    assert day_spec_resolve("02-29", 2025) == date(2025, 2, 28)
    assert day_spec_resolve("02-29", 2024) == date(2024, 2, 29)


def test_period_wrapping_the_year_end():
    spec = {"start": "12-01", "end": "02-15"}
    assert period_occurrence(**spec, on_date=date(2025, 12, 24)) == (date(2025, 12, 1), date(2026, 2, 15))
    assert period_occurrence(**spec, on_date=date(2026, 1, 10)) == (date(2025, 12, 1), date(2026, 2, 15))
    assert period_occurrence(**spec, on_date=date(2026, 2, 15)) is not None
    assert period_occurrence(**spec, on_date=date(2026, 2, 16)) is None
    assert period_occurrence(**spec, on_date=date(2025, 11, 30)) is None


def test_moving_end_includes_its_day_and_not_the_next():
    for year, last_saturday in ((2024, 29), (2025, 28), (2026, 27)):
        assert period_occurrence(start="05-01", end="last-sat-06", on_date=date(year, 6, last_saturday))
        assert (
            period_occurrence(start="05-01", end="last-sat-06", on_date=date(year, 6, last_saturday + 1))
            is None
        )


@pytest.mark.parametrize("spec", ["13-01", "02-30", "6-1", "last-sat-13", "fifth-sat-06", "", "last-xyz-06"])
def test_bad_specs_are_refused(spec):
    with pytest.raises(DaySpecError):
        day_spec_resolve(spec, 2025)


def test_descriptions_are_plain_words():
    assert day_spec_describe("last-sat-06") == "the last Saturday in June"
    assert day_spec_describe("05-01") == "May 1"
