"""Loaded by pytest before Django (see `addopts` in pyproject.toml): test defaults for settings.

The test command (scripts/test) exports DATABASE_URL, CELERY_BROKER_URL and the S3 settings when it
has started the real services; without them the suite runs on the embedded default.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("DJANGO_ENV_FILE", os.devnull)
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "False")
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "False")
os.environ.setdefault("API_THROTTLE_ANON", "10000/minute")
os.environ.setdefault("API_THROTTLE_USER", "10000/minute")
os.environ.setdefault("SIGNUP_THROTTLE", "10000/minute")

# Photos written by the tests go to a throw-away folder, never into the project's var/.
if "DJANGO_MEDIA_ROOT" not in os.environ:
    import tempfile

    os.environ["DJANGO_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="catchlog-test-media-")
if "DJANGO_STATIC_ROOT" not in os.environ:
    import tempfile

    os.environ["DJANGO_STATIC_ROOT"] = tempfile.mkdtemp(prefix="catchlog-test-static-")
