"""Property-based fuzzing of the API with hypothesis: whatever comes in, no answer is a 5xx."""

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sightings.models import Sighting
from sightings.services.submission import LENGTH_CM_MAX, LENGTH_CM_MIN, sighting_submit
from tests import factories
from tests.conftest import token_client

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

junk_text = st.text(max_size=80) | st.sampled_from(
    [
        "",
        "nan",
        "inf",
        "-0",
        "1e400",
        "41.5",
        "-181",
        "2026-02-30T25:61:00Z",
        "null",
        "[]",
        "{}",
        "\x00",
        "%00",
        "' OR 1=1 --",
        "<script>",
        "../../etc/passwd",
        "9" * 400,
    ]
)
numberish = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str), st.integers().map(str), junk_text
)
photos = st.one_of(
    st.binary(max_size=2048),
    st.just(factories.photo_bytes()),
    st.builds(
        lambda data, cut: data[:cut], st.just(factories.photo_bytes(size=(120, 90))), st.integers(0, 3000)
    ),
)


@pytest.mark.django_db
@FUZZ
@given(
    photo=st.none() | photos,
    latitude=st.none() | numberish,
    longitude=st.none() | numberish,
    observed_at=st.none() | junk_text | st.datetimes().map(lambda d: d.isoformat()),
    length_cm=st.none() | numberish,
    geoprivacy=st.none() | st.sampled_from(["open", "obscured", "private"]) | junk_text,
    notes=st.none() | st.text(max_size=300),
)
def test_submissions_never_answer_5xx(
    angler, photo, latitude, longitude, observed_at, length_cm, geoprivacy, notes
):
    payload = {
        key: value
        for key, value in {
            "latitude": latitude,
            "longitude": longitude,
            "observed_at": observed_at,
            "length_cm": length_cm,
            "geoprivacy": geoprivacy,
            "notes": notes,
        }.items()
        if value is not None
    }
    payload = {key: value.replace("\x00", "") for key, value in payload.items()}
    if photo is not None:
        handle = io.BytesIO(photo)
        handle.name = "fuzz.jpg"
        payload["photo"] = handle
    before = Sighting.objects.count()
    response = token_client(angler).post("/api/v1/sightings/", payload, format="multipart")
    assert response.status_code < 500, response.content[:300]
    if response.status_code == 400:
        assert Sighting.objects.count() == before
        assert response.json()


# Any JSON value, nested a little; and raw bodies that are not JSON, or JSON nested far too deep.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | junk_text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(junk_text, children, max_size=4),
    max_leaves=20,
)
json_bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "notes": json_values,
            "length_cm": json_values | numberish,
            "license": json_values | junk_text,
            "geoprivacy": json_values | st.sampled_from(["open", "obscured", "private"]),
            "photo_url": json_values,
            "latitude": json_values | numberish,
            "observed_at": json_values | junk_text,
        },
    ).map(json.dumps),
    json_values.map(json.dumps),
    st.integers(1, 200_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 50_000).map(lambda depth: '{"notes": ' * depth + "1" + "}" * depth),
    junk_text,
)


@pytest.mark.django_db
@FUZZ
@given(body=json_bodies)
def test_json_submissions_never_answer_5xx(angler, body):
    before = Sighting.objects.count()
    client = token_client(angler)
    response = client.generic("POST", "/api/v1/sightings/", body, content_type="application/json")
    assert response.status_code < 500, response.content[:300]
    if response.status_code == 400:
        assert Sighting.objects.count() == before
        assert response.json()


@pytest.mark.django_db
@FUZZ
@given(body=json_bodies)
def test_patches_never_answer_5xx_and_a_refused_one_changes_nothing(angler, body):
    sighting = Sighting.objects.filter(owner=angler).first() or sighting_submit(
        owner=angler,
        photo=factories.photo_bytes(),
        latitude=41.5,
        longitude=-81.7,
        observed_at=factories.aware(2026, 6, 1, 8, 30),
    )
    sighting.refresh_from_db()
    before = (sighting.notes, sighting.geoprivacy, sighting.license, sighting.length_cm)
    response = token_client(angler).generic(
        "PATCH", f"/api/v1/sightings/{sighting.pk}/", body, content_type="application/json"
    )
    assert response.status_code < 500, response.content[:300]
    sighting.refresh_from_db()
    if response.status_code == 400:
        assert response.json()
        assert (sighting.notes, sighting.geoprivacy, sighting.license, sighting.length_cm) == before
    if sighting.length_cm is not None:
        assert LENGTH_CM_MIN <= sighting.length_cm <= LENGTH_CM_MAX


@pytest.mark.django_db
@FUZZ
@given(
    latitude=numberish,
    longitude=numberish,
    species=junk_text,
    date=junk_text | st.dates().map(str),
    length=st.none() | numberish,
)
def test_regulations_lookup_never_answers_5xx(latitude, longitude, species, date, length):
    params = {"latitude": latitude, "longitude": longitude, "species": species, "date": date}
    if length is not None:
        params["length_cm"] = length
    params = {key: value.replace("\x00", "") for key, value in params.items()}
    response = token_client(None).get("/api/v1/regulations/", params)
    assert response.status_code in (200, 400), response.content[:300]


@pytest.mark.django_db
@FUZZ
@given(
    fmt=st.sampled_from(["sightings.csv", "sightings.geojson", "dwca.zip", "dataset.zip"]),
    params=st.dictionaries(
        st.sampled_from(
            [
                "species",
                "quality_grade",
                "observed_from",
                "observed_to",
                "bbox",
                "region",
                "model_version",
                "license",
                "split_seed",
                "page",
            ]
        ),
        junk_text,
        max_size=4,
    ),
)
def test_export_filters_never_answer_5xx(researcher, fmt, params):
    params = {key: value.replace("\x00", "") for key, value in params.items()}
    response = token_client(researcher).get(f"/api/v1/exports/{fmt}", params)
    assert response.status_code in (200, 400, 413), getattr(response, "content", b"")[:300]
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
