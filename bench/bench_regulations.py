"""Regulations lookup latency: nested generated regions, random points, p50 and p95.

    .venv/bin/python bench/bench_regulations.py [--database-url postgis://postgres@127.0.0.1:5432/catchlog]
        [--regions 5000] [--vertices 300] [--queries 2000]

It works in a throw-away test database (test_<name> on PostgreSQL, a temporary file on
SpatiaLite), migrated from scratch and dropped at the end; the project's own database is not
touched. Without --database-url it runs on the embedded SpatiaLite default.
"""

import argparse
import math
import random
import statistics
import time
from datetime import date

from harness import django_setup, throwaway_database  # noqa: E402  (puts the project on sys.path)


def arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="", help="postgis://... ; default: SpatiaLite")
    parser.add_argument("--regions", type=int, default=5000)
    parser.add_argument("--vertices", type=int, default=300, help="vertices of each region's outline")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def outline(cx, cy, radius, vertices, rng):
    """A star-shaped polygon ring: a circle with a wobbly edge, like a coastline at coarse scale."""
    points = []
    for index in range(vertices):
        angle = 2 * math.pi * index / vertices
        r = radius * (0.8 + 0.2 * rng.random())
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    points.append(points[0])
    return points


def regions_create(count, vertices, rng):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from regulations.models import Authority, Region, Regulation, Season, Species

    authority = Authority.objects.create(name="Bench agency")
    species = Species.objects.create(scientific_name="Benchus maximus", common_name="bench fish")
    parents_count = max(1, count // 50)
    children_per_parent = max(0, (count - parents_count) // parents_count)
    columns = math.ceil(math.sqrt(parents_count))
    cell = min(60.0 / columns, 25.0 / columns)  # inside lon -125..-65, lat 25..50
    extent = (-125.0, 25.0, -125.0 + columns * cell, 25.0 + columns * cell)

    def geometry(cx, cy, radius):
        return MultiPolygon(Polygon(outline(cx, cy, radius, vertices, rng)), srid=4326)

    parents = []
    for index in range(parents_count):
        cx = extent[0] + (index % columns + 0.5) * cell
        cy = extent[1] + (index // columns + 0.5) * cell
        shape = geometry(cx, cy, cell * 0.5)
        parents.append(
            Region(
                code=f"p{index}",
                name=f"State {index}",
                kind="state_waters",
                authority=authority,
                geometry=shape,
                area=shape.area,
            )
        )
    Region.objects.bulk_create(parents)
    parents = list(Region.objects.order_by("id"))
    side = math.ceil(math.sqrt(children_per_parent)) if children_per_parent else 1
    children = []
    for parent in parents:
        center = parent.geometry.centroid
        sub = cell * 0.7 / side
        for index in range(children_per_parent):
            cx = center.x - cell * 0.35 + (index % side + 0.5) * sub
            cy = center.y - cell * 0.35 + (index // side + 0.5) * sub
            shape = geometry(cx, cy, sub * 0.6)
            children.append(
                Region(
                    code=f"{parent.code}-z{index}",
                    name=f"Zone {index} of {parent.name}",
                    kind="zone",
                    parent=parent,
                    authority=authority,
                    geometry=shape,
                    area=shape.area,
                )
            )
    Region.objects.bulk_create(children, batch_size=500)
    regulations = Regulation.objects.bulk_create(
        [
            Regulation(
                region=region,
                code="bench",
                daily_bag_limit=5,
                min_length_cm=30,
                source_url="https://example.org/",
                last_checked=date(2026, 1, 1),
            )
            for region in Region.objects.all()
        ],
        batch_size=1000,
    )
    Regulation.species.through.objects.bulk_create(
        [Regulation.species.through(regulation_id=r.pk, species_id=species.pk) for r in regulations],
        batch_size=1000,
    )
    Season.objects.bulk_create(
        [Season(regulation=r, kind="open", start="06-15", end="last-sat-03") for r in regulations],
        batch_size=1000,
    )
    return species, extent, Region.objects.count()


def timed(function, points):
    durations = []
    for point in points:
        started = time.perf_counter()
        function(point)
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def figures(durations):
    quantiles = statistics.quantiles(durations, n=100)
    return (
        f"p50 {quantiles[49]:.2f} ms  p95 {quantiles[94]:.2f} ms  mean {statistics.fmean(durations):.2f} ms"
    )


def main():
    options = arguments()
    django_setup(database_url=options.database_url)
    from django.contrib.gis.geos import Point
    from django.db import connection

    from regulations.selectors import regions_containing, regulations_for

    with throwaway_database(prefix="bench-regulations-"):
        rng = random.Random(options.seed)
        started = time.perf_counter()
        species, extent, count = regions_create(options.regions, options.vertices, rng)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        built = time.perf_counter() - started
        points = [
            Point(rng.uniform(extent[0], extent[2]), rng.uniform(extent[1], extent[3]), srid=4326)
            for _ in range(options.queries)
        ]
        warm = points[: min(50, len(points))]
        timed(lambda p: list(regions_containing(point=p)), warm)
        regions = timed(lambda p: list(regions_containing(point=p)), points)
        hits = sum(1 for p in points[:200] if regions_containing(point=p).exists())
        lookups = timed(
            lambda p: regulations_for(point=p, species=species, on_date=date(2025, 7, 1), length_cm=25),
            points,
        )
        print(f"database: {connection.vendor} ({connection.settings_dict['ENGINE']})")
        print(
            f"regions: {count} ({options.vertices} vertices each, nested state > zones),"
            f" built in {built:.1f} s"
        )
        print(
            f"queries: {len(points)} random points,"
            f" {hits}/{min(200, len(points))} of a sample inside a region"
        )
        print(f"regions_containing: {figures(regions)}")
        print(f"regulations_for:    {figures(lookups)}")


if __name__ == "__main__":
    main()
