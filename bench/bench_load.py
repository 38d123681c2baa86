"""Bounded load run: N submissions from C concurrent clients against the real stack, all on loopback.

gunicorn (config.wsgi), a Celery worker and beat on Redis, PostgreSQL + PostGIS and moto's
S3-compatible server. It reports requests/s, p50/p95/p99 latency and errors, then waits for every
accepted submission to end classified, rejected or failed (with a reason) and checks that none is
lost or duplicated. The same run measures a minimal Django view that only stores the upload.

Run: .venv/bin/python bench/bench_load.py [--submissions 5000] [--clients 50] [--worker-processes N]
         [--worker-after-api]
It creates (and empties) the database catchlog_load on 127.0.0.1:5432 and stops by itself.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu_accounting import cpu_report, cpu_snapshot  # noqa: E402
from tests.stack import Stack, free_port, wait_for_port  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def drive(*, url, token, count, clients, photo, deadline_seconds=1800):
    """POST `count` photos from `clients` threads.

    Answers (latencies, status counter, created ids, seconds)."""
    import urllib3

    pool = urllib3.PoolManager(maxsize=clients, retries=False, timeout=urllib3.Timeout(total=60))
    headers = {"Authorization": f"Token {token}"} if token else {}
    fields = {
        "photo": ("catch.jpg", photo, "image/jpeg"),
        "latitude": "41.5",
        "longitude": "-81.69",
        "observed_at": "2026-06-01T08:30:00Z",
    }
    latencies, statuses, ids = [], Counter(), []
    lock = threading.Lock()
    remaining = iter(range(count))
    stop_at = time.monotonic() + deadline_seconds

    def client():
        while time.monotonic() < stop_at:
            with lock:
                if next(remaining, None) is None:
                    return
            started = time.perf_counter()
            try:
                response = pool.request("POST", url, fields=fields, headers=headers)
                status, body = response.status, response.data
            except urllib3.exceptions.HTTPError as error:
                status, body = f"error:{error.__class__.__name__}", b""
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1
                if status == 201 and b'"id"' in body:
                    ids.append(json.loads(body)["id"])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses, ids, time.perf_counter() - started


def light_load_latency(*, url, token, photo, count=20):
    """Seconds from POST to a settled sighting, one submission at a time (the worker otherwise idle)."""
    from sightings.models import Sighting

    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        _, statuses, ids, _ = drive(url=url, token=token, count=1, clients=1, photo=photo)
        assert statuses == {201: 1}, statuses
        while Sighting.objects.filter(pk=ids[0], status=Sighting.Status.PENDING).exists():
            time.sleep(0.01)
        latencies.append(time.perf_counter() - started)
    return latencies


def report(label, latencies, statuses, seconds):
    errors = sum(n for status, n in statuses.items() if status != 201)
    server_errors = sum(n for status, n in statuses.items() if isinstance(status, int) and status >= 500)
    p50, p95, p99 = (percentile(latencies, fraction) * 1000 for fraction in (0.5, 0.95, 0.99))
    print(
        f"{label:<22} {len(latencies):5d} requests in {seconds:6.1f} s"
        f" = {len(latencies) / seconds:6.1f} req/s; "
        f"latency p50 {p50:6.0f} ms, p95 {p95:6.0f} ms, "
        f"p99 {p99:6.0f} ms; errors {errors} (5xx: {server_errors}) {dict(statuses)}"
    )
    return server_errors


class Settled(NamedTuple):
    outcome: Counter
    missing: int
    duplicates: int
    classified_twice: int
    silent_failures: int
    seconds: float
    pending_at_start: int

    @property
    def sound(self):
        """Nothing lost, doubled, left pending or failed without a reason."""
        problems = (self.missing, self.duplicates, self.classified_twice, self.silent_failures)
        return problems == (0, 0, 0, 0) and self.outcome.get("pending", 0) == 0


def settle(ids, *, timeout):
    """Wait until no accepted sighting is pending, then count what became of them."""
    from django.db.models import Count, Min
    from django.utils import timezone

    from sightings.models import Classification, Sighting

    started = time.monotonic()
    left = Sighting.objects.filter(pk__in=ids, status=Sighting.Status.PENDING).count()
    # The poll names no ids: a query of 5,000 every second cost PostgreSQL and this process more
    # than a core-second a minute. Older pending rows (other tests' in the smoke test) do not count.
    since = Sighting.objects.filter(pk__in=ids).aggregate(first=Min("created_at"))["first"]
    still_pending = Sighting.objects.filter(
        status=Sighting.Status.PENDING, created_at__gte=since or timezone.now()
    )
    while time.monotonic() - started < timeout:
        if not still_pending.exists():
            break
        time.sleep(1)
    rows = Sighting.objects.filter(pk__in=ids)
    outcome = Counter(rows.values_list("status", flat=True))
    missing = len(set(ids)) - rows.count()
    duplicates = len(ids) - len(set(ids))
    multi = (
        Classification.objects.filter(sighting_id__in=ids)
        .values("sighting_id", "model_version_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    silent_failures = rows.filter(status=Sighting.Status.FAILED, failure_reason="").count()
    return Settled(outcome, missing, duplicates, multi, silent_failures, time.monotonic() - started, left)


def analyze_every(seconds, stop):
    """ANALYZE the run's tables every `seconds` until `stop` is set: this machine's PostgreSQL runs
    with autovacuum off, and without statistics its planner took plans that read every earlier
    classification for each new one. A stock server analyses a table within a minute of a tenth of
    it changing; this does it a little more often, at a cost the CPU report counts."""
    from django.db import connection  # this thread's own, from the same settings

    try:
        while not stop.wait(seconds):
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    finally:
        connection.close()


def start_s3_server():
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return process, f"http://127.0.0.1:{port}"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--submissions", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--baseline", type=int, default=None, help="requests to the store-only view")
    parser.add_argument("--database", default="catchlog_load")
    parser.add_argument("--settle-timeout", type=int, default=1800)
    parser.add_argument("--worker-processes", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--web-processes", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn process")
    parser.add_argument(
        "--worker-after-api",
        action="store_true",
        help="stop the worker while the API is driven and start it after the last request: the API's"
        " own rate on the machine (as with workers on other hosts), then the worker's from a full queue",
    )
    parser.add_argument(
        "--analyze-every",
        type=float,
        default=10,
        help="seconds between ANALYZEs of the run's database (0: never; see analyze_every)",
    )
    parser.add_argument(
        "--proxied",
        action="store_true",
        help="reach PostgreSQL and S3 through the fault tests' TCP proxies (Python threads in this"
        " process, beside the clients), as runs before 2026-12-07 did",
    )
    args = parser.parse_args()

    s3, endpoint = start_s3_server()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_SECRET_KEY": "bench-load",
            "DJANGO_ENV_FILE": os.devnull,
            "DATABASE_URL": f"postgis://postgres@127.0.0.1:5432/{args.database}",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
            "AWS_STORAGE_BUCKET_NAME": "catchlog-load",
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_S3_REGION_NAME": "us-east-1",
            "DJANGO_ROOT_URLCONF": "bench.load_urls",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_MEDIA_ROOT": tempfile.mkdtemp(),
        }
    )
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database], stderr=subprocess.DEVNULL
    )
    import boto3
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from tests import factories

    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    ).create_bucket(Bucket="catchlog-load")
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    from classifier.services import model_version_register
    from regulations.models import Species

    for name in ("Micropterus salmoides", "Sander vitreus"):
        Species.objects.get_or_create(scientific_name=name)
    model_version_register(
        onnx_bytes=factories.color_model_bytes(),
        name="colour (load run)",
        labels=factories.COLOR_LABELS,
        preprocessing=factories.COLOR_PREPROCESSING,
        source="imported",
        activate=True,
    )
    token = Token.objects.create(user=User.objects.create_user("load")).key
    photo = factories.photo_bytes(size=(1024, 768))

    stack = Stack(
        database_name=args.database,
        web_workers=args.web_processes,
        web_threads=args.web_threads,
        celery_concurrency=args.worker_processes,
        extra_env={
            "DJANGO_ROOT_URLCONF": "bench.load_urls",
            "SIGHTING_PENDING_REQUEUE_AFTER_SECONDS": "120",
        },
        proxied=args.proxied,
    )
    analyzing = threading.Event()
    try:
        stack.start(beat=True)
        if args.analyze_every > 0:
            threading.Thread(target=analyze_every, args=(args.analyze_every, analyzing), daemon=True).start()
        paused = " (stopped while the API is driven)" if args.worker_after_api else ""
        print(
            f"stack: gunicorn {args.web_processes} processes x {args.web_threads} threads,"
            f" {args.worker_processes} Celery worker process(es)"
            f"{paused}, Redis, PostGIS, moto S3; "
            f"{args.clients} clients; photo {len(photo) // 1024} KB; cores {os.cpu_count()};"
            f" ANALYZE every {args.analyze_every:g} s"
        )
        e2e = light_load_latency(url=f"{stack.base_url}/api/v1/sightings/", token=token, photo=photo)
        print(
            f"light load, POST to classified: median {statistics.median(e2e) * 1000:.0f} ms, "
            f"max {max(e2e) * 1000:.0f} ms over {len(e2e)} submissions"
        )
        baseline = args.baseline or min(args.submissions, 1000)
        drive(url=f"{stack.base_url}/bench/store-only/", token=None, count=30, clients=10, photo=photo)
        cpu_before = cpu_snapshot()
        latencies, statuses, _, seconds = drive(
            url=f"{stack.base_url}/bench/store-only/",
            token=None,
            count=baseline,
            clients=args.clients,
            photo=photo,
        )
        report("store-only view", latencies, statuses, seconds)
        print(cpu_report(before=cpu_before, after=cpu_snapshot(), seconds=seconds, requests=len(latencies)))
        if args.worker_after_api:
            stack.worker.stop()
        cpu_before = cpu_snapshot()
        latencies, statuses, ids, seconds = drive(
            url=f"{stack.base_url}/api/v1/sightings/",
            token=token,
            count=args.submissions,
            clients=args.clients,
            photo=photo,
        )
        server_errors = report("submission API", latencies, statuses, seconds)
        print(cpu_report(before=cpu_before, after=cpu_snapshot(), seconds=seconds, requests=len(latencies)))
        if args.worker_after_api:
            stack.start_worker()
        cpu_before = cpu_snapshot()
        settled = settle(ids, timeout=args.settle_timeout)
        waited, left = settled.seconds, settled.pending_at_start
        print(
            f"after the run: {dict(settled.outcome)}; {left} were pending at the last request and settled"
            f" {waited:.0f} s later ({left / max(waited, 1e-9):.1f}/s); first request to last"
            f" classified {seconds + waited:.0f} s, {(seconds + waited) / seconds:.2f}x the API's time; "
            f"missing {settled.missing}, duplicate ids {settled.duplicates}, sightings classified twice "
            f"{settled.classified_twice}, failed without a reason {settled.silent_failures}"
        )
        print("draining the queue (per request: per sighting left at the last request):")
        print(
            cpu_report(
                before=cpu_before,
                after=cpu_snapshot(),
                seconds=waited,
                requests=settled.pending_at_start,
            )
        )
        healthy = server_errors == 0 and settled.sound
        print("RESULT:", "OK" if healthy else "PROBLEMS")
        return 0 if healthy else 1
    finally:
        analyzing.set()
        stack.stop()
        s3.terminate()


if __name__ == "__main__":
    sys.exit(main())
