"""What the benchmarks share: Django set up for a one-off run, and a database thrown away after it."""

import contextlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def django_setup(*, database_url="", media_root=None):
    """Configure Django from these arguments alone: no .env, no broker (tasks in-process), local files."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-not-secret")
    os.environ.update(
        DJANGO_ENV_FILE=os.devnull,
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_SECURE_SSL_REDIRECT="False",
        DJANGO_STATIC_MANIFEST="False",
    )
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "AWS_STORAGE_BUCKET_NAME"):
        os.environ.pop(name, None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if media_root:
        os.environ["DJANGO_MEDIA_ROOT"] = str(media_root)
    import django

    django.setup()


@contextlib.contextmanager
def throwaway_database(*, prefix):
    """A fresh test database (test_<name> on PostgreSQL, a temporary file on SpatiaLite), dropped after."""
    from django.db import connection

    temporary = None
    if connection.vendor == "sqlite":
        with tempfile.NamedTemporaryFile(prefix=prefix, suffix=".sqlite3", delete=False) as handle:
            temporary = Path(handle.name)
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(temporary)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield connection
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        if temporary is not None:
            temporary.unlink(missing_ok=True)
