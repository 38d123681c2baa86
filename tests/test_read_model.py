"""Every consumer reads sightings through the read model (`sightings.visibility`) and nothing else.

Two checks. The static one reads the source of every consumer (API, web pages and map, admin,
exporters, selectors) and fails on any attribute access or ORM lookup of a sighting's true
location, cell, original photo or EXIF. The walk fetches every URL the project serves, as each
role and through the admin and the export jobs, with those fields of `Sighting` guarded: reading
one from Python while a page or an export is built fails the test.
"""

import ast
import re
from pathlib import Path

import pytest

from sightings.exports.services import export_job_create, export_job_run
from sightings.models import ExportJob, Sighting
from tests.test_privacy_sweep import quick_setup, sweep, world  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
CONSUMERS = [
    *sorted((ROOT / "sightings/api").glob("*.py")),
    *sorted((ROOT / "sightings/web").glob("*.py")),
    *sorted((ROOT / "sightings/exports").glob("*.py")),
    ROOT / "sightings/admin.py",
    ROOT / "sightings/admin_filters.py",
    ROOT / "sightings/selectors.py",
    ROOT / "sightings/credits.py",
]
PRIVATE_FIELDS = ("location", "cell", "cell_point", "photo", "exif")
LOOKUP = re.compile(rf"^({'|'.join(PRIVATE_FIELDS)})(__\w+)?$")
# The photo *view* that serves signed tokens is not the photo field.
ALLOWED = {("sightings/web/urls.py", "views.photo")}


def private_reads(path):
    source = path.read_text()
    relative = str(path.relative_to(ROOT))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE_FIELDS:
            text = ast.get_source_segment(source, node)
            if (relative, text) not in ALLOWED:
                yield f"{relative}:{node.lineno}: {text}"
        elif isinstance(node, ast.keyword) and node.arg and LOOKUP.match(node.arg):
            yield f"{relative}:{node.lineno}: {node.arg}="
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("F", "Q", "OuterRef"):
            for argument in node.args:
                if isinstance(argument, ast.Constant) and LOOKUP.match(str(argument.value)):
                    yield f"{relative}:{node.lineno}: {ast.get_source_segment(source, node)}"


def test_no_consumer_reads_a_private_field_of_a_sighting():
    assert len(CONSUMERS) > 15
    found = [read for path in CONSUMERS for read in private_reads(path)]
    assert found == [], "read these through sightings.visibility instead"


def test_the_static_check_finds_a_direct_read(tmp_path):
    sample = ROOT / "sightings" / "_sample_consumer_for_test.py"
    sample.write_text(
        "def f(s, qs):\n    return s.location.y, qs.filter(location__intersects=1), F('photo')\n"
    )
    try:
        assert len(list(private_reads(sample))) == 3
    finally:
        sample.unlink()


class Guarded:
    """A model field descriptor that refuses to be read (loading rows still sets it)."""

    def __init__(self, name, original):
        self.name, self.original = name, original

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.original
        raise AssertionError(f"Sighting.{self.name} was read directly, not through sightings.visibility")

    def __set__(self, instance, value):
        instance.__dict__[self.name] = value


@pytest.fixture
def guarded(monkeypatch):
    def guard():
        for name in PRIVATE_FIELDS:
            monkeypatch.setattr(Sighting, name, Guarded(name, Sighting.__dict__[name]))
        loaded = Sighting.objects.exclude(location=None).first()
        with pytest.raises(AssertionError, match="read directly"):
            loaded.location  # noqa: B018  (the guard works)

    return guard


@pytest.mark.parametrize(
    "role", ["anonymous", "angler", "other_angler", "moderator", "researcher", "trusted_researcher"]
)
def test_every_url_builds_its_answer_from_the_read_model(world, guarded, role, request):  # noqa: F811
    user = None if role == "anonymous" else request.getfixturevalue(role)
    guarded()
    results = sweep(user, world)
    assert results and not [status for _, status, *_ in results if status >= 500]


def test_the_admin_and_export_jobs_use_the_read_model_only(
    world,  # noqa: F811
    guarded,
    moderator,
    researcher,
    admin_client,
):
    sightings = list(Sighting.objects.all())
    species = world["sightings"]["open"].species
    guarded()
    client = admin_client
    client.force_login(moderator)
    for query in ("", "?region=1", "?confidence=low", f"?species__id__exact={species.pk}", "?q=bass&o=-7"):
        assert client.get("/admin/sightings/sighting/" + query).status_code == 200, query
    for sighting in sightings:
        assert client.get(f"/admin/sightings/sighting/{sighting.pk}/change/").status_code == 200
    for format in ("csv", "geojson", "dwca", "dataset"):
        job = export_job_create(user=researcher, format=format, filters={"quality_grade": "any"})
        assert export_job_run(job_id=job.pk).status == ExportJob.Status.DONE, format
