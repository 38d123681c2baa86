"""Local times in exports: the observer's offset for those who see the true place, the shown
place's time zone for the rest, and none for a withheld place (the Time item of issue 16)."""

from datetime import UTC, datetime

import pytest

from regulations.time_zones import offset_at
from sightings.models import Sighting

from .helpers import DWCA_URL, archive, csv_rows, geojson
from .test_dwca import records

pytestmark = pytest.mark.django_db

# 23:30 on June 1 in Cleveland (EDT, -04:00) is 03:30 UTC on June 2.
EVENING = datetime(2026, 6, 2, 3, 30, tzinfo=UTC)
# This 0.2-degree cell in Indiana straddles the Central/Eastern boundary (about 86.93 W at 41.1 N).
WEST_OF_BOUNDARY = {"latitude": 41.1, "longitude": -86.97}
EAST_OF_BOUNDARY = {"latitude": 41.1, "longitude": -86.85}


def test_an_evening_catch_keeps_its_local_day_in_every_format(make_sighting, trusted_researcher):
    sighting = make_sighting(latitude=41.5, longitude=-81.69, observed_at=EVENING)
    key = str(sighting.pk)
    row = csv_rows(trusted_researcher)[key]
    assert row["observed_at"] == "2026-06-02T03:30:00Z"
    assert row["observed_at_local"] == "2026-06-01T23:30:00-04:00"
    feature = next(f for f in geojson(trusted_researcher)["features"] if f["id"] == key)
    assert feature["properties"]["observed_at_local"] == "2026-06-01T23:30:00-04:00"
    record = records(archive(trusted_researcher, DWCA_URL, coordinates="true"))[key]
    assert record["eventDate"] == "2026-06-01T23:30:00-04:00"


def test_the_observers_offset_is_shown_only_with_the_true_place(
    make_sighting, researcher, trusted_researcher
):
    # The observer's clock says +10:00 (a phone still on Brisbane time): only a viewer of the true
    # place learns it; a researcher shown the cell gets the shown point's zone instead.
    sighting = make_sighting(
        latitude=41.5, longitude=-81.69, geoprivacy=Sighting.Geoprivacy.OBSCURED, observed_at=EVENING
    )
    Sighting.objects.filter(pk=sighting.pk).update(utc_offset_minutes=600)
    key = str(sighting.pk)
    assert csv_rows(trusted_researcher)[key]["observed_at_local"] == "2026-06-02T13:30:00+10:00"
    shown = csv_rows(researcher)[key]
    assert shown["coordinates"] == "generalized"
    assert shown["observed_at_local"] == "2026-06-01T23:30:00-04:00"


def test_a_cell_across_a_time_zone_boundary_tells_nothing_of_the_side(
    make_sighting, researcher, trusted_researcher
):
    made = [
        make_sighting(**side, geoprivacy=Sighting.Geoprivacy.OBSCURED, observed_at=EVENING)
        for side in (WEST_OF_BOUNDARY, EAST_OF_BOUNDARY)
    ]
    true_offsets = [csv_rows(trusted_researcher)[str(s.pk)]["observed_at_local"][-6:] for s in made]
    assert true_offsets == ["-05:00", "-04:00"], "the two true places lie in different zones"
    rows = csv_rows(researcher)
    for sighting in made:
        row = rows[str(sighting.pk)]
        assert row["coordinates"] == "generalized"
        # The offset is a function of the shown point alone, whichever side the true place is on.
        shown_offset = offset_at(
            latitude=float(row["latitude"]), longitude=float(row["longitude"]), moment=EVENING
        )
        sign, hours, minutes = (
            "-" if shown_offset < 0 else "+",
            abs(shown_offset) // 60,
            abs(shown_offset) % 60,
        )
        assert row["observed_at_local"].endswith(f"{sign}{hours:02d}:{minutes:02d}")


def test_a_withheld_place_has_no_local_time(make_sighting, researcher):
    sighting = make_sighting(geoprivacy=Sighting.Geoprivacy.PRIVATE, observed_at=EVENING)
    key = str(sighting.pk)
    row = csv_rows(researcher)[key]
    assert row["coordinates"] == "withheld"
    assert (row["observed_at"], row["observed_at_local"]) == ("2026-06-02T03:30:00Z", "")
    assert records(archive(researcher, DWCA_URL))[key]["eventDate"] == "2026-06-02T03:30:00Z"
