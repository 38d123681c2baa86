"""Where a submission's time goes: `POST /api/v1/sightings/` in-process under cProfile.

    .venv/bin/python bench/bench_submit_profile.py [--database-url postgis://...] [--requests 200]
        [--top 30] [--stats out.prof]

Submits a 1024x768 JPEG as a token-authenticated angler through DRF's test client, on a throw-away
database (PostGIS with --database-url, else SpatiaLite) and local photo storage, with the Celery
broker in memory (queueing is real, nothing runs). Prints the queries of one submission, the mean
time per submission and the functions with the most cumulative time. `--stats` keeps the raw
profile (open it with snakeviz or `python -m pstats`).
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from harness import django_setup, throwaway_database  # noqa: E402  (puts the project on sys.path)


def arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="", help="postgis://... ; default: SpatiaLite")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--stats", type=Path, help="write the raw profile here")
    return parser.parse_args()


def main():
    args = arguments()
    os.environ.update(
        CELERY_TASK_ALWAYS_EAGER="False",
        CELERY_BROKER_URL="memory://",
        API_THROTTLE_USER="1000000/minute",
    )
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ["DJANGO_ROOT_URLCONF"] = "bench.load_urls"
    with tempfile.TemporaryDirectory(prefix="bench-submit-") as folder:
        django_setup(database_url=args.database_url, media_root=Path(folder) / "media")
        with throwaway_database(prefix="bench-submit-"):
            run(args)


def run(args):
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from PIL import Image
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    call_command("load_demo_data", stdout=io.StringIO())
    token = Token.objects.create(user=User.objects.create_user("profiled-angler"))
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 768), (120, 60, 30)).save(buffer, "JPEG", quality=85)
    photo = buffer.getvalue()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    def post(url):
        upload = io.BytesIO(photo)
        upload.name = "catch.jpg"
        fields = {"latitude": "41.6", "longitude": "-81.9", "observed_at": "2026-06-01T08:00:00Z"}
        response = client.post(url, {"photo": upload, **fields}, format="multipart")
        if response.status_code != 201:
            sys.exit(f"{url} refused: {response.status_code} {response.content[:300]!r}")

    def submit():
        post("/api/v1/sightings/")

    def store_only():
        post("/bench/store-only/")

    for _ in range(5):
        submit()
        store_only()
    for label, call in (("store-only view", store_only), ("submission API", submit)):
        started = time.perf_counter()
        for _ in range(args.requests):
            call()
        seconds = time.perf_counter() - started
        print(f"{label}, unprofiled: {seconds / args.requests * 1000:.2f} ms per request")
    with CaptureQueriesContext(connection) as queries:
        submit()
    print(f"{connection.vendor}: {len(queries.captured_queries)} queries per submission")
    for query in queries.captured_queries:
        print("   ", query["sql"][:110])

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(args.requests):
        submit()
    profile.disable()
    seconds = time.perf_counter() - started
    print(f"{args.requests} submissions in {seconds:.2f} s: {seconds / args.requests * 1000:.1f} ms each")
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).sort_stats("cumulative").print_stats(args.top)
    print(stream.getvalue())
    if args.stats:
        profile.dump_stats(args.stats)


if __name__ == "__main__":
    main()
