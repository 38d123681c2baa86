"""Moderation queue latency: the admin changelist of sightings over a large generated table.

    .venv/bin/python bench/bench_moderation_list.py [--database-url postgis://postgres@127.0.0.1:5432/catchlog]
        [--sightings 100000] [--requests 15]

Works in a throw-away test database (test_<name> on PostgreSQL, a temporary file on SpatiaLite),
migrated from scratch and dropped at the end. Each sighting gets a classification with three
predictions and the machine identification; one in ten also a moderator's. The requests are made
with Django's test client as a moderator (staff, in the moderators group, no superuser), so the
figures include the whole admin: session, permissions, filters, count, page rendering.
"""

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from harness import django_setup, throwaway_database  # noqa: E402  (puts the project on sys.path)

BATCH = 5000


def arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="", help="postgis://... ; default: SpatiaLite")
    parser.add_argument("--sightings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=15, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def data_create(count, rng):
    from django.contrib.auth.models import Group, User
    from django.contrib.gis.geos import MultiPolygon, Point, Polygon

    from classifier.models import ModelVersion
    from projects.selectors import project_default
    from regulations.models import Region, Species
    from sightings import roles
    from sightings.models import Classification, Identification, Prediction, Sighting

    moderator = User.objects.create_user("bench-moderator", password="x-bench-password-1", is_staff=True)
    moderator.groups.add(Group.objects.get(name=roles.MODERATORS))
    owners = User.objects.bulk_create(User(username=f"angler-{n}") for n in range(1000))
    species = Species.objects.bulk_create(
        Species(scientific_name=f"Benchus species{n}", common_name=f"bench fish {n}") for n in range(200)
    )
    model_version = ModelVersion.objects.create(
        project=project_default(),
        name="bench model",
        onnx_file="models/bench.onnx",
        sha256="0" * 64,
        labels=[],
        preprocessing={},
    )
    region = Region.objects.create(
        code="bench-lake",
        name="Bench lake",
        kind=Region.Kind.LAKE,
        geometry=MultiPolygon(Polygon(((-84, 41), (-80, 41), (-80, 43), (-84, 43), (-84, 41))), srid=4326),
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    grades = Sighting.QualityGrade
    for offset in range(0, count, BATCH):
        size = min(BATCH, count - offset)
        sightings, classifications, predictions, identifications = [], [], [], []
        for _ in range(size):
            top, second, third = rng.sample(species, 3)
            moderated = rng.random() < 0.1
            score = rng.random()
            sighting = Sighting(
                id=uuid.uuid4(),
                owner=rng.choice(owners),
                project_id=model_version.project_id,
                photo="originals/bench.jpg",
                public_photo="photos/bench.jpg",
                photo_sha256=uuid.uuid4().hex * 2,
                location=Point(x=rng.uniform(-125, -65), y=rng.uniform(25, 50), srid=4326),
                observed_at=start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60)),
                notes=rng.choice(["", "caught at dawn", "released", "from the pier"]),
                status=Sighting.Status.CLASSIFIED,
                species=top,
                quality_grade=grades.VERIFIED if moderated else grades.NEEDS_ID,
                top_score=score,
            )
            sightings.append(sighting)
            classification = Classification(sighting=sighting, model_version=model_version, top_score=score)
            classifications.append(classification)
            for rank, (taxon, value) in enumerate(
                ((top, score), (second, score / 2), (third, score / 4)), start=1
            ):
                predictions.append(
                    Prediction(
                        classification=classification,
                        rank=rank,
                        label=taxon.label_key,
                        species=taxon,
                        score=value,
                    )
                )
            identifications.append(
                Identification(
                    sighting=sighting,
                    species=top,
                    source=Identification.Source.MACHINE,
                    model_version=model_version,
                )
            )
            if moderated:
                identifications.append(
                    Identification(
                        sighting=sighting,
                        species=top,
                        previous_species=top,
                        user=moderator,
                        source=Identification.Source.MODERATOR,
                        from_suggestion=True,
                        model_version=model_version,
                    )
                )
        for sighting in sightings:
            sighting.cell_derive()
        Sighting.objects.bulk_create(sightings)
        Classification.objects.bulk_create(classifications)
        for prediction in predictions:
            prediction.classification_id = prediction.classification.pk
        Prediction.objects.bulk_create(predictions)
        Identification.objects.bulk_create(identifications)
        print(f"  {offset + size} sightings", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return moderator, species, region


def timed(client, url, params, requests):
    for _ in range(2):
        response = client.get(url, params)
        assert response.status_code == 200, (response.status_code, params)
    durations = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, params)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(durations), max(durations)


def main():
    args = arguments()
    django_setup(database_url=args.database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    with throwaway_database(prefix="bench-moderation-"):
        rng = random.Random(args.seed)
        started = time.perf_counter()
        moderator, species, region = data_create(args.sightings, rng)
        created_s = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        client = Client()
        client.force_login(moderator)
        url = reverse("admin:sightings_sighting_changelist")
        pages = [
            ("queue (newest first)", {}),
            ("sorted by lowest confidence", {"o": "7"}),
            ("confidence < 0.5", {"confidence": "low"}),
            ("quality grade needs ID", {"quality_grade": "needs_id"}),
            ("one species", {"species__id__exact": species[0].pk}),
            ("region (lake polygon)", {"region": region.pk}),
            ("search a species name", {"q": "bench fish 17"}),
            ("a deep page", {"p": str(max(1, min(100, args.sightings // 50)))}),
        ]
        print(
            f"{connection.vendor}, {args.sightings} sightings (made in {created_s:.0f} s),"
            f" {args.requests} requests each"
        )
        print("| page | p50 | max | queries |")
        print("| --- | --- | --- | --- |")
        for label, params in pages:
            p50, worst = timed(client, url, params, args.requests)
            with CaptureQueriesContext(connection) as captured:
                client.get(url, params)
            print(f"| {label} | {p50:.0f} ms | {worst:.0f} ms | {len(captured.captured_queries)} |")


if __name__ == "__main__":
    main()
