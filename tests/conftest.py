"""Fixtures shared by the whole suite: roles, clients, the tiny classifier and the real services."""

import contextlib
import os
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test.utils import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from config.celery_app import app as celery_app
from regulations.models import Species
from tests import factories
from tests.stack import Process

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CATCHLOG_SHARED_DIR", ROOT.parent / "shared")) / "data"
SERVICES = os.environ.get("CATCHLOG_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    skip_services = pytest.mark.skip(reason="needs the real services: run scripts/test")
    skip_shared = pytest.mark.skip(reason=f"needs the team data in {SHARED_DATA} (absent here)")
    if SERVICES:
        once = [item for item in items if "once" in item.keywords]
        if once:
            config.hook.pytest_deselected(items=once)
            items[:] = [item for item in items if "once" not in item.keywords]
    for item in items:
        if "services" in item.keywords and not SERVICES:
            item.add_marker(skip_services)
        if "shared" in item.keywords and not SHARED_DATA.is_dir():
            item.add_marker(skip_shared)


@pytest.fixture(autouse=True)
def process_caches():
    """A rolled-back test may leave a cached version or project whose primary key or fields the next
    test's rows no longer have."""
    from projects.selectors import projects_forget
    from sightings.services.classification import classification_caches_clear

    classification_caches_clear()
    projects_forget()
    yield
    classification_caches_clear()
    projects_forget()


@pytest.fixture(scope="session", autouse=True)
def s3_bucket():
    """On the services run, the S3-compatible server needs the bucket the settings name."""
    if not settings.AWS_STORAGE_BUCKET_NAME:
        yield None
        return
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        region_name=os.environ.get("AWS_S3_REGION_NAME", "us-east-1"),
    )
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=settings.AWS_STORAGE_BUCKET_NAME)
    yield client


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashes():
    """Tests make thousands of users: a cheap hash instead of ~0.4 s of PBKDF2 each on CI's cores.
    Processes the tests start (tests/stack.py) keep the real hashers; they authenticate by token."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def angler(db):
    return factories.angler()


@pytest.fixture
def other_angler(db):
    return factories.angler("other-angler")


@pytest.fixture
def moderator(db):
    return factories.moderator()


@pytest.fixture
def researcher(db):
    return factories.researcher()


@pytest.fixture
def trusted_researcher(db):
    return factories.trusted_researcher()


def token_client(user):
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(angler):
    return token_client(angler)


@pytest.fixture
def color_species(db):
    """The species the colour model names."""
    return {
        "micropterus_salmoides": Species.objects.get_or_create(
            scientific_name="Micropterus salmoides",
            defaults={"common_name": "Largemouth bass", "family": "Centrarchidae"},
        )[0],
        "sander_vitreus": Species.objects.get_or_create(
            scientific_name="Sander vitreus", defaults={"common_name": "Walleye", "family": "Percidae"}
        )[0],
    }


@pytest.fixture
def color_model(db, color_species):
    """The tiny colour classifier, registered and active."""
    from classifier.services import model_version_register

    return model_version_register(
        onnx_bytes=factories.color_model_bytes(),
        name="colour test model",
        labels=factories.COLOR_LABELS,
        preprocessing=factories.COLOR_PREPROCESSING,
        negative_label="not_fish",
        source="imported",
        activate=True,
    )


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process for one test, whatever the broker settings say."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


# --- A real Celery worker on Redis, against the test database ---------------------------------


def worker_answering(process, hostname, *, timeout=60):
    """Wait until a started worker answers a ping (tests.stack.Process has the process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running():
            raise RuntimeError(f"the Celery worker exited; see {process.log}")
        if celery_app.control.ping(timeout=0.5, destination=[hostname]):
            return process
    raise RuntimeError(f"the Celery worker did not answer within {timeout} s; see {process.log}")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real worker process consuming the test broker, with the test database's name."""
    if not SERVICES:
        pytest.skip("needs the real services: run scripts/test")
    from django.db import connection

    with django_db_blocker.unblock():
        test_database = connection.settings_dict["NAME"]
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgis://postgres@127.0.0.1:5432/{test_database}"
    env["CLASSIFIER_INTRA_OP_THREADS"] = "1"
    celery_app.control.purge()
    name = f"test-{os.getpid()}"
    worker = Process(
        "celery-worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=1",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"{name}@%h",
        ],
        env,
    )
    worker_answering(worker.start(), f"{name}@{os.uname().nodename}")
    yield worker
    worker.stop()


@pytest.fixture
def stack(request, color_model, angler):
    """gunicorn + worker (+ beat) on a private Redis, with proxies to PostgreSQL and S3 (tests/stack.py)."""
    from django.db import connection

    from tests.stack import Stack

    marker = request.node.get_closest_marker("stack_env")
    stack = Stack(
        database_name=connection.settings_dict["NAME"], extra_env=marker.args[0] if marker else None
    )
    stack.start(beat=bool(marker and marker.kwargs.get("beat")))
    stack.token = Token.objects.create(user=angler).key
    yield stack
    stack.stop()


def wait_for(predicate, *, timeout=60, interval=0.2, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message}")
