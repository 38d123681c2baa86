"""The settings switch: embedded default with nothing set, production from the environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
from config.celery_app import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "storage": settings.STORAGES["default"]["BACKEND"],
    "storage_options": {k: v for k, v in settings.STORAGES["default"]["OPTIONS"].items() if k != "secret_key"},
    "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "serializer": app.conf.task_serializer,
    "accept": app.conf.accept_content,
    "acks_late": app.conf.task_acks_late,
    "time_limit": app.conf.task_time_limit,
    "visibility_timeout": app.conf.broker_transport_options["visibility_timeout"],
    "debug": settings.DEBUG,
    "session_secure": getattr(settings, "SESSION_COOKIE_SECURE", False),
    "csrf_secure": getattr(settings, "CSRF_COOKIE_SECURE", False),
    "hsts": getattr(settings, "SECURE_HSTS_SECONDS", 0),
}, default=str))
"""


def probe(**env):
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE", "CELERY", "AWS_", "REDIS"))}
    clean.update({"DJANGO_ENV_FILE": os.devnull, "DJANGO_SETTINGS_MODULE": "config.settings"}, **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    return result


def test_embedded_default_needs_no_servers(tmp_path):
    result = probe(DJANGO_SECRET_KEY="x", DJANGO_MEDIA_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.contrib.gis.db.backends.spatialite"
    assert values["db_name"].endswith("var/db.sqlite3")
    assert values["storage"] == "django.core.files.storage.FileSystemStorage"
    assert values["eager"] is True
    assert values["debug"] is False


def test_production_reads_database_broker_and_s3_from_the_environment():
    result = probe(
        DJANGO_SECRET_KEY="x",
        DATABASE_URL="postgis://catch:pw@db.internal:5432/catchlog",
        CELERY_BROKER_URL="redis://cache.internal:6379/0",
        AWS_STORAGE_BUCKET_NAME="catch-photos",
        AWS_S3_ENDPOINT_URL="https://s3.example.org",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.contrib.gis.db.backends.postgis"
    assert values["db_name"] == "catchlog"
    assert values["storage"] == "storages.backends.s3.S3Storage"
    options = values["storage_options"]
    assert options["bucket_name"] == "catch-photos"
    assert options["endpoint_url"] == "https://s3.example.org"
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.internal:6379/0"
    assert values["serializer"] == "json" and values["accept"] == ["json"]
    assert values["acks_late"] is True
    assert values["visibility_timeout"] > values["time_limit"]


def test_production_defaults_are_secure():
    values = json.loads(probe(DJANGO_SECRET_KEY="x").stdout)
    assert values["debug"] is False
    assert values["session_secure"] and values["csrf_secure"]
    assert values["hsts"] > 0


def test_secret_key_is_required():
    result = probe()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
