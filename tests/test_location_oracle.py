"""The attacker's test: an untrusted researcher tries to recover hidden places through every path.

The researcher (group `researchers`: may export, may not see true locations) is shown an obscured
sighting, and an open sighting of a species a regulation marks sensitive there, as a stable point in
the 0.2-degree cell, and a private sighting with no place at all. Whatever they ask, every answer must
be a function of what they are shown: for a place filter, of which *shown* points lie in the area
(and, for generalized sightings, of which shown cells it touches, since the cell is public too),
never of where the true point lies.

Method, path by path (sync exports, the 413 answer, export jobs and their counters, the list
endpoints, the map, the detail pages): an oracle f(area) -> everything observable (status, headers,
body with the volatile parts removed, zip members, README lines, job counters and the job's file).
A family of boxes moves one edge (west, then south) from just short of the true coordinate to 0.55
degrees past it, in a thin band that holds the true point but never the shown one. Where f changes
between two boxes that hold the same shown points and touch the same shown cells, the attacker has
learned something finer than the cell: the step is bisected (12 halvings) to report the bound the
attacker learns. The sweep runs past the cell on purpose: a prefilter on the true place widened by a
margin puts its step a margin away from the true point, in the next cell. The same boxes are also
given as `region`, as small Region rows a moderator could draw. Small sensitive rules slid across each
cell check that the "sensitive species" decision depends on the cell only, and a sighting's rules and
warnings are checked to reach no one but its owner and moderators. Every answer is also searched for
the true coordinates.

Runs on both databases; jobs run eagerly in-process.
"""

import csv
import hashlib
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from itertools import count

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.test import Client, override_settings

from regulations.models import Region, Regulation
from sightings.geoprivacy import CELL_DEGREES
from tests import factories
from tests.conftest import token_client
from tests.sightings.exports.conftest import sighting_make
from tests.sightings.exports.helpers import (
    CSV_URL,
    DATASET_URL,
    DWCA_URL,
    GEOJSON_URL,
    content,
    dataset_metadata,
    download,
    region_make,
    sensitive_regulation,
)

pytestmark = pytest.mark.django_db

JOBS_URL = "/api/v1/exports/jobs/"
SYNC_URLS = {"csv": CSV_URL, "geojson": GEOJSON_URL, "dwca": DWCA_URL, "dataset": DATASET_URL}
BISECT_STEPS = 12
SPAN = 0.55  # degrees either side of the true coordinate that a moved edge covers
OFFSETS = [-0.0002, 0.0002, 0.1, 0.3, 0.55]  # the west/south edge, relative to the true value
BAND = 0.0005  # half-width of the box across the moved axis


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    geoprivacy: str
    color: tuple


# Each in its own cell, far enough apart (> 0.4 degrees) that a sweep around one never nears another.
TARGETS = {
    # (a) obscured by the angler; cell [-81.8, -81.6] x [41.0, 41.2]
    "obscured": Place(41.123456, -81.654321, "obscured", factories.RED),
    # (b) open, but bass are sensitive in SENSITIVE_AREA; cell [-81.4, -81.2] x [41.4, 41.6]
    "sensitive": Place(41.523456, -81.254321, "open", factories.RED),
    # (c) private (a walleye); cell [-81.0, -80.8] x [42.2, 42.4]
    "private": Place(42.323456, -80.854321, "private", factories.GREEN),
}
# An open bass far from any sensitive rule (shown exactly), used for the sensitive-decision probe.
OPEN_BASS = Place(43.123456, -80.354321, "open", factories.RED)
SENSITIVE_AREA = (-81.45, 41.35, -81.15, 41.65)  # covers the whole cell of "sensitive"


def cell_of(place):
    west = math.floor(place.longitude / CELL_DEGREES) * CELL_DEGREES
    south = math.floor(place.latitude / CELL_DEGREES) * CELL_DEGREES
    return (west, south, west + CELL_DEGREES, south + CELL_DEGREES)


def polygon(box):
    area = Polygon.from_bbox(box)
    area.srid = 4326
    return area


# --- The world the attacker looks at ---------------------------------------------------------------


@dataclass
class World:
    sightings: dict  # name -> Sighting
    places: dict  # name -> Place (the truth)
    shown: dict  # name -> (latitude, longitude) the researcher is shown, or None
    coordinates: dict  # name -> exact / generalized / withheld, as the researcher is told
    researcher: object
    bass: object
    walleye: object

    def allowed(self, area):
        """What the researcher may know of `area` against the hidden sightings: the shown points in
        it, and the cells of generalized sightings it touches. An answer may depend on this only."""
        inside = frozenset(
            name
            for name, point in self.shown.items()
            if point is not None and area.intersects(Point(point[1], point[0], srid=4326))
        )
        cells = frozenset(
            name
            for name, kind in self.coordinates.items()
            if kind == "generalized" and area.intersects(polygon(cell_of(self.places[name])))
        )
        return inside, cells


@pytest.fixture
def world(angler, moderator, researcher, color_model, color_species):
    bass, walleye = color_species["micropterus_salmoides"], color_species["sander_vitreus"]
    sensitive_regulation(region=region_make(code="oracle-spawning-reef", bbox=SENSITIVE_AREA), species=bass)
    places = {**TARGETS, "open-bass": OPEN_BASS}
    sightings = {
        name: sighting_make(
            owner=angler,
            moderator=moderator,
            latitude=place.latitude,
            longitude=place.longitude,
            geoprivacy=place.geoprivacy,
            color=place.color,
        )
        for name, place in places.items()
    }
    # What the researcher is shown, read as they read it.
    response = token_client(researcher).get(CSV_URL)
    assert response.status_code == 200, content(response)
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(content(response).decode()))}
    shown, coordinates = {}, {}
    for name, sighting in sightings.items():
        row = rows.get(str(sighting.pk))
        assert row is not None, f"set-up: the verified {name} sighting is not in the researcher's export"
        assert row["quality_grade"] == "verified"
        coordinates[name] = row["coordinates"]
        shown[name] = (float(row["latitude"]), float(row["longitude"])) if row["latitude"] else None
    assert coordinates == {
        "obscured": "generalized",
        "sensitive": "generalized",
        "private": "withheld",
        "open-bass": "exact",
    }, f"set-up: unexpected coordinates for the researcher: {coordinates}"
    assert shown["private"] is None
    for name in ("obscured", "sensitive"):
        west, south, east, north = cell_of(places[name])
        latitude, longitude = shown[name]
        assert south <= latitude < north and west <= longitude < east, f"set-up: {name} shown off its cell"
        assert (latitude, longitude) != (places[name].latitude, places[name].longitude)
    return World(
        sightings=sightings,
        places=places,
        shown=shown,
        coordinates=coordinates,
        researcher=researcher,
        bass=bass,
        walleye=walleye,
    )


# --- Observing an answer ---------------------------------------------------------------------------

VOLATILE = [
    (re.compile(r"(https?://[^\s\"'<>\t,]+?)\?[^\s\"'<>\t,]*"), r"\1?<signed>"),  # presigned S3 URLs
    (re.compile(r"/photos/[\w\-]+:[\w\-:]+"), "/photos/<signed>"),  # signed, expiring local photo tokens
    (re.compile(r"catchlog-export-\d{8}T\d{6}"), "catchlog-export-<time>"),  # eml packageId
    (re.compile(r"(csrfmiddlewaretoken\" value=\")[^\"]+"), r"\1<csrf>"),
    (re.compile(r"(csrftoken=)[A-Za-z0-9]+"), r"\1<csrf>"),
]
JOB_VOLATILE = {"id", "created_at", "started_at", "finished_at", "filters"}
HEADERS = ("Content-Type", "X-Coordinates", "Content-Disposition")


def scrub(text):
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


class Attacker:
    """The researcher's clients, and every text they were answered (for the coordinates search)."""

    def __init__(self, user, capture_on_commit):
        self.api = token_client(user)
        self.web = Client()
        self.web.force_login(user)
        self.capture_on_commit = capture_on_commit
        self.texts = []
        self._codes = count()

    def seen(self, text):
        self.texts.append(text)
        return scrub(text)

    def body(self, data):
        """Bytes of an answer, as something comparable: zips by member, text scrubbed."""
        if data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return {info.filename: self.body(archive.read(info)) for info in archive.infolist()}
        try:
            return self.seen(data.decode("utf-8"))
        except UnicodeDecodeError:
            return "sha256:" + hashlib.sha256(data).hexdigest()

    def http(self, response):
        return {
            "status": response.status_code,
            "body": self.body(content(response)),
            "headers": {name: response.get(name) for name in HEADERS},
        }

    def region_code(self):
        return f"oracle-probe-{next(self._codes)}"


def sync_path(fmt, *, max_rows=None):
    def observe(attacker, params):
        if max_rows is None:
            return attacker.http(attacker.api.get(SYNC_URLS[fmt], params))
        with override_settings(EXPORT_SYNC_MAX_ROWS=max_rows):
            return attacker.http(attacker.api.get(SYNC_URLS[fmt], params))

    return observe


def job_path(fmt):
    def observe(attacker, params):
        with attacker.capture_on_commit(execute=True):
            posted = attacker.api.post(JOBS_URL, {"format": fmt, "filters": params}, format="json")
        answer = posted.json()
        created = {key: value for key, value in answer.items() if key not in JOB_VOLATILE}
        attacker.seen(json.dumps(created))  # less `filters`: the attacker's own bbox, echoed
        if posted.status_code != 202:
            return {"status": posted.status_code, "created": created}
        job = attacker.api.get(f"{JOBS_URL}{answer['id']}/").json()
        link = job.pop("download_url", None)
        job = {key: value for key, value in job.items() if key not in JOB_VOLATILE}
        attacker.seen(json.dumps(job))
        return {
            "status": posted.status_code,
            "created": created,
            "job": job,
            "file": attacker.body(download(link)) if link else None,
        }

    return observe


def api_list_path(attacker, params):
    # Anglers' own sightings only; place parameters are not filters here, and must change nothing.
    return attacker.http(attacker.api.get("/api/v1/sightings/", params))


def map_points_path(attacker, params):
    return attacker.http(attacker.web.get("/map/points.json", params))


def detail_path(attacker, params):
    """The API detail and the web panel (the page's result part): where a sighting's regulations and
    warnings are shown, for every hidden sighting (the full page is checked once, below)."""
    answers = {}
    for name, pk in attacker.sighting_ids.items():
        if name not in TARGETS:
            continue
        answers[f"{name} api"] = attacker.http(attacker.api.get(f"/api/v1/sightings/{pk}/", params))
        answers[f"{name} panel"] = attacker.http(attacker.web.get(f"/sightings/{pk}/panel/", params))
    return answers


def species_page_path(attacker, params):
    return {
        species: attacker.http(attacker.web.get(f"/species/{pk}/", params))
        for species, pk in attacker.species_ids.items()
    }


# Paths that take the export filters: searched edge by edge, through bbox and region. The jobs of the
# geojson and dwca formats (some 50 ms a run) only through bbox: region goes through the same selection,
# and is searched on the csv and dataset jobs.
EXPORT_PATHS = {
    "sync csv": sync_path("csv"),
    "sync geojson": sync_path("geojson"),
    "sync dwca.zip": sync_path("dwca"),
    "sync dataset.zip (README counts)": sync_path("dataset"),
    "413 count (csv, EXPORT_SYNC_MAX_ROWS=0)": sync_path("csv", max_rows=0),
    "413 count (dataset, EXPORT_SYNC_MAX_ROWS=0)": sync_path("dataset", max_rows=0),
    "export job csv (counters, file)": job_path("csv"),
    "export job geojson (counters, file)": job_path("geojson"),
    "export job dwca (counters, file)": job_path("dwca"),
    "export job dataset (counters, README)": job_path("dataset"),
}
BBOX_ONLY = {"export job geojson (counters, file)", "export job dwca (counters, file)"}
# Paths with no place filter today (place parameters must change nothing), and the ones showing rules.
VIEW_PATHS = {
    "GET /api/v1/sightings/": api_list_path,
    "GET /map/points.json": map_points_path,
    "sighting detail (API, panel)": detail_path,
    "species pages": species_page_path,
}
# Where a sighting's place and its generalization reach the researcher unfiltered. (Its rules and
# warnings reach no one but its owner and moderators: see the last test.)
RULE_PATHS = {
    "sync csv": sync_path("csv"),
    "sync geojson": sync_path("geojson"),
    "sync dwca.zip": sync_path("dwca"),
    "sync dataset.zip": sync_path("dataset"),
    "export job csv (counters, file)": job_path("csv"),
    "GET /map/points.json": map_points_path,
}


@pytest.fixture
def attacker(world, django_capture_on_commit_callbacks, eager_tasks):
    attacker = Attacker(world.researcher, django_capture_on_commit_callbacks)
    attacker.sighting_ids = {name: str(sighting.pk) for name, sighting in world.sightings.items()}
    attacker.species_ids = {"bass": world.bass.pk, "walleye": world.walleye.pk}
    return attacker


# --- The search ------------------------------------------------------------------------------------


@dataclass
class Family:
    """Areas that differ by one moved edge, at parameter t (a longitude or a latitude)."""

    target: str
    edge: str  # "west" or "south"
    true_value: float
    box: object  # t -> (min_lon, min_lat, max_lon, max_lat)
    points: list  # where to look before bisecting

    @property
    def axis(self):
        return "longitude" if self.edge == "west" else "latitude"


def band(world, name, axis):
    """Half-width of the thin band across the moved axis: holds the true coordinate, never the shown one."""
    shown = world.shown[name]
    if shown is None:
        return BAND
    true_value = getattr(world.places[name], axis)
    gap = abs((shown[0] if axis == "latitude" else shown[1]) - true_value)
    return max(min(BAND, gap / 3), 1e-7)


def edge_families(world, name):
    place = world.places[name]
    lat, lon = place.latitude, place.longitude
    lat_band, lon_band = band(world, name, "latitude"), band(world, name, "longitude")
    far = SPAN + 0.05
    return [
        # The west edge moves across the true longitude and on past it by SPAN, into the next cells.
        Family(
            name,
            "west",
            lon,
            lambda t: (t, lat - lat_band, lon + far, lat + lat_band),
            [lon + offset for offset in OFFSETS],
        ),
        Family(
            name,
            "south",
            lat,
            lambda t: (lon - lon_band, t, lon + lon_band, lat + far),
            [lat + offset for offset in OFFSETS],
        ),
    ]


def flat(value, prefix=""):
    if isinstance(value, dict):
        return [line for key, item in value.items() for line in flat(item, f"{prefix}{key}.")]
    if isinstance(value, (list, tuple)):
        return [line for index, item in enumerate(value) for line in flat(item, f"{prefix}{index}.")]
    if isinstance(value, str):
        return [f"{prefix[:-1]}: {line}" for line in value.splitlines()] or [f"{prefix[:-1]}: ''"]
    return [f"{prefix[:-1]}: {value!r}"]


def change(before, after, limit=3, width=150):
    """The lines of `before` that `after` lacks (-) and the reverse (+), each cut to where it differs
    from its counterpart."""
    old, new = flat(before), flat(after)
    removed = [line for line in old if line not in set(new)][:limit]
    added = [line for line in new if line not in set(old)][:limit]

    def cut(line, others, index):
        other = others[min(index, len(others) - 1)] if others else ""
        common = next((i for i, (a, b) in enumerate(zip(line, other, strict=False)) if a != b), len(line))
        key = line.split(": ", 1)[0] + ": "
        start = common - width // 3
        if start <= len(key):
            return line[:width]
        return key + "..." + line[start : start + width - len(key)]

    lines = [f"- {cut(line, added, i)}" for i, line in enumerate(removed)]
    lines += [f"+ {cut(line, removed, i)}" for i, line in enumerate(added)]
    return "\n      ".join(lines) or "(the same lines in another order)"


SAME_SHOWN = "the shown points in the area and the shown cells it touches"


def search(observe, family, allowed, *, what, unchanged=SAME_SHOWN):
    """Bisect each change of the answer along the family; the first one that `allowed` (what the
    viewer may know of the area) does not explain is a leak, reported as the bound it gives away."""
    points = sorted(family.points)
    answers = [observe(family.box(t)) for t in points]
    for low, high, before, after in zip(points, points[1:], answers, answers[1:], strict=False):
        if before == after:
            continue
        for _ in range(BISECT_STEPS):
            middle = (low + high) / 2
            answer = observe(family.box(middle))
            if answer == before:
                low = middle
            else:
                high, after = middle, answer
        if allowed(polygon(family.box(low))) == allowed(polygon(family.box(high))):
            step = (low + high) / 2
            return (
                f"{what}, {family.target} sighting, {family.edge} edge: the answer changes where the edge "
                f"crosses {step:.5f} (+-{(high - low) / 2:.0e}), where {unchanged} stay the same. The step is"
                f" {step - family.true_value:+.5f} deg from the true {family.axis} {family.true_value}: the "
                f"attacker learns it to ~{high - low:.0e} deg.\n      {change(before, after)}"
            )
    return None


def probe_region(attacker, box, *, sensitive_for=()):
    """A small region such as a moderator could draw (with a sensitive, protected rule if asked)."""
    region = Region.objects.create(
        code=attacker.region_code(),
        name="probe",
        kind=Region.Kind.ZONE,
        geometry=MultiPolygon(polygon(box), srid=4326),
    )
    if sensitive_for:
        regulation = Regulation.objects.create(
            region=region,
            code="probe-sensitive",
            sensitive=True,
            status=Regulation.Status.PROTECTED,
            source_url="https://example.org/rules",
            last_checked=date(2026, 1, 1),
        )
        regulation.species.set(sensitive_for)
    return region


def filter_oracles(attacker, observe_path):
    """The path asked through a bbox, and through a region (with every quality grade)."""

    def by_bbox(box):
        return observe_path(attacker, {"bbox": ",".join(f"{value:.7f}" for value in box)})

    def by_region(box):
        region = probe_region(attacker, box)
        try:
            return observe_path(attacker, {"region": region.code, "quality_grade": "any"})
        finally:
            region.delete()

    return {"bbox": by_bbox, "region": by_region}


def true_coordinate_needles(world):
    """The hidden coordinates to 4 decimals (rounded and truncated), unless a shown value shares them."""
    shown_text = {f"{value}" for point in world.shown.values() if point for value in point}
    needles = {}
    for name in TARGETS:
        place = world.places[name]
        for value in (place.latitude, place.longitude):
            for needle in (f"{value:.4f}", f"{math.trunc(value * 10**4) / 10**4:.4f}"):
                if not any(text.startswith(needle) for text in shown_text):
                    needles[needle] = name
    return needles


def assert_no_true_coordinates(world, attacker, what):
    needles = true_coordinate_needles(world)
    found = sorted(
        {(needle, name) for text in attacker.texts for needle, name in needles.items() if needle in text}
    )
    assert not found, f"{what}: answers hold the true coordinates of hidden sightings: {found}"


def report(what, findings):
    return f"{what} ({len(findings)} found):\n  " + "\n  ".join(findings)


# --- The tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(EXPORT_PATHS))
def test_bbox_and_region_edge_searches_learn_nothing_finer_than_the_cell(world, attacker, path):
    """Binary searches on the west and south edges of a bbox, and of a small region, around each
    hidden sighting (obscured, sensitive, private), through one export path."""
    leaks = []
    for kind, observe in filter_oracles(attacker, EXPORT_PATHS[path]).items():
        if kind == "region" and path in BBOX_ONLY:
            continue
        for name in TARGETS:
            for family in edge_families(world, name):
                leak = search(observe, family, world.allowed, what=f"{path} with {kind}")
                if leak:
                    leaks.append(leak)
                    break  # one leaking edge per target and filter is enough (and keeps the run short)
    assert not leaks, report(f"{path} is a location oracle", leaks)
    assert_no_true_coordinates(world, attacker, path)


def test_an_area_on_the_true_spot_answers_as_one_elsewhere_in_the_cell(world, attacker):
    """On the paths that take no place filter (the sightings list, the map, the detail API and panel,
    the species pages), place parameters must change nothing: a tiny bbox or region on the true point
    gets the answer of one of the same size elsewhere in the cell. (The export paths, which filter,
    are swept edge by edge above; their first two boxes are on either side of the true point.)"""
    differences = []
    for path, observe_path in VIEW_PATHS.items():
        differences += _true_spot_differences(world, attacker, path, observe_path)
    assert not differences, report("answers tell the true spot from the rest of the cell", differences)
    assert_no_true_coordinates(world, attacker, "the list, map, detail and species paths")


def _true_spot_differences(world, attacker, path, observe_path):
    oracles = filter_oracles(attacker, observe_path)
    differences = []
    for name in TARGETS:
        place = world.places[name]
        size = min(band(world, name, "latitude"), band(world, name, "longitude"))

        def square(lon, lat, size=size):
            return (lon - size, lat - size, lon + size, lat + size)

        on_true = square(place.longitude, place.latitude)
        west, south, _, _ = cell_of(place)
        # Near a corner of the same cell: the same shown points (none) and the same cell touched.
        candidates = [square(west + dx, south + dy) for dx in (0.02, 0.18) for dy in (0.02, 0.18)]
        same = [box for box in candidates if world.allowed(polygon(box)) == world.allowed(polygon(on_true))]
        assert same, f"set-up: no area in the {name} sighting's cell matches one on its true point"
        elsewhere = same[0]
        for kind, observe in oracles.items():
            here, there = observe(on_true), observe(elsewhere)
            if here != there:
                differences.append(
                    f"{path} with {kind}: an area on the {name} sighting's true point ({place.latitude}, "
                    f"{place.longitude}) is answered differently from one elsewhere in its cell:\n"
                    f"      {change(there, here)}"
                )
    return differences


@pytest.mark.parametrize("path", list(RULE_PATHS))
def test_sensitive_rules_drawn_across_a_cell_reveal_nothing_finer_than_the_cell(world, attacker, path):
    """A moderator's small sensitive (and protected) rule for bass and walleye, slid edge by edge
    across the cell of the obscured, the private and an open bass sighting.

    Whether a sighting is generalized, and any rule or warning others are shown of it, may depend on
    whether the rule's region meets the sighting's cell, never on which side of the region's edge the
    true point lies: otherwise sliding the edge finds the true point (for the open bass: the rule
    must generalize it wherever in the cell it lies, since the rule may cover it).
    """
    observe_path = RULE_PATHS[path]
    species = [world.bass, world.walleye]

    def with_rule(box):
        region = probe_region(attacker, box, sensitive_for=species)
        try:
            return observe_path(attacker, {})
        finally:
            region.delete()

    def allowed(area):
        # All the researcher may know: which cells of sightings with a shown place the rule meets.
        return frozenset(
            name
            for name, kind in world.coordinates.items()
            if kind != "withheld" and area.intersects(polygon(cell_of(world.places[name])))
        )

    inset = 0.005
    leaks = []
    for name in ("obscured", "private", "open-bass"):
        place = world.places[name]
        west, south, east, north = cell_of(place)

        def across(low, high, true_value):
            # From just inside the cell's low edge to two insets short of its high one, and around the truth.
            spread = [low + inset + (high - low - 3 * inset) * i / 4 for i in range(5)]
            return [*spread, true_value - 0.0002, true_value + 0.0002]

        def west_moved(t, s=south, e=east, n=north):
            return (t, s + inset, e - inset, n - inset)

        def south_moved(t, w=west, e=east, n=north):
            return (w + inset, t, e - inset, n - inset)

        families = [
            # The rule's west edge slides across the cell, then its south edge; the rule stays in the cell.
            Family(name, "west", place.longitude, west_moved, across(west, east, place.longitude)),
            Family(name, "south", place.latitude, south_moved, across(south, north, place.latitude)),
        ]
        for family in families:
            leak = search(
                with_rule,
                family,
                allowed,
                what=f"{path} with a sensitive rule",
                unchanged="the cells of shown sightings that the rule's region meets",
            )
            if leak:
                leaks.append(leak)
    assert not leaks, report(f"{path} reveals a place through the sensitive-species rules", leaks)
    assert_no_true_coordinates(world, attacker, path)


def test_what_is_shown_of_a_hidden_place_depends_on_its_cell_only(
    angler, moderator, researcher, color_model, color_species
):
    """Two hidden sightings in one cell, at its south-west and north-east corners: apart from their ids
    and shown points, every field the researcher gets of them (uncertainty, coordinates, notes,
    country, on the map too) must be equal, or that field tells where in the cell each lies."""
    reef = region_make(code="oracle-spawning-reef", bbox=SENSITIVE_AREA)
    sensitive_regulation(region=reef, species=color_species["micropterus_salmoides"])
    pairs = {}
    for name in ("obscured", "sensitive"):
        west, south, east, north = cell_of(TARGETS[name])
        pairs[name] = [
            sighting_make(
                owner=angler,
                moderator=moderator,
                latitude=latitude,
                longitude=longitude,
                geoprivacy=TARGETS[name].geoprivacy,
                color=TARGETS[name].color,
            )
            for latitude, longitude in ((south + 0.003, west + 0.003), (north - 0.003, east - 0.003))
        ]
    client = token_client(researcher)
    # Fields that differ between two sightings anyway: ids, shown points, photo links, edit times.
    place_free = {
        "id",
        "latitude",
        "longitude",
        "photo_url",
        "occurrenceID",
        "decimalLatitude",
        "decimalLongitude",
        "file_name",
        "sighting_id",
        "modified",
    }

    def row_id(row):
        return (
            row.get("id") or row.get("sighting_id") or row.get("occurrenceID", "").removeprefix("urn:uuid:")
        )

    def by_id(text, delimiter=","):
        return {row_id(row): row for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)}

    def records():
        yield "sync csv", by_id(content(client.get(CSV_URL)).decode())
        features = json.loads(content(client.get(GEOJSON_URL)))["features"]
        yield "sync geojson", {f["id"]: {**f["properties"], "type": f["geometry"]["type"]} for f in features}
        dwca = zipfile.ZipFile(io.BytesIO(content(client.get(DWCA_URL))))
        yield "dwca occurrence.txt", by_id(dwca.read("occurrence.txt").decode(), delimiter="\t")
        dataset = zipfile.ZipFile(io.BytesIO(content(client.get(DATASET_URL))))
        yield "dataset metadata.csv", by_id(dataset_metadata(dataset))

    differences = []
    for what, rows in records():
        for name, (first, second) in pairs.items():
            a, b = rows[str(first.pk)], rows[str(second.pk)]
            for key in sorted(set(a) | set(b)):
                if key not in place_free and a.get(key) != b.get(key):
                    differences.append(
                        f"{what}, {name}: {key} is {a.get(key)!r} at the cell's south-west corner, "
                        f"{b.get(key)!r} at its north-east corner"
                    )
    web = Client()
    web.force_login(researcher)
    points = json.loads(web.get("/map/points.json").content)["points"]
    for name in pairs:
        # The map gives others no ids: take the points shown in this cell.
        west, south, east, north = cell_of(TARGETS[name])
        here = [p for p in points if west <= p["longitude"] < east and south <= p["latitude"] < north]
        assert len(here) == 2, f"map: expected the 2 {name} sightings in their cell, got {here}"
        first, second = ({k: v for k, v in p.items() if k not in ("latitude", "longitude")} for p in here)
        if first != second:
            differences.append(f"GET /map/points.json, {name}: {first} vs {second}")
    assert not differences, report(
        "what is shown of a hidden place depends on where in its cell it lies", differences
    )


def test_rules_and_warnings_of_a_sighting_reach_only_its_owner_and_moderators(world, other_angler):
    """The regulations and warnings of a sighting (computed at its true place) are on its detail API,
    page and panel only; the researcher and another angler get 404 there and none of it in their
    lists. (The exports and the map carry no rules; the sweeps above cover them.)"""
    for user in (world.researcher, other_angler):
        api, web = token_client(user), Client()
        web.force_login(user)
        listed = api.get("/api/v1/sightings/")
        assert listed.status_code == 200 and listed.json()["results"] == [], (
            f"{user}: GET /api/v1/sightings/ lists others' sightings: {listed.json()}"
        )
        page = web.get("/sightings/")
        for name, sighting in world.sightings.items():
            assert str(sighting.pk) not in page.content.decode(), f"{user}: /sightings/ lists the {name} one"
            for client, url in (
                (api, f"/api/v1/sightings/{sighting.pk}/"),
                (web, f"/sightings/{sighting.pk}/"),
                (web, f"/sightings/{sighting.pk}/panel/"),
            ):
                answer = client.get(url)
                assert answer.status_code == 404, (
                    f"{user}: {url} ({name} sighting, with its rules and warnings): {answer.status_code}"
                )
