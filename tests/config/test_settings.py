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
    "storage_options": {
        k: v for k, v in settings.STORAGES["default"]["OPTIONS"].items() if k != "secret_key"
    },
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
    "hsts_preload": getattr(settings, "SECURE_HSTS_PRELOAD", False),
    "num_proxies": settings.REST_FRAMEWORK["NUM_PROXIES"],
    "img_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
}, default=str))
"""


def probe(**env):
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE", "CELERY", "AWS_", "REDIS"))
    }
    clean.update({"DJANGO_ENV_FILE": os.devnull, "DJANGO_SETTINGS_MODULE": "config.settings"}, **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    return result


def test_embedded_default_needs_no_servers(tmp_path):
    result = probe(DJANGO_SECRET_KEY="x", DJANGO_MEDIA_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "config.spatialite"
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
    assert values["storage"] == "sightings.s3_storage.S3Storage"
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


def test_hsts_preload_is_off_unless_asked_for():
    values = json.loads(probe(DJANGO_SECRET_KEY="x").stdout)
    assert values["hsts_preload"] is False


def test_hsts_preload_is_refused_below_a_year():
    result = probe(
        DJANGO_SECRET_KEY="x", DJANGO_SECURE_HSTS_PRELOAD="1", DJANGO_SECURE_HSTS_SECONDS="2592000"
    )
    assert result.returncode != 0
    assert "DJANGO_SECURE_HSTS_PRELOAD needs DJANGO_SECURE_HSTS_SECONDS >= 31536000" in result.stderr


def test_hsts_preload_is_refused_without_the_subdomains():
    result = probe(
        DJANGO_SECRET_KEY="x",
        DJANGO_SECURE_HSTS_PRELOAD="1",
        DJANGO_SECURE_HSTS_SECONDS="31536000",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
    )
    assert result.returncode != 0
    assert "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS" in result.stderr


def test_hsts_preload_with_a_year_is_set():
    values = json.loads(
        probe(
            DJANGO_SECRET_KEY="x", DJANGO_SECURE_HSTS_PRELOAD="1", DJANGO_SECURE_HSTS_SECONDS="31536000"
        ).stdout
    )
    assert values["hsts_preload"] is True and values["hsts"] == 31536000


def test_the_proxy_count_comes_from_the_environment():
    assert json.loads(probe(DJANGO_SECRET_KEY="x").stdout)["num_proxies"] == 0
    assert json.loads(probe(DJANGO_SECRET_KEY="x", DJANGO_NUM_PROXIES="1").stdout)["num_proxies"] == 1


def test_signed_photo_and_tile_origins_are_allowed_images():
    values = json.loads(
        probe(
            DJANGO_SECRET_KEY="x",
            AWS_STORAGE_BUCKET_NAME="catch-photos",
            AWS_S3_ENDPOINT_URL="https://s3.example.org:9000/",
            TILE_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png",
        ).stdout
    )
    assert "https://s3.example.org:9000" in values["img_src"]
    assert "https://*.tile.example.org" in values["img_src"]
    aws = json.loads(
        probe(
            DJANGO_SECRET_KEY="x", AWS_STORAGE_BUCKET_NAME="catch-photos", AWS_S3_REGION_NAME="eu-west-1"
        ).stdout
    )
    assert {
        "https://catch-photos.s3.amazonaws.com",
        "https://catch-photos.s3.eu-west-1.amazonaws.com",
    } <= set(aws["img_src"])


# --- .env: read only when asked ---------------------------------------------------------------


def settings_with_dot_env(tmp_path, **env):
    """The settings module alone, in a copy of the project whose root holds a .env."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "__init__.py").write_text("")
    (tmp_path / "config" / "settings.py").write_text((ROOT / "config" / "settings.py").read_text())
    (tmp_path / ".env").write_text("DJANGO_DEBUG=True\nDJANGO_SECRET_KEY=from-dot-env\n")
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE"))}
    clean.update(env, DJANGO_MEDIA_ROOT=str(tmp_path / "media"), DJANGO_STATIC_ROOT=str(tmp_path / "static"))
    code = "import json, config.settings as s; print(json.dumps([s.DEBUG, s.SECRET_KEY]))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=60
    )


def test_a_dot_env_is_not_read_unless_asked(tmp_path):
    result = settings_with_dot_env(tmp_path, DJANGO_SECRET_KEY="from-the-environment")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, "from-the-environment"]


def test_a_dot_env_is_read_when_asked(tmp_path):
    result = settings_with_dot_env(tmp_path, DJANGO_READ_DOT_ENV="1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, "from-dot-env"]


def test_scripts_serve_asks_for_its_dot_env():
    serve = (ROOT / "scripts" / "serve").read_text()
    assert "export DJANGO_READ_DOT_ENV=1" in serve
    assert serve.index("export DJANGO_READ_DOT_ENV=1") < serve.index("manage.py migrate")
