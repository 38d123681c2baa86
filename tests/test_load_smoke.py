"""A short version of bench/bench_load.py: concurrent submissions to gunicorn, nothing lost or doubled."""

import pytest

from bench.bench_load import drive, settle

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def database_sessions_opened():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_concurrent_submissions_all_end_classified_once(stack):
    from tests import factories

    sessions_before = database_sessions_opened()
    latencies, statuses, ids, seconds = drive(
        url=f"{stack.base_url}/api/v1/sightings/",
        token=stack.token,
        count=40,
        clients=8,
        photo=factories.photo_bytes(size=(640, 480)),
    )
    assert statuses == {201: 40}, statuses
    assert len(latencies) == 40 and seconds > 0
    settled = settle(ids, timeout=120)
    problems = (settled.missing, settled.duplicates, settled.classified_twice, settled.silent_failures)
    assert problems == (0, 0, 0, 0)
    assert settled.outcome == {"classified": 40}
    # The worker keeps its connection from task to task (CELERY_DB_REUSE_MAX): one session per
    # task would open 40 here; gunicorn's 2 x 4 threads and the worker need about 10.
    opened = database_sessions_opened() - sessions_before
    assert opened < 20, f"{opened} database sessions for 40 tasks"
