"""Faults with the real parts running: a killed worker, Redis, S3 and PostgreSQL going away.

gunicorn, a Celery worker (and beat) run as processes on a private Redis; PostgreSQL and the S3
server are reached through TCP proxies, so an outage cuts every open connection, as a restart does.
"""

import json
import time

import pytest
import urllib3

from sightings.models import Classification, Sighting
from tests import factories
from tests.conftest import wait_for
from tests.sightings.test_retraining import activate_without_signal, swapped_model_register

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(total=30))


def post_sighting(stack, color=factories.RED, photo=None):
    fields = {
        "photo": photo or ("catch.jpg", factories.photo_bytes(color, size=(320, 240)), "image/jpeg"),
        "latitude": "41.5",
        "longitude": "-81.69",
        "observed_at": "2026-06-01T08:30:00Z",
    }
    return http.request(
        "POST",
        f"{stack.base_url}/api/v1/sightings/",
        fields=fields,
        headers={"Authorization": f"Token {stack.token}"},
    )


def created_ids(responses):
    assert all(response.status == 201 for response in responses), [r.data[:200] for r in responses]
    return [json.loads(response.data)["id"] for response in responses]


def all_settled(ids):
    return not Sighting.objects.filter(pk__in=ids, status=Sighting.Status.PENDING).exists()


def assert_classified_exactly_once(ids):
    for sighting_id in ids:
        assert Classification.objects.filter(sighting_id=sighting_id).count() == 1, sighting_id
    statuses = set(Sighting.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses <= {Sighting.Status.CLASSIFIED, Sighting.Status.REJECTED}, statuses


# Batches of 4 (PostgreSQL): the kill falls between or inside batches, rarely after all 16.
@pytest.mark.stack_env({"CLASSIFY_BATCH_SIZE": "4"})
def test_worker_killed_mid_batch_classifies_every_sighting_exactly_once(stack):
    ids = created_ids([post_sighting(stack, factories.RED if i % 2 else factories.BLUE) for i in range(16)])
    wait_for(lambda: Classification.objects.filter(sighting_id__in=ids).exists(), message="the first result")
    stack.worker.kill()
    assert not all_settled(ids), "the worker finished before it could be killed; the test proves nothing"
    stack.restart_worker()
    wait_for(
        lambda: all_settled(ids), timeout=120, message="every sighting to be classified after the restart"
    )
    assert_classified_exactly_once(ids)


# PNGs of 1600x1200 (no JPEG draft) and one decoding thread make each batch of 4 take a while,
# so that the kill falls while batches are left.
@pytest.mark.stack_env({"CLASSIFY_BATCH_SIZE": "4", "CLASSIFY_BATCH_THREADS": "1"})
def test_worker_killed_mid_reclassification_classifies_every_sighting_again(stack):
    photo = ("catch.png", factories.photo_bytes(factories.RED, size=(1600, 1200), fmt="PNG"), "image/png")
    ids = created_ids([post_sighting(stack, photo=photo) for _ in range(24)])
    wait_for(lambda: all_settled(ids), timeout=120, message="the first classifications")
    version = activate_without_signal(swapped_model_register(activate=False))
    stack.send_task("sightings.tasks.sightings_reclassify_task", version.pk)
    again = Classification.objects.filter(sighting_id__in=ids, model_version=version)
    wait_for(again.exists, interval=0.05, message="the new version's first answer")
    stack.worker.kill()
    assert again.count() < len(ids), "the worker finished before it could be killed; the test proves nothing"
    stack.restart_worker()
    wait_for(
        lambda: again.count() == len(ids),
        timeout=120,
        message="every sighting classified again after the restart",
    )
    walleye = Sighting.objects.filter(pk__in=ids, species__scientific_name="Sander vitreus")
    assert walleye.count() == len(ids), "the red photos are walleyes to the new version"


@pytest.mark.stack_env(
    {"SIGHTING_PENDING_REQUEUE_AFTER_SECONDS": "2", "REQUEUE_STUCK_EVERY_SECONDS": "2"}, beat=True
)
def test_redis_outage_loses_no_submission(stack):
    stack.redis.stop()
    started = time.monotonic()
    responses = [post_sighting(stack) for _ in range(4)]
    assert time.monotonic() - started < 20, "submissions must not hang while the broker is down"
    ids = created_ids(responses)
    assert not all_settled(ids)
    stack.redis.start()
    wait_for(lambda: all_settled(ids), timeout=90, message="the re-queue job to catch the sightings")
    assert_classified_exactly_once(ids)


def test_s3_outage_answers_503_and_writes_nothing(stack):
    before = Sighting.objects.count()
    stack.s3_proxy.down()
    response = post_sighting(stack)
    assert response.status == 503, response.data[:300]
    assert "nothing was saved" in json.loads(response.data)["detail"]
    assert Sighting.objects.count() == before
    stack.s3_proxy.up()
    assert post_sighting(stack).status == 201


def test_worker_retries_with_backoff_while_s3_is_down(stack):
    stack.worker.stop()
    ids = created_ids([post_sighting(stack) for _ in range(2)])
    stack.s3_proxy.down()
    stack.restart_worker()
    wait_for(lambda: "Retry in" in stack.worker.log_text(), timeout=60, message="a retry with backoff")
    assert not all_settled(ids)
    stack.s3_proxy.up()
    wait_for(lambda: all_settled(ids), timeout=120, message="classification once S3 is back")
    assert_classified_exactly_once(ids)


def test_app_recovers_from_a_postgresql_restart_without_its_own_restart(stack):
    assert post_sighting(stack).status == 201
    stack.pg_proxy.down()
    during = post_sighting(stack)
    assert during.status == 503, during.data[:300]
    stack.pg_proxy.up()
    after = [post_sighting(stack) for _ in range(3)]
    assert [response.status for response in after] == [201, 201, 201]
