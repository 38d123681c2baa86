"""A short version of bench/bench_load.py: concurrent submissions to gunicorn, nothing lost or doubled."""

import pytest

from bench.bench_load import drive, settle

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_concurrent_submissions_all_end_classified_once(stack):
    from tests import factories

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
