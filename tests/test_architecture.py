"""The apps depend one way: regulations <- projects <- classifier <- sightings, and migrations match
the models."""

import ast
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "regulations": {"projects", "classifier", "sightings"},
    "projects": {"classifier", "sightings"},
    # The classifier knows labels as strings: the species table is the sightings app's business.
    "classifier": {"regulations", "sightings"},
}


def imported_top_level_packages(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_lower_apps_do_not_import_higher_ones(app):
    offenders = [
        f"{path.relative_to(ROOT)} imports {package}"
        for path in (ROOT / app).rglob("*.py")
        for package in imported_top_level_packages(path)
        if package in FORBIDDEN[app]
    ]
    assert offenders == []


def test_config_holds_wiring_only():
    modules = sorted(path.name for path in (ROOT / "config").glob("*.py"))
    assert modules == [
        "__init__.py",
        "asgi.py",
        "celery_app.py",
        "gunicorn.py",
        "settings.py",
        "urls.py",
        "wsgi.py",
    ]


@pytest.mark.django_db
def test_migrations_match_the_models():
    output = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=output)
    assert "No changes detected" in output.getvalue()
