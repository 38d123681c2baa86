from datetime import UTC, datetime, timedelta, timezone

import pytest

from regulations.time_zones import local_time, offset_at, offset_minutes, zone_at

CLEVELAND = {"latitude": 41.5, "longitude": -81.69}
PERTH = {"latitude": -31.95, "longitude": 115.86}


def test_the_zone_of_a_place_follows_its_daylight_saving_time():
    assert str(zone_at(**CLEVELAND)) == "America/New_York"
    assert offset_at(**CLEVELAND, moment=datetime(2026, 6, 1, 12, tzinfo=UTC)) == -240
    assert offset_at(**CLEVELAND, moment=datetime(2026, 1, 15, 12, tzinfo=UTC)) == -300
    assert offset_at(**PERTH, moment=datetime(2026, 6, 1, 12, tzinfo=UTC)) == 480


def test_the_open_sea_has_a_nautical_zone():
    # Mid-Atlantic, about 40 degrees west: UTC-3 (Etc/GMT+3, whose sign POSIX inverts).
    assert offset_at(latitude=30.0, longitude=-40.0, moment=datetime(2026, 6, 1, tzinfo=UTC)) == -180


def test_local_time_keeps_the_moment():
    moment = datetime(2026, 6, 2, 3, 30, tzinfo=UTC)
    evening = local_time(moment, -240)
    assert evening == moment
    assert (evening.date().isoformat(), evening.hour) == ("2026-06-01", 23)
    assert local_time(moment, None).tzinfo == UTC


@pytest.mark.parametrize(("offset", "minutes"), [(timedelta(hours=-4), -240), (timedelta(minutes=345), 345)])
def test_offset_minutes(offset, minutes):
    assert offset_minutes(datetime(2026, 6, 1, tzinfo=timezone(offset))) == minutes
    assert offset_minutes(datetime(2026, 6, 1)) is None
