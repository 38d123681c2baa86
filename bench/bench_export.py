"""CSV export throughput and memory against PostgreSQL's own COPY of the same query.

    .venv/bin/python bench/bench_export.py [--database-url postgis://postgres@127.0.0.1:5432/catchlog_bench]
        [--rows 1000000]

Rows are added in steps (100k, 300k, 1M, ... up to --rows) and at each step the whole table is
exported as a researcher (generalized coordinates, signed photo addresses) through the
streaming CSV exporter, then, on PostgreSQL, copied by `COPY (the same SELECT) TO STDOUT`.
Peak memory is the highest resident set size sampled during the export, above the size before it.
It works in a throw-away test database (dropped at the end); without --database-url it runs on
the embedded SpatiaLite default (no COPY there).
"""

import argparse
import os
import sys
import threading
import time

from harness import django_setup, throwaway_database  # noqa: E402  (puts the project on sys.path)

STEPS = (100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)


def arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="", help="postgis://... ; default: SpatiaLite")
    parser.add_argument("--rows", type=int, default=1_000_000)
    return parser.parse_args()


def rss_bytes():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    def __init__(self, interval=0.02):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    def __enter__(self):
        self.base = rss_bytes()
        self.peak = self.base
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def delta_mb(self):
        return (self.peak - self.base) / 2**20


def fixtures():
    from django.contrib.auth.models import Group, Permission, User

    from classifier.models import ModelVersion
    from projects.selectors import project_default
    from regulations.models import Species
    from sightings import roles

    roles.groups_ensure(group_model=Group, permission_model=Permission)
    owner = User.objects.create_user("bench-angler")
    researcher = User.objects.create_user("bench-researcher")
    researcher.groups.add(Group.objects.get(name=roles.RESEARCHERS))
    species = [
        Species.objects.create(scientific_name="Micropterus salmoides", common_name="Largemouth bass"),
        Species.objects.create(scientific_name="Sander vitreus", common_name="Walleye"),
    ]
    version = ModelVersion.objects.create(
        project=project_default(),
        name="bench model",
        onnx_file="models/bench.onnx",
        sha256="0" * 64,
        labels=["a", "b"],
        preprocessing={},
    )
    return owner, researcher, species, version


# Each row's cell and shown point as Sighting.cell_derive stores them (a random point in the cell).
INSERT_SIGHTINGS = """
WITH place AS (
    SELECT i, x, y, floor(x / 0.2) * 0.2 AS west, floor(y / 0.2) * 0.2 AS south
    FROM (SELECT i, -84 + random() * 4 AS x, 38 + random() * 4 AS y
          FROM generate_series(%(start)s, %(stop)s - 1) AS i) AS raw
)
INSERT INTO sightings_sighting (id, owner_id, project_id, photo, photo_sha256, public_photo, exif, location,
    cell, cell_point, location_accuracy_m, observed_at, length_cm, notes, geoprivacy, license, status,
    failure_reason, species_id, quality_grade, uncertain, created_at, updated_at, classified_at)
SELECT md5('sighting' || i)::uuid, %(owner)s, %(project)s, 'originals/' || i || '.jpg',
    md5(i::text) || md5(i::text), 'photos/' || i || '.jpg', '{}'::jsonb, ST_SetSRID(ST_MakePoint(x, y), 4326),
    ST_MakeEnvelope(west, south, west + 0.2, south + 0.2, 4326),
    ST_SetSRID(ST_MakePoint(west + random() * 0.19999, south + random() * 0.19999), 4326), 10 + (i %% 50),
    timestamptz '2025-01-01' + (i %% 500) * interval '13 hours', (20 + i %% 40)::numeric, '',
    (ARRAY['open', 'obscured', 'private'])[1 + i %% 3], 'cc-by', 'classified', '',
    CASE WHEN i %% 2 = 0 THEN %(bass)s ELSE %(walleye)s END, 'verified', false, now(), now(), now()
FROM place
"""
INSERT_CLASSIFICATIONS = """
INSERT INTO sightings_classification
    (sighting_id, model_version_id, rejected, uncertain, top_score, duration_ms, created_at)
SELECT md5('sighting' || i)::uuid, %(version)s, false, false, 0.9, 5, now()
FROM generate_series(%(start)s, %(stop)s - 1) AS i
"""
INSERT_PREDICTIONS = """
INSERT INTO sightings_prediction (classification_id, rank, label, species_id, score)
SELECT c.id, 1, 'micropterus_salmoides', %(bass)s, 0.9 FROM sightings_classification c WHERE c.id > %(after)s
"""


def grow(*, start, stop, owner, species, version):
    """Add sightings start..stop-1, each with a classification and a top prediction."""
    from django.contrib.gis.geos import Point
    from django.db import connection

    from sightings.models import Classification, Prediction, Sighting

    if connection.vendor == "postgresql":
        params = {
            "owner": owner.pk,
            "project": version.project_id,
            "bass": species[0].pk,
            "walleye": species[1].pk,
            "version": version.pk,
            "start": start,
            "stop": stop,
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM sightings_classification")
            params["after"] = cursor.fetchone()[0]
            for statement in (INSERT_SIGHTINGS, INSERT_CLASSIFICATIONS, INSERT_PREDICTIONS):
                cursor.execute(statement, params)
            cursor.execute("ANALYZE")
        return
    geoprivacy = ["open", "obscured", "private"]
    for first in range(start, stop, 5000):
        numbers = range(first, min(stop, first + 5000))
        sightings = [
            Sighting(
                owner=owner,
                project_id=version.project_id,
                photo=f"originals/{i}.jpg",
                photo_sha256="0" * 64,
                public_photo=f"photos/{i}.jpg",
                location=Point(-84 + (i % 997) / 250, 38 + (i % 991) / 250, srid=4326),
                location_accuracy_m=10,
                observed_at="2025-06-01T08:00:00Z",
                geoprivacy=geoprivacy[i % 3],
                license="cc-by",
                status="classified",
                species=species[i % 2],
                quality_grade="verified",
            )
            for i in numbers
        ]
        for sighting in sightings:
            sighting.cell_derive()
        sightings = Sighting.objects.bulk_create(sightings)
        classifications = Classification.objects.bulk_create(
            Classification(sighting=s, model_version=version, top_score=0.9) for s in sightings
        )
        Prediction.objects.bulk_create(
            Prediction(classification=c, rank=1, label="micropterus_salmoides", species=species[0], score=0.9)
            for c in classifications
        )


def export_csv(researcher):
    from sightings.exports.csv_export import CsvExporter
    from sightings.exports.selectors import export_selection

    selection = export_selection(params={}, viewer=researcher)
    started = time.perf_counter()
    with PeakRss() as memory:
        size = lines = 0
        for chunk in CsvExporter(selection=selection).chunks():
            size += len(chunk)
            lines += chunk.count(b"\n")
    return lines - 1, size, time.perf_counter() - started, memory.delta_mb


def copy_same_query(researcher):
    """COPY of the very SELECT the exporter runs, to STDOUT, as CSV."""
    import psycopg
    from django.db import connection

    from sightings.exports.selectors import VALUES, export_selection

    selection = export_selection(params={}, viewer=researcher)
    queryset = selection.queryset.order_by("pk").values_list(*VALUES)
    sql, params = queryset.query.get_compiler(using="default").as_sql()
    connection.ensure_connection()
    raw = connection.connection
    statement = psycopg.ClientCursor(raw).mogrify(sql, params)
    started = time.perf_counter()
    size = 0
    copy_statement = f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER)"
    with raw.cursor() as cursor, cursor.copy(copy_statement) as copy:
        for block in copy:
            size += len(block)
    return size, time.perf_counter() - started


def main():
    options = arguments()
    django_setup(database_url=options.database_url)
    import resource

    from django.db import connection

    with throwaway_database(prefix="bench-export-"):
        owner, researcher, species, version = fixtures()
        steps = [step for step in STEPS if step < options.rows] + [options.rows]
        print(
            f"database: {connection.vendor} ({connection.settings_dict['ENGINE']});"
            " storage: local signed URLs"
        )
        print("rows | export s | rows/s | MB | peak RSS delta MB | COPY s | COPY rows/s | export/COPY")
        done = 0
        for step in steps:
            started = time.perf_counter()
            grow(start=done, stop=step, owner=owner, species=species, version=version)
            print(
                f"  (added {step - done} sightings in {time.perf_counter() - started:.1f} s)", file=sys.stderr
            )
            done = step
            rows, size, seconds, peak = export_csv(researcher)
            assert rows == step, (rows, step)
            line = f"{rows} | {seconds:.2f} | {rows / seconds:,.0f} | {size / 2**20:.1f} | {peak:.1f}"
            if connection.vendor == "postgresql":
                copy_size, copy_seconds = copy_same_query(researcher)
                line += f" | {copy_seconds:.2f} | {rows / copy_seconds:,.0f} | {copy_seconds / seconds:.2f}"
            else:
                line += " | n/a | n/a | n/a"
            print(line, flush=True)
        print(f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
