"""The read model: what each viewer may see of a sighting, decided in one place."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Polygon

from sightings import geoprivacy
from sightings.models import Sighting
from sightings.visibility import (
    SeenPlace,
    Viewer,
    sighting_place,
    sighting_regulations,
    sighting_seen_by_owner,
    sightings_in_area,
    sightings_seen_by,
)
from tests import factories
from tests.sightings.exports.conftest import sighting_make

pytestmark = pytest.mark.django_db

PLACES = {
    "open": (41.501234, -81.701234),
    "obscured": (41.123456, -81.654321),
    "private": (41.623456, -81.354321),
}


@pytest.fixture
def sightings(angler, moderator, color_model):
    return {
        privacy: sighting_make(
            owner=angler, moderator=moderator, latitude=lat, longitude=lon, geoprivacy=privacy
        )
        for privacy, (lat, lon) in PLACES.items()
    }


def seen(viewer, sighting, **kwargs):
    return sightings_seen_by(viewer=viewer, queryset=Sighting.objects.filter(pk=sighting.pk), **kwargs).get()


EXACT_FOR_ALL = {"open": SeenPlace.EXACT, "obscured": SeenPlace.EXACT, "private": SeenPlace.EXACT}
HIDDEN = {"open": SeenPlace.EXACT, "obscured": SeenPlace.GENERALIZED, "private": SeenPlace.WITHHELD}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("angler", EXACT_FOR_ALL),
        ("moderator", EXACT_FOR_ALL),
        ("trusted_researcher", EXACT_FOR_ALL),
        ("researcher", HIDDEN),
        ("other_angler", HIDDEN),
        ("anonymous", HIDDEN),
    ],
)
def test_each_role_sees_the_place_it_may(sightings, role, expected, request):
    viewer = AnonymousUser() if role == "anonymous" else request.getfixturevalue(role)
    for privacy, sighting in sightings.items():
        row = seen(viewer, sighting)
        place = sighting_place(sighting=row)
        assert place.kind == expected[privacy], privacy
        true_latitude, true_longitude = PLACES[privacy]
        if place.kind == SeenPlace.EXACT:
            assert (place.latitude, place.longitude) == pytest.approx((true_latitude, true_longitude))
        elif place.kind == SeenPlace.GENERALIZED:
            assert (place.latitude, place.longitude) == (sighting.cell_point.y, sighting.cell_point.x)
            assert (place.latitude, place.longitude) != pytest.approx((true_latitude, true_longitude))
            assert sighting.cell.contains(sighting.cell_point) and sighting.cell.contains(sighting.location)
        else:
            assert place.latitude is place.longitude is place.uncertainty_m is None


def test_the_shown_point_is_the_one_always_computed_for_the_sighting(sightings):
    sighting = sightings["obscured"]
    assert (sighting.cell_point.y, sighting.cell_point.x) == geoprivacy.obscured_point(
        latitude=sighting.location.y, longitude=sighting.location.x, seed=str(sighting.pk)
    )


def test_the_shown_point_never_rounds_into_the_next_cell(monkeypatch):
    monkeypatch.setattr(geoprivacy, "_unit_floats", lambda seed: (0.9999999999, 0.9999999999))
    latitude, longitude = geoprivacy.obscured_point(latitude=41.1, longitude=-81.7, seed="x")
    assert geoprivacy.cell_bounds(latitude=latitude, longitude=longitude) == geoprivacy.cell_bounds(
        latitude=41.1, longitude=-81.7
    )


def test_the_uncertainty_of_a_generalized_place_tells_nothing_of_the_true_latitude(
    angler, moderator, researcher, color_model
):
    south = sighting_make(
        owner=angler, moderator=moderator, latitude=41.0001, longitude=-81.5, geoprivacy="obscured"
    )
    north = sighting_make(
        owner=angler, moderator=moderator, latitude=41.1999, longitude=-81.5, geoprivacy="obscured"
    )
    places = [sighting_place(sighting=seen(researcher, sighting)) for sighting in (south, north)]
    assert places[0].uncertainty_m == places[1].uncertainty_m > 20_000


def test_only_the_owner_is_sent_the_original_photo(sightings, angler, moderator, researcher):
    sighting = sightings["open"]
    assert seen(angler, sighting).seen_photo == sighting.photo.name
    assert seen(angler, sighting, originals=False).seen_photo == sighting.public_photo.name
    for viewer in (moderator, researcher, AnonymousUser()):
        assert seen(viewer, sighting).seen_photo == sighting.public_photo.name != sighting.photo.name


def test_place_filters_match_the_shown_point_only(sightings, researcher, trusted_researcher, angler):
    obscured = sightings["obscured"]
    true_latitude, true_longitude = PLACES["obscured"]
    around_true = Polygon.from_bbox(
        (true_longitude - 1e-4, true_latitude - 1e-4, true_longitude + 1e-4, true_latitude + 1e-4)
    )
    shown = obscured.cell_point
    around_shown = Polygon.from_bbox((shown.x - 1e-4, shown.y - 1e-4, shown.x + 1e-4, shown.y + 1e-4))
    everything = Polygon.from_bbox((-180, -90, 180, 90))

    def found(viewer, area):
        return set(
            sightings_in_area(queryset=Sighting.objects.all(), viewer=viewer, area=area).values_list(
                "pk", flat=True
            )
        )

    assert obscured.pk not in found(researcher, around_true)
    assert obscured.pk in found(researcher, around_shown)
    assert obscured.pk in found(trusted_researcher, around_true)
    assert obscured.pk in found(angler, around_true)  # the owner's own
    assert sightings["private"].pk not in found(researcher, everything)
    assert sightings["private"].pk in found(trusted_researcher, everything)


def test_a_page_of_any_size_runs_the_same_number_of_queries(
    angler, moderator, researcher, color_model, django_assert_num_queries
):
    sighting_make(owner=angler, moderator=moderator, geoprivacy="obscured")

    viewer = Viewer.of(researcher)

    def read():
        return list(sightings_seen_by(viewer=viewer).values("pk", "seen_place", "seen_latitude", "top_label"))

    with django_assert_num_queries(2) as one:  # the sensitive regulations, then the rows
        read()
    for index in range(5):
        sighting_make(owner=angler, moderator=moderator, latitude=41.0 + index / 10, geoprivacy="obscured")
    with django_assert_num_queries(len(one.captured_queries)):
        rows = read()
    assert len(rows) == 6 and {row["seen_place"] for row in rows} == {SeenPlace.GENERALIZED}
    assert {row["top_label"] for row in rows} == {"micropterus_salmoides"}


def test_the_top_prediction_is_the_newest_classification_s(sightings, moderator):
    row = seen(moderator, sightings["open"])
    classification = sightings["open"].classifications.order_by("-created_at").first()
    top = classification.predictions.get(rank=1)
    assert (row.top_label, row.top_species_id, row.top_model_version_id) == (
        top.label,
        top.species_id,
        classification.model_version_id,
    )


def test_regulations_are_those_of_the_place_the_viewer_is_shown(sightings, researcher, angler):
    obscured = sightings["obscured"]
    for viewer, (latitude, longitude) in (
        (angler, PLACES["obscured"]),
        (researcher, (obscured.cell_point.y, obscured.cell_point.x)),
    ):
        answer = sighting_regulations(sighting=seen(viewer, obscured))
        assert (answer["latitude"], answer["longitude"]) == pytest.approx((latitude, longitude))


def test_a_viewer_is_read_once_from_the_user(moderator, researcher):
    assert Viewer.of(moderator).sees_true_locations and Viewer.of(moderator).is_moderator
    assert not Viewer.of(researcher).sees_true_locations
    assert Viewer.of(AnonymousUser()) == Viewer(user_id=None, sees_true_locations=False, is_moderator=False)
    assert Viewer.of(factories.trusted_researcher()).sees_true_locations


ANNOTATIONS = (
    "seen_place",
    "seen_latitude",
    "seen_longitude",
    "seen_photo",
    "top_name",
    "top_label",
    "top_species_id",
    "top_model_version_id",
    "top_model_version_name",
)


@pytest.mark.parametrize("privacy", ["open", "obscured", "private"])
def test_the_owners_view_of_a_new_row_is_what_the_read_model_answers(angler, privacy):
    from sightings.services.submission import sighting_submit

    sighting = sighting_submit(
        owner=angler,
        photo=factories.photo_bytes(),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1, 8, 0),
        geoprivacy=privacy,
    )
    queried = seen(angler, sighting)
    in_memory = sighting_seen_by_owner(sighting=Sighting.objects.get(pk=sighting.pk))
    assert {name: getattr(in_memory, name) for name in ANNOTATIONS} == {
        name: getattr(queried, name) for name in ANNOTATIONS
    }
