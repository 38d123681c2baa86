"""Have we met this individual before? Re-identification by photo embedding, and its query time.

    .venv/bin/python bench/bench_individuals.py [--shared ../shared] [--gallery-size 100000]
        [--queries 200] [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres] [--no-postgres]
        [--product-path | --no-product-path] [--product-url postgis://postgres@127.0.0.1:5432/postgres]
        [--product-other 20000]

1. Embeddings, without a database: the platform's own embedding of a photo (the SqueezeNet backbone
   of ../shared/data/backbone cut at `fire9/concat_1` by `classifier.onnx_compose.embedding_model`,
   run through `classifier.runtime.model_session_create` on `classifier.imaging.load_rgb` pixels, as
   `classifier.embeddings` computes what it caches), L2-normalised. `PhotoEmbedder` below is that
   path; it is checked against `classifier.embeddings._Extractor` on the first photos.
2. Protocol, per Fish4Knowledge species (`bass` has no trajectories): every trajectory with at least
   2 frames is an individual. One frame of it (seeded choice) is the query; the gallery is every
   other photo of the species (the rest of its trajectory and all other trajectories). A hit at k:
   one of the k most cosine-similar gallery photos is from the query's trajectory. Variants (flip
   averaging, pooling, layers, centering by the gallery mean) are scored on the same queries, so the
   best of them is chosen on the figures it reports: only the plain recipe's figure is untuned.
   "all frames" repeats it with every frame of those trajectories as a query in turn.
3. Query time over a gallery of --gallery-size unit vectors (the real ones plus random ones):
   exact numpy (matrix-vector product + argpartition), and PostgreSQL + pgvector when the server has
   the extension and the `pgvector` package is installed: exact, then with an HNSW (ivfflat before
   pgvector 0.5) index, with recall@5 against exact. It works in its own database
   `bench_individuals`, dropped at the end.
4. The product path (on by default when something answers at --product-url): the gallery of part 3
   (the real vectors and the random ones) as sightings of one project and one species (A), the
   queries as its newest sightings, and --product-other random ones of a second species (B), each
   with a SightingEmbedding, a classification and a top prediction, in the throwaway database
   `bench_individuals_product` (harness.throwaway_database: migrated, so with the index
   sighting_project_changes_idx of migration 0010, then dropped). Timed end to end:
   `sightings.individuals.selectors.sighting_candidates` as a platform moderator (a fresh user object
   per call, as a request has): (a) the first call of a process (gallery._load reads the gallery
   from PostgreSQL), and its peak extra memory; (b) warm calls with GALLERY_RECHECK_SECONDS as
   configured (a refresh only once that much time has passed: the calls that refreshed are counted);
   (c) GALLERY_RECHECK_SECONDS = 0, a refresh (gallery._refresh, two indexed reads) on every call:
   with nothing changed, with one new sighting and embedding of A before each call (the call is
   about it), with one earlier A sighting's updated_at set before each (as linking it to an
   individual does), with one earlier A sighting (the call's best candidate) moved to species B
   before each; (d) gallery.nearest alone, and the SQL queries per call (CaptureQueriesContext);
   (e) the answers against an exact numpy search over the rows live at each call, the moved
   sightings' absence, and a move whose transaction commits after a later change was seen.

Data: Fish4Knowledge, by Phoenix X. Huang, Bastiaan B. Boom and Robert B. Fisher; the original data
are at https://groups.inf.ed.ac.uk/vision/DATASETS/FISH4KNOWLEDGE/WEBSITE/GROUNDTRUTH/RECOG/ (see
../shared/data/README.md for the full notice).
"""

import argparse
import contextlib
import csv
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from harness import ROOT, django_setup  # noqa: E402  (puts the project on sys.path)

SEED = 20240611
FEATURE_NODES = ("fire9/concat_1", "fire8/concat_1")
DATABASE = "bench_individuals"
TOP_K = 5
PLAIN = "A platform embedding: fire9 GAP+GMP, sqrt"
PRODUCT_URL = "postgis://postgres@127.0.0.1:5432/postgres"
PRODUCT_DATABASE = "bench_individuals_product"  # made and dropped by harness.throwaway_database
PRODUCT_EXTRACTOR = "bench-squeezenet-fire9-gap-gmp"


def arguments():
    default_shared = Path(os.environ.get("CATCHLOG_SHARED_DIR", ROOT.parent / "shared"))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=default_shared, help="the team folder (../shared)")
    parser.add_argument("--gallery-size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="timed queries per search kind")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL + pgvector part")
    parser.add_argument(
        "--product-path",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="time sighting_candidates on PostgreSQL/PostGIS (default: when --product-url answers)",
    )
    parser.add_argument("--product-url", default=PRODUCT_URL, help="postgis://... (its server only is used)")
    parser.add_argument(
        "--product-other", type=int, default=20_000, help="sightings of a second species (product path)"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    return parser.parse_args()


# --- 1. Embeddings -------------------------------------------------------------------------------


def l2_normalize(vectors):
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


class PhotoEmbedder:
    """photo bytes -> the platform's embedding of it, L2-normalised float32 (1024-d for SqueezeNet).

    No database: the same steps as classifier.embeddings._Extractor, whose vectors EmbeddingCache
    holds (`raw`), then L2 normalisation (`__call__`)."""

    def __init__(self, *, backbone_path, feature_node="fire9/concat_1"):
        from classifier.demo_model import DEMO_PREPROCESSING
        from classifier.embeddings import backbone_from_file
        from classifier.onnx_compose import embedding_model
        from classifier.preprocessing import Preprocessing
        from classifier.runtime import model_session_create

        self.backbone = backbone_from_file(
            path=backbone_path, preprocessing=DEMO_PREPROCESSING, feature_node=feature_node
        )
        self.preprocessing = Preprocessing.from_spec(self.backbone.preprocessing)
        self.session = model_session_create(
            model_bytes=embedding_model(backbone_bytes=self.backbone.model_bytes, feature_node=feature_node),
            preprocessing=self.preprocessing,
        )

    def decode(self, data: bytes):
        from django.conf import settings

        from classifier.imaging import load_rgb

        return load_rgb(data, max_pixels=settings.PHOTO_MAX_PIXELS, draft_size=self.preprocessing.draft_size)

    def raw(self, image) -> np.ndarray:
        """The unnormalised embedding of a decoded RGB image (the vector the cache holds)."""
        return self.session.run(self.preprocessing.to_tensor([image]))[0]

    def __call__(self, data: bytes) -> np.ndarray:
        return l2_normalize(self.raw(self.decode(data)))


@dataclass
class Photos:
    paths: list[str]
    labels: np.ndarray
    groups: np.ndarray
    raw: dict  # name -> (N, D) unnormalised vectors
    ms_per_photo: float
    check: str


def photos_embed(*, data_dir):
    """Every Fish4Knowledge photo of the manifest: the platform's embedding, of the photo and of its
    mirror image, and the fire8 embedding (for the layer variant)."""
    from PIL import ImageOps

    from classifier.embeddings import _Extractor

    rows = [
        row
        for row in csv.DictReader((data_dir / "MANIFEST.csv").open(newline=""))
        if row["group"].startswith("f4k_traj_") and row["label"] != "bass"
    ]
    backbone_path = data_dir / "backbone" / "SqueezeNet_fp16.onnx"
    fire9 = PhotoEmbedder(backbone_path=backbone_path, feature_node=FEATURE_NODES[0])
    fire8 = PhotoEmbedder(backbone_path=backbone_path, feature_node=FEATURE_NODES[1])
    reference = _Extractor(fire9.backbone)
    from django.conf import settings

    raw = {"fire9": [], "fire9_flip": [], "fire8": []}
    plain_seconds, worst = 0.0, 0.0
    started = time.perf_counter()
    for index, row in enumerate(rows):
        data = (data_dir / row["path"]).read_bytes()
        tick = time.perf_counter()
        image = fire9.decode(data)
        vector = fire9.raw(image)
        plain_seconds += time.perf_counter() - tick
        raw["fire9"].append(vector)
        raw["fire9_flip"].append(fire9.raw(ImageOps.mirror(image)))
        raw["fire8"].append(fire8.raw(image))
        if index < 20:
            worst = max(
                worst, float(np.abs(reference(data, max_pixels=settings.PHOTO_MAX_PIXELS) - vector).max())
            )
        if index and index % 500 == 0:
            print(f"  {index} photos embedded, {time.perf_counter() - started:.0f} s", flush=True)
    check = (
        f"identical to classifier.embeddings._Extractor on 20 photos (max |diff| {worst:g})"
        if worst == 0
        else f"max |diff| against classifier.embeddings._Extractor on 20 photos: {worst:g}"
    )
    return Photos(
        paths=[row["path"] for row in rows],
        labels=np.array([row["label"] for row in rows]),
        groups=np.array([row["group"] for row in rows]),
        raw={name: np.stack(vectors).astype(np.float32) for name, vectors in raw.items()},
        ms_per_photo=1000 * plain_seconds / len(rows),
        check=check,
    )


def variants(raw):
    """name -> (N, D) L2-normalised vectors. The fire9 embedding is signed-sqrt(concat(GAP, GMP)): its
    first half is sqrt(GAP), so the GAP variants cost nothing more than the platform's embedding."""
    fire9, flipped, fire8 = raw["fire9"], raw["fire9"] + raw["fire9_flip"], raw["fire8"]
    half = fire9.shape[1] // 2
    return {
        PLAIN: l2_normalize(fire9),
        "B = A, flip-averaged": l2_normalize(flipped),
        "C fire9 GAP half of A, sqrt": l2_normalize(fire9[:, :half]),
        "D = C, flip-averaged": l2_normalize(flipped[:, :half]),
        "E fire8 GAP + fire9 GAP, sqrt": l2_normalize(
            np.concatenate([l2_normalize(fire8[:, : fire8.shape[1] // 2]), l2_normalize(fire9[:, :half])], 1)
        ),
    }


# --- 2. Re-identification protocol ---------------------------------------------------------------


def queries_choose(*, labels, groups, seed):
    """species -> (indices of its photos, one query photo per trajectory of >= 2 frames)."""
    rng = np.random.default_rng(seed)
    chosen = {}
    for species in sorted(set(labels)):
        indices = np.flatnonzero(labels == species)
        trajectories = defaultdict(list)
        for index in indices:
            trajectories[groups[index]].append(index)
        queries = [int(rng.choice(frames)) for _, frames in sorted(trajectories.items()) if len(frames) >= 2]
        if queries:
            chosen[species] = (indices, queries)
    return chosen


def reidentify(*, vectors, groups, chosen, center=False, all_frames=False):
    """species -> (queries, rank-1 hits, rank-5 hits); cosine similarity, exact."""
    results = {}
    for species, (indices, queries) in chosen.items():
        local = vectors[indices]
        total = local.sum(axis=0)
        trajectory = groups[indices]
        if all_frames:
            counts = {group: int((trajectory == group).sum()) for group in set(trajectory)}
            positions = [position for position, group in enumerate(trajectory) if counts[group] >= 2]
        else:
            where = {index: position for position, index in enumerate(indices)}
            positions = [where[query] for query in queries]
        hits1 = hits5 = 0
        for position in positions:
            gallery, query = local, local[position]
            if center:
                mean = (total - query) / (len(indices) - 1)  # the gallery's mean: the query left out
                gallery, query = l2_normalize(local - mean), l2_normalize(query - mean)
            similarity = gallery @ query
            similarity[position] = -np.inf  # the query's own photo is not in its gallery
            top = np.argpartition(-similarity, TOP_K)[:TOP_K]
            top = top[np.argsort(-similarity[top])]
            same = trajectory[top] == trajectory[position]
            hits1 += bool(same[0])
            hits5 += bool(same.any())
        results[species] = (len(positions), hits1, hits5)
    return results


def overall(results):
    queries = sum(row[0] for row in results.values())
    return (
        queries,
        sum(row[1] for row in results.values()) / queries,
        sum(row[2] for row in results.values()) / queries,
    )


def overall_on(results, species):
    return overall({name: row for name, row in results.items() if name in species})


def protocol(photos, seed):
    chosen = queries_choose(labels=photos.labels, groups=photos.groups, seed=seed)
    table = {}
    for name, vectors in variants(photos.raw).items():
        for center in (False, True):
            key = f"{name}{', gallery-mean centred' if center else ''}"
            table[key] = {
                "dim": vectors.shape[1],
                "one": reidentify(vectors=vectors, groups=photos.groups, chosen=chosen, center=center),
                "all": reidentify(
                    vectors=vectors, groups=photos.groups, chosen=chosen, center=center, all_frames=True
                ),
            }
    return chosen, table


def protocol_show(chosen, table):
    species_count = len(chosen)
    photos_in = sum(len(indices) for indices, _ in chosen.values())
    print()
    print(
        f"Re-identification: {species_count} species with trajectories of >= 2 frames, {photos_in} photos in"
        f" their galleries, {sum(len(q) for _, q in chosen.values())} queries (one frame per trajectory)"
    )
    print("| variant | dim | queries | rank-1 | rank-5 | all frames: queries | rank-1 | rank-5 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, entry in table.items():
        n, r1, r5 = overall(entry["one"])
        n_all, r1_all, r5_all = overall(entry["all"])
        print(
            f"| {key} | {entry['dim']} | {n} | {r1:.3f} | {r5:.3f} | {n_all} | {r1_all:.3f} | {r5_all:.3f} |"
        )
    plain = next(iter(table))
    best = max(table, key=lambda key: (overall(table[key]["one"])[1], overall(table[key]["all"])[1]))
    print()
    print(f"Per species, {plain} (untuned) and the best variant by rank-1 ({best}, chosen on these queries):")
    print("| species | trajectories queried | photos in gallery | rank-1 | rank-5 | best: rank-1 | rank-5 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for species, (n, hits1, hits5) in table[plain]["one"].items():
        _, best1, best5 = table[best]["one"][species]
        print(
            f"| {species} | {n} | {len(chosen[species][0]) - 1} | {hits1 / n:.3f} | {hits5 / n:.3f}"
            f" | {best1 / n:.3f} | {best5 / n:.3f} |"
        )
    n, r1, r5 = overall(table[plain]["one"])
    _, b1, b5 = overall(table[best]["one"])
    print(f"| all | {n} | | {r1:.3f} | {r5:.3f} | {b1:.3f} | {b5:.3f} |")
    # How much choosing the best variant on the reported queries flatters it: choose on half the species,
    # report on the other half, both ways.
    names = sorted(chosen)
    halves = (set(names[0::2]), set(names[1::2]))
    lines = []
    for pick, report in (halves, halves[::-1]):
        chosen_key = max(table, key=lambda key, pick=pick: overall_on(table[key]["one"], pick)[1])
        n, r1, _ = overall_on(table[chosen_key]["one"], report)
        plain1 = overall_on(table[plain]["one"], report)[1]
        lines.append(
            f"chosen on {len(pick)} species: {chosen_key!r}, rank-1 {r1:.3f} on the other {n} queries"
            f" (A: {plain1:.3f})"
        )
    print("Selection check (choose on half the species, score on the rest): " + "; ".join(lines))


# --- 3. Query time -------------------------------------------------------------------------------


def percentiles(seconds):
    ms = np.asarray(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def gallery_make(*, real, size, seed):
    """`size` unit vectors: the real ones first, then random unit vectors of the same dimension."""
    rng = np.random.default_rng(seed)
    extra = max(0, size - len(real))
    synthetic = l2_normalize(rng.standard_normal((extra, real.shape[1]), dtype=np.float32))
    return np.ascontiguousarray(np.concatenate([real[:size], synthetic]), dtype=np.float32)


def numpy_search(gallery, query, k=TOP_K):
    similarity = gallery @ query
    top = np.argpartition(-similarity, k)[:k]
    return top[np.argsort(-similarity[top])]


def numpy_time(*, gallery, queries, threads=None, warmup=10):
    """p50/p95 of `numpy_search`, with BLAS limited to `threads` when threadpoolctl is installed."""
    limit = contextlib.nullcontext()
    if threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return None
        limit = threadpool_limits(threads, user_api="blas")
    with limit:
        for query in queries[:warmup]:
            numpy_search(gallery, query)
        seconds = []
        for query in queries:
            tick = time.perf_counter()
            numpy_search(gallery, query)
            seconds.append(time.perf_counter() - tick)
    return percentiles(seconds)


def numpy_part(*, kept, query_rows, size, seed, species_count=10):
    """Exact search over the whole gallery and over one species' share of it, for each embedding;
    answers the platform embedding's gallery and the rows of the real vectors in it."""
    keep = np.setdiff1d(np.arange(len(kept[PLAIN])), query_rows)
    print()
    print(
        f"Exact search with numpy: {size:,} unit vectors ({len(keep)} real, the rest random),"
        f" {len(query_rows)} real queries (not in the gallery), top {TOP_K}; BLAS threads: the default"
        f" ({os.cpu_count()} cpus), and 1"
    )
    print("| embedding | dim | gallery | p50 | p95 | 1 BLAS thread: p50 | p95 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    first = None
    for name in (PLAIN, "C fire9 GAP half of A, sqrt"):
        vectors = kept[name]
        gallery = gallery_make(real=vectors[keep], size=size, seed=seed)
        if first is None:
            first = gallery
        queries = vectors[query_rows]
        for rows, label in ((gallery, f"{len(gallery):,}"), (gallery[: size // species_count], "")):
            rows = np.ascontiguousarray(rows)
            label = label or f"{len(rows):,} (one species of {species_count})"
            default = numpy_time(gallery=rows, queries=queries)
            single = numpy_time(gallery=rows, queries=queries, threads=1)
            one = f"{single[0]:.2f} ms | {single[1]:.2f} ms" if single else "(no threadpoolctl) | "
            print(
                f"| {name} | {gallery.shape[1]} | {label} | {default[0]:.2f} ms | {default[1]:.2f} ms"
                f" | {one} |"
            )
    return first, keep


# --- PostgreSQL + pgvector -----------------------------------------------------------------------


def pgvector_part(*, url, gallery, species_of_row, queries, query_species):
    """Figures, or a sentence saying why there are none."""
    try:
        import psycopg
        from psycopg.conninfo import make_conninfo
    except ImportError:
        return "skipped: psycopg is not installed"
    try:
        from pgvector.psycopg import register_vector
    except ImportError:
        return "skipped: the pgvector Python package is not installed (.venv/bin/pip install pgvector)"
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=5)
    except psycopg.Error as error:
        return f"skipped: cannot connect to {url}: {error}".strip()
    with admin:
        available = admin.execute(
            "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
        server = admin.execute("SHOW server_version").fetchone()[0]
        if available is None:
            return (
                f"skipped: PostgreSQL {server} at {url} has no 'vector' extension"
                " (Debian 12 has no postgresql-15-pgvector package; PGDG's apt repository or a build"
                " from source has it)"
            )
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
        try:
            with psycopg.connect(make_conninfo(url, dbname=DATABASE), autocommit=True) as connection:
                # No server-side prepared statements: a cached generic plan would outlive the SETs.
                connection.prepare_threshold = None
                return pgvector_measure(
                    connection=connection,
                    register_vector=register_vector,
                    server=server,
                    gallery=gallery,
                    species_of_row=species_of_row,
                    queries=queries,
                    query_species=query_species,
                )
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def pgvector_table(connection, *, name, gallery, species_of_row, storage=None):
    """A table of the gallery: (id, project_id, species_id, embedding), btree on the filter columns."""
    connection.execute(
        f"CREATE TABLE {name} (id bigint PRIMARY KEY, project_id integer NOT NULL,"
        f" species_id integer NOT NULL, embedding vector({gallery.shape[1]}) NOT NULL)"
    )
    if storage:
        connection.execute(f"ALTER TABLE {name} ALTER embedding SET STORAGE {storage}")
    with connection.cursor() as cursor:
        copy_sql = f"COPY {name} (id, project_id, species_id, embedding) FROM STDIN WITH (FORMAT BINARY)"
        with cursor.copy(copy_sql) as copy:
            copy.set_types(["int8", "int4", "int4", "vector"])
            for row, vector in enumerate(gallery):
                copy.write_row((row, 1, int(species_of_row[row]), vector))
    connection.execute(f"CREATE INDEX {name}_project_species ON {name} (project_id, species_id)")
    connection.execute(f"VACUUM ANALYZE {name}")


def pgvector_queries(connection, *, table, queries, query_species, label, settings=()):
    """p50/p95 of the query, each planned with its own values, after 10 warm-up queries; `plan` is
    EXPLAIN's for the first query."""
    for setting in settings:
        connection.execute(f"SET {setting}")
    sql = f"SELECT id FROM {table} WHERE project_id = 1 AND species_id = %s ORDER BY embedding <=> %s LIMIT 5"
    plan = connection.execute("EXPLAIN (COSTS OFF) " + sql, (int(query_species[0]), queries[0])).fetchall()
    for species, query in zip(query_species[:10], queries[:10], strict=True):
        connection.execute(sql, (int(species), query)).fetchall()
    seconds, answers = [], []
    for species, query in zip(query_species, queries, strict=True):
        tick = time.perf_counter()
        rows = connection.execute(sql, (int(species), query)).fetchall()
        seconds.append(time.perf_counter() - tick)
        answers.append([row[0] for row in rows])
    connection.execute("RESET ALL")
    scan = next((line[0].strip(" ->") for line in plan if "Scan" in line[0]), plan[0][0])
    return {
        "label": label,
        "p50_p95": percentiles(seconds),
        "answers": answers,
        "plan": scan.split(" on ")[0],
    }


def pgvector_measure(*, connection, register_vector, server, gallery, species_of_row, queries, query_species):
    from importlib.metadata import version as package_version

    connection.execute("CREATE EXTENSION vector")
    register_vector(connection)
    extension = connection.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[
        0
    ]
    version = tuple(int(part) for part in extension.split(".")[:2])
    figures = {
        "server": server,
        "extension": extension,
        "python package": package_version("pgvector"),
        "rows": len(gallery),
        "dim": gallery.shape[1],
    }
    tick = time.perf_counter()
    pgvector_table(connection, name="t", gallery=gallery, species_of_row=species_of_row)
    figures["load_s"] = time.perf_counter() - tick
    # pgvector stores a vector out of line (TOAST) once a row passes ~2 kB: 1024-d is 4 kB. Kept in the
    # row instead (STORAGE PLAIN, one row per 8 kB page), an exact scan reads no TOAST.
    pgvector_table(
        connection, name="t_plain", gallery=gallery, species_of_row=species_of_row, storage="PLAIN"
    )
    common = {"queries": queries, "query_species": query_species}
    runs = [
        pgvector_queries(connection, table="t", label="exact, no vector index", **common),
        pgvector_queries(
            connection, table="t_plain", label="exact, no vector index, STORAGE PLAIN", **common
        ),
    ]
    exact = runs[0]["answers"]
    connection.execute("SET maintenance_work_mem = '1GB'")
    tick = time.perf_counter()
    if version < (0, 5):
        connection.execute(
            "CREATE INDEX t_embedding ON t USING ivfflat (embedding vector_cosine_ops) WITH (lists = 100)"
        )
        figures["index"], knob = "ivfflat (lists 100)", "ivfflat.probes"
        values = (10, 30)
    else:
        connection.execute(
            "CREATE INDEX t_embedding ON t USING hnsw (embedding vector_cosine_ops)"
            " WITH (m = 16, ef_construction = 64)"
        )
        figures["index"], knob = "HNSW (m 16, ef_construction 64)", "hnsw.ef_search"
        values = (40, 100)
    figures["index_build_s"] = time.perf_counter() - tick
    connection.execute("RESET maintenance_work_mem")
    connection.execute("ANALYZE t")
    access = knob.split(".")[0]
    # The vector index even where the planner would rather filter by the btree and sort: with sorting
    # priced out, only the vector index gives the order.
    forced = ("enable_sort = off",)
    for value in values:
        variants_tried = [((), "planner's choice"), (forced, "index forced")]
        if version >= (0, 8):  # iterative index scans: scan on until LIMIT rows pass the filter
            variants_tried += [
                ((f"{access}.iterative_scan = relaxed_order",), "iterative scan, planner's choice")
            ]
            variants_tried += [
                ((*forced, f"{access}.iterative_scan = relaxed_order"), "iterative scan, index forced")
            ]
        for settings, how in variants_tried:
            run = pgvector_queries(
                connection,
                table="t",
                label=f"{figures['index']}, {knob} {value}, {how}",
                settings=(f"{knob} = {value}", *settings),
                **common,
            )
            run["recall"] = float(
                np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(run["answers"], exact, strict=True)])
            )
            run["short"] = sum(len(a) < TOP_K for a in run["answers"])
            runs.append(run)
    figures["runs"] = runs
    return figures


def pgvector_show(url, figures):
    if isinstance(figures, str):
        print(f"PostgreSQL + pgvector: {figures}")
        return
    print(
        f"PostgreSQL {figures['server']} at {url}, pgvector extension {figures['extension']}, Python package"
        f" pgvector {figures['python package']}: {figures['rows']:,} rows of vector({figures['dim']}),"
        f" 1 project, 10 species, loaded (binary COPY, btree, VACUUM ANALYZE) in {figures['load_s']:.0f} s;"
        f" {figures['index']} built in {figures['index_build_s']:.0f} s. Query: WHERE project_id = 1 AND"
        f" species_id = $1 ORDER BY embedding <=> $2 LIMIT 5 ({len(figures['runs'][0]['answers'])} queries)"
    )
    print("| query | plan | p50 | p95 | recall@5 vs exact | queries with < 5 rows |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for run in figures["runs"]:
        p50, p95 = run["p50_p95"]
        recall = f"{run['recall']:.3f}" if "recall" in run else "(exact)"
        print(
            f"| {run['label']} | {run['plan']} | {p50:.2f} ms | {p95:.2f} ms | {recall}"
            f" | {run.get('short', 0)} |"
        )
    print(f"(database {DATABASE} dropped)")


# --- 4. The product path: sighting_candidates on PostgreSQL --------------------------------------

PRODUCT_START = "2025-01-01T00:00:00+00:00"  # sighting number i (from 1) was made i minutes later

# One row per (id, species) pair of the arrays, in their order: created_at says which came first.
PRODUCT_SIGHTINGS = """
WITH raw AS (
    SELECT u.id, u.species_id, u.i, -84 + random() * 4 AS x, 38 + random() * 4 AS y
    FROM unnest(%(ids)s::uuid[], %(species)s::int[]) WITH ORDINALITY AS u(id, species_id, i)
), place AS (
    SELECT raw.*, floor(x / 0.2) * 0.2 AS west, floor(y / 0.2) * 0.2 AS south,
        %(start)s::timestamptz + i * interval '1 minute' AS made
    FROM raw
)
INSERT INTO sightings_sighting (id, owner_id, project_id, photo, photo_sha256, public_photo, exif, location,
    cell, cell_point, location_accuracy_m, observed_at, notes, geoprivacy, license, status, failure_reason,
    species_id, quality_grade, top_score, uncertain, created_at, updated_at, classified_at)
SELECT id, %(owner)s, %(project)s, 'originals/' || i || '.jpg', md5(i::text) || md5(i::text),
    'photos/' || i || '.jpg', '{}'::jsonb, ST_SetSRID(ST_MakePoint(x, y), 4326),
    ST_MakeEnvelope(west, south, west + 0.2, south + 0.2, 4326),
    ST_SetSRID(ST_MakePoint(west + random() * 0.19999, south + random() * 0.19999), 4326), 10,
    made - interval '1 hour', '', (ARRAY['open', 'obscured', 'private'])[1 + i %% 3], 'cc-by', 'classified',
    '', species_id, 'needs_id', 0.9, false, made, made, made
FROM place
"""
PRODUCT_CLASSIFICATIONS = """
INSERT INTO sightings_classification
    (sighting_id, model_version_id, rejected, uncertain, top_score, duration_ms, created_at)
SELECT id, %(version)s, false, false, 0.9, 5, created_at FROM sightings_sighting
"""
PRODUCT_PREDICTIONS = """
INSERT INTO sightings_prediction (classification_id, rank, label, species_id, score)
SELECT c.id, 1, 'bench_' || s.species_id, s.species_id, 0.9
FROM sightings_classification c JOIN sightings_sighting s ON s.id = c.sighting_id
"""
PRODUCT_EMBEDDINGS = (
    "COPY sightings_sightingembedding (sighting_id, extractor, dimensions, vector, created_at)"
    " FROM STDIN WITH (FORMAT BINARY)"
)


def postgres_reachable(url):
    """Whether something accepts TCP connections at the URL's host and port (2 s)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def blas_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (no threadpoolctl)"
    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return (
        ", ".join(f"{pool['internal_api']} {pool['num_threads']} threads" for pool in pools)
        or "no BLAS found"
    )


def load_average():
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


@dataclass
class ProductData:
    owner: object
    moderator_id: int
    project_id: int
    species_a: object
    species_b: object
    ids: list  # every sighting id in created order; the queries are the last ones
    species: np.ndarray  # species id of each
    vector_of: dict  # sighting id -> its unit vector (species A and the queries only)
    a_ids: list  # the sightings of species A in created order (the queries last)
    a_matrix: np.ndarray  # their vectors, in that order
    query_ids: list
    b_ids: list
    load_s: float


def product_load(*, gallery, query_vectors, other, seed):
    """Sightings of one project: `gallery` rows of species A and `other` random ones of species B, in a
    seeded random order, then the query sightings (species A, newest); a classification with a top
    prediction and an embedding each."""
    import uuid
    from datetime import datetime, timedelta

    from django.contrib.auth.models import Group, Permission, User
    from django.db import connection

    from classifier.models import ModelVersion
    from projects.selectors import project_default
    from regulations.models import Species
    from sightings import roles
    from sightings.individuals.vectors import embedding_bytes

    tick = time.perf_counter()
    rng = np.random.default_rng(seed + 1)
    roles.groups_ensure(group_model=Group, permission_model=Permission)
    owner = User.objects.create_user("bench-angler")
    moderator = User.objects.create_user("bench-moderator", is_staff=True)
    moderator.groups.add(Group.objects.get(name=roles.MODERATORS))
    species_a = Species.objects.create(scientific_name="Micropterus salmoides", common_name="Largemouth bass")
    species_b = Species.objects.create(scientific_name="Sander vitreus", common_name="Walleye")
    project = project_default()
    version = ModelVersion.objects.create(
        project=project,
        name="bench model",
        onnx_file="models/bench.onnx",
        sha256="0" * 64,
        labels=["a", "b"],
        preprocessing={},
        training_data={"embedding_extractor": PRODUCT_EXTRACTOR},
    )
    assert version.embedding_extractor == PRODUCT_EXTRACTOR
    is_a = np.concatenate([np.ones(len(gallery), dtype=bool), np.zeros(other, dtype=bool)])
    rng.shuffle(is_a)
    is_a = np.concatenate([is_a, np.ones(len(query_vectors), dtype=bool)])
    species = np.where(is_a, species_a.pk, species_b.pk)
    ids = [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(len(is_a))]
    a_matrix = np.concatenate([gallery, query_vectors])
    a_vectors = iter(a_matrix)
    b_vectors = l2_normalize(rng.standard_normal((other, gallery.shape[1]), dtype=np.float32))
    start = datetime.fromisoformat(PRODUCT_START)
    with connection.cursor() as cursor:
        cursor.execute(
            PRODUCT_SIGHTINGS,
            {
                "ids": ids,
                "species": [int(value) for value in species],
                "start": start,
                "owner": owner.pk,
                "project": project.pk,
            },
        )
        cursor.execute(PRODUCT_CLASSIFICATIONS, {"version": version.pk})
        cursor.execute(PRODUCT_PREDICTIONS)
    vector_of, b_ids, b_index = {}, [], 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(PRODUCT_EMBEDDINGS) as copy:
        copy.set_types(["uuid", "varchar", "int4", "bytea", "timestamptz"])
        for number, (sighting_id, a) in enumerate(zip(ids, is_a, strict=True), start=1):
            if a:
                vector = vector_of[sighting_id] = next(a_vectors)
            else:
                vector, b_index = b_vectors[b_index], b_index + 1
                b_ids.append(sighting_id)
            made = start + timedelta(minutes=number, seconds=30)
            copy.write_row((sighting_id, PRODUCT_EXTRACTOR, len(vector), embedding_bytes(vector), made))
    with connection.cursor() as cursor:
        for table in ("sightings_sighting", "sightings_sightingembedding", "sightings_classification"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("ANALYZE")
    return ProductData(
        owner=owner,
        moderator_id=moderator.pk,
        project_id=project.pk,
        species_a=species_a,
        species_b=species_b,
        ids=ids,
        species=species,
        vector_of=vector_of,
        a_ids=[sighting_id for sighting_id, a in zip(ids, is_a, strict=True) if a],
        a_matrix=a_matrix,
        query_ids=ids[-len(query_vectors) :],
        b_ids=b_ids,
        load_s=time.perf_counter() - tick,
    )


class GallerySpy:
    """Wraps gallery._load and gallery._refresh (gallery_get finds both in the module at each call),
    and the selectors module's nearest: the seconds and rows of each full read, the seconds of each
    refresh and of each search."""

    def __init__(self):
        from sightings.individuals import gallery, selectors

        self.module, self.selectors = gallery, selectors
        self.loads, self.refreshes, self.searches = [], [], []

    def __enter__(self):
        self.original = (self.module._load, self.module._refresh, self.selectors.nearest)
        load, refresh, search = self.original

        def loaded(**kwargs):
            tick = time.perf_counter()
            result = load(**kwargs)
            self.loads.append((time.perf_counter() - tick, result.size))
            return result

        def refreshed(gallery):
            tick = time.perf_counter()
            refresh(gallery)
            self.refreshes.append(time.perf_counter() - tick)

        def searched(**kwargs):
            tick = time.perf_counter()
            result = search(**kwargs)
            self.searches.append(time.perf_counter() - tick)
            return result

        self.module._load, self.module._refresh, self.selectors.nearest = loaded, refreshed, searched
        return self

    def __exit__(self, *exc):
        self.module._load, self.module._refresh, self.selectors.nearest = self.original


@dataclass
class Calls:
    seconds: list
    answers: list  # per call: [(candidate id, similarity)]
    asked: list  # the sighting each call asked about
    refreshed: list  # per call: whether gallery_get refreshed a gallery
    queries: list  # with capture: per call, [(ms, sql)] of the queries it sent
    refresh_seconds: list  # of each gallery._refresh during the calls
    nearest_seconds: list  # of each gallery.nearest the calls made

    def p(self):
        return percentiles(self.seconds)


def product_calls(*, sightings, moderator_id, before=None, after=None, capture=False):
    """sighting_candidates on each sighting (or on what `before(sighting)` answers, run untimed just
    before the call), as a platform moderator (a fresh user object per call, as a request has);
    `after(sighting, answer)`, untimed, after each."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sightings.individuals.selectors import sighting_candidates

    calls = Calls([], [], [], [], [], [], [])
    with GallerySpy() as spy:
        for sighting in sightings:
            if before is not None:
                sighting = before(sighting)
            viewer = User.objects.get(pk=moderator_id)
            refreshes = len(spy.refreshes)
            context = CaptureQueriesContext(connection) if capture else contextlib.nullcontext()
            with context as captured:
                tick = time.perf_counter()
                found = sighting_candidates(sighting=sighting, viewer=viewer)
                calls.seconds.append(time.perf_counter() - tick)
            calls.answers.append([(row["id"], row["similarity"]) for row in found])
            calls.asked.append(sighting)
            calls.refreshed.append(len(spy.refreshes) > refreshes)
            if capture:
                calls.queries.append([(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries])
            if after is not None:
                after(sighting, calls.answers[-1])
    calls.refresh_seconds.extend(spy.refreshes)
    calls.nearest_seconds.extend(spy.searches)
    return calls


def sql_time(sql, repeat=20):
    from django.db import connection

    seconds = []
    with connection.cursor() as cursor:
        for index in range(repeat + 3):
            tick = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            if index >= 3:
                seconds.append(time.perf_counter() - tick)
    return percentiles(seconds)


def plan_of(sql):
    """EXPLAIN ANALYZE of `sql`: (text lines, one-line summary of its nodes, execution ms, JIT ms)."""
    import json

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        document = cursor.fetchone()[0]
    document = (json.loads(document) if isinstance(document, str) else document)[0]
    nodes = []

    def walk(plan):
        name = plan["Node Type"]
        if plan.get("Index Name"):
            name += f" using {plan['Index Name']}"
        if plan.get("Relation Name"):
            name += f" on {plan['Relation Name']}"
        if "Scan" in plan["Node Type"]:
            name += f" ({plan['Actual Rows'] * plan['Actual Loops']:,} rows)"
        nodes.append(name)
        for child in plan.get("Plans", ()):
            walk(child)

    walk(document["Plan"])
    jit = document.get("JIT", {}).get("Timing", {}).get("Total", 0.0)
    if isinstance(jit, dict):  # PostgreSQL 16+: {"Total": {"Time": ...}}
        jit = jit.get("Time", 0.0)
    return lines, " > ".join(nodes), document["Execution Time"], float(jit)


class Reference:
    """The right answers: the 5 most cosine-similar earlier live sightings of species A, exact, over
    the bench's own copy of every A vector (the original ones in created order, then the added ones)."""

    def __init__(self, data):
        self.matrix, self.ids = data.a_matrix, data.a_ids
        self.live = np.ones(len(self.ids), dtype=bool)
        self.row = {sighting_id: row for row, sighting_id in enumerate(self.ids)}
        self.added, self.added_ids = [], []

    def move_out(self, sighting_id):
        self.live[self.row[sighting_id]] = False

    def add(self, sighting_id, vector):
        self.added.append(vector)
        self.added_ids.append(sighting_id)

    def answer(self, sighting_id, query):
        """(ids, similarities) of the best 5 sightings made before `sighting_id`."""
        if sighting_id in self.row:
            rows, added = self.row[sighting_id], 0
        else:
            rows, added = len(self.ids), self.added_ids.index(sighting_id)
        similarity = self.matrix[:rows] @ query
        similarity[~self.live[:rows]] = -np.inf
        ids = self.ids[:rows]
        if added:
            similarity = np.concatenate([similarity, np.stack(self.added[:added]) @ query])
            ids = ids + self.added_ids[:added]
        best = np.argpartition(-similarity, TOP_K)[:TOP_K]
        best = best[np.argsort(-similarity[best], kind="stable")]
        return [ids[row] for row in best], [float(similarity[row]) for row in best]

    def verdict(self, sighting, answer, vector_of):
        """'same', 'ties' (the same similarities, equal ones in another order or choice) or 'differ'."""
        ids, similarities = self.answer(sighting.pk, vector_of[sighting.pk])
        if [pair[0] for pair in answer] == ids:
            return "same"
        if len(answer) == len(ids) and np.allclose(
            sorted(pair[1] for pair in answer), sorted(similarities), atol=1.5e-4
        ):
            return "ties"
        return "differ"

    def checker(self, vector_of, count=50):
        """An `after` for product_calls: each of the first `count` answers against the rows live then."""
        verdicts = []

        def after(sighting, answer):
            if len(verdicts) < count:
                verdicts.append(self.verdict(sighting, answer, vector_of))

        return after, verdicts


def product_part(*, gallery, query_vectors, groups_real, groups_query, other, seed):
    """The figures of sighting_candidates over a PostgreSQL gallery, in a throwaway database."""
    import gc
    import re

    from bench_export import PeakRss
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings
    from django.utils import timezone
    from harness import throwaway_database

    from sightings.individuals.gallery import galleries_clear, gallery_get, nearest
    from sightings.individuals.vectors import embedding_bytes
    from sightings.models import Sighting, SightingEmbedding

    assert not PRODUCT_DATABASE.startswith(("test", "catchlog_")), PRODUCT_DATABASE
    figures = {"load_before": load_average(), "blas": blas_threads()}
    connection.settings_dict.setdefault("TEST", {})["NAME"] = PRODUCT_DATABASE
    tick = time.perf_counter()
    with throwaway_database(prefix="bench-individuals-"):
        figures["migrate_s"] = time.perf_counter() - tick
        data = product_load(gallery=gallery, query_vectors=query_vectors, other=other, seed=seed)
        figures.update(load_s=data.load_s, a_rows=len(data.a_ids), b_rows=len(data.b_ids))
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            figures["server"] = cursor.fetchone()[0].split(" on ")[0]
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('sightings_sightingembedding'))")
            figures["embedding_table"] = cursor.fetchone()[0]
            cursor.execute("SHOW jit")
            figures["jit"] = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'sighting_project_changes_idx'")
            figures["changes_index"] = bool(cursor.fetchone()[0])
        figures["recheck_s"] = settings.GALLERY_RECHECK_SECONDS
        order = {sighting_id: index for index, sighting_id in enumerate(data.query_ids)}
        queries = sorted(Sighting.objects.filter(pk__in=data.query_ids), key=lambda row: order[row.pk])
        b_queries = list(Sighting.objects.filter(pk__in=data.b_ids[-50:]))
        query_set = set(data.query_ids)
        common = {"moderator_id": data.moderator_id}
        reference = Reference(data)
        vector_of = data.vector_of

        def gallery_of(species):
            return gallery_get(project_id=data.project_id, species_id=species.pk, extractor=PRODUCT_EXTRACTOR)

        # (a) cold: the first call of a process reads the gallery from PostgreSQL.
        cold = []
        for sighting in queries[:2]:
            galleries_clear()
            gc.collect()
            with PeakRss() as memory, GallerySpy() as spy:
                calls = product_calls(sightings=[sighting], **common)
            cold.append((calls.seconds[0] * 1000, memory.delta_mb, spy.loads))
        figures["cold"] = cold
        cached = gallery_of(data.species_a)
        figures["matrix"] = (cached.size, cached.matrix.shape, cached.matrix.nbytes / 2**20)
        figures["ids_mb"] = (
            sys.getsizeof(cached.ids) + sum(sys.getsizeof(i) + sys.getsizeof(i.int) for i in cached.ids)
        ) / 2**20
        with PeakRss() as memory, GallerySpy() as spy:
            calls = product_calls(sightings=b_queries[:1], **common)
        figures["cold_b"] = (calls.seconds[0] * 1000, memory.delta_mb, spy.loads)

        # (b) warm, GALLERY_RECHECK_SECONDS as configured: a refresh only once that much time has passed.
        figures["load_warm"] = load_average()
        product_calls(sightings=queries[:5], **common)
        check, figures["warm_agree"] = reference.checker(vector_of)
        warm = product_calls(sightings=queries, after=check, **common)
        figures["warm"] = warm
        group_of = dict(zip(data.a_ids, groups_real, strict=False))
        group_of.update(zip(data.query_ids, groups_query, strict=True))
        figures["own_trajectory"] = (
            sum(
                bool(a) and group_of.get(a[0][0]) == group
                for a, group in zip(warm.answers, groups_query, strict=True)
            ),
            len(warm.answers),
        )
        figures["short"] = sum(len(answer) < TOP_K for answer in warm.answers)
        figures["warm_counted"] = product_calls(sightings=queries[:20], capture=True, **common)
        product_calls(sightings=b_queries[:3], **common)
        figures["warm_b"] = product_calls(sightings=b_queries, **common)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            threadpool_limits = None
        if threadpool_limits is not None:
            with threadpool_limits(1, user_api="blas"):
                figures["warm_1"] = product_calls(sightings=queries, **common)

        # (d) gallery.nearest alone, as sighting_candidates asks it (k + SEARCH_SLACK, the query left out).
        def nearest_time():
            seconds = []
            for sighting_id in data.query_ids:
                tick = time.perf_counter()
                nearest(gallery=cached, query=vector_of[sighting_id], k=25, exclude=frozenset({sighting_id}))
                seconds.append(time.perf_counter() - tick)
            return percentiles(seconds)

        cached = gallery_of(data.species_a)
        figures["nearest"] = nearest_time()
        if threadpool_limits is not None:
            with threadpool_limits(1, user_api="blas"):
                figures["nearest_1"] = nearest_time()

        # (c) GALLERY_RECHECK_SECONDS = 0: every call refreshes its gallery (the worst case).
        rng = np.random.default_rng(seed + 2)
        inserts, added, moved = [], [], []
        a_earlier = [sighting_id for sighting_id in data.a_ids if sighting_id not in query_set]
        picks = iter(rng.permutation(len(a_earlier)))
        chain = [data.a_matrix[-1]]  # each new vector is the last one plus noise (cosine ~0.9)

        def insert_one(_sighting):
            tick = time.perf_counter()
            sighting = Sighting.objects.create(
                owner=data.owner,
                project_id=data.project_id,
                photo="originals/new.jpg",
                photo_sha256="f" * 64,
                species=data.species_a,
                status=Sighting.Status.CLASSIFIED,
            )
            noise = rng.standard_normal(gallery.shape[1], dtype=np.float32) * (0.45 / gallery.shape[1] ** 0.5)
            vector = l2_normalize(chain[-1] + noise)
            chain.append(vector)
            SightingEmbedding.objects.create(
                sighting=sighting,
                extractor=PRODUCT_EXTRACTOR,
                dimensions=len(vector),
                vector=embedding_bytes(vector),
            )
            inserts.append(time.perf_counter() - tick)
            vector_of[sighting.pk] = vector
            reference.add(sighting.pk, vector)
            added.append(sighting.pk)
            return sighting

        def touch_one(sighting):
            # As sightings.services.individuals links a sighting to an individual: updated_at only.
            Sighting.objects.filter(pk=a_earlier[next(picks)]).update(updated_at=timezone.now())
            return sighting

        best_of = {
            sighting.pk: [pair[0] for pair in answer]
            for sighting, answer in zip(warm.asked, warm.answers, strict=True)
        }

        moves_before = []  # per call of the move scenario: how many moves it comes after

        def move_one(sighting):
            # A species corrected: the sighting's best earlier candidate (not itself a query) goes to B.
            gone = set(moved)
            target = next((i for i in best_of[sighting.pk] if i not in gone and i not in query_set), None)
            if target is None:
                target = a_earlier[next(picks)]
            Sighting.objects.filter(pk=target).update(species=data.species_b, updated_at=timezone.now())
            moved.append(target)
            moves_before.append(len(moved))
            reference.move_out(target)
            return sighting

        scenarios = {}
        with override_settings(GALLERY_RECHECK_SECONDS=0):
            for name, before, asked in (
                ("nothing", None, queries),
                ("insert", insert_one, queries),
                ("touch", touch_one, queries),
                ("move", move_one, queries),
            ):
                check, verdicts = reference.checker(vector_of)
                calls = product_calls(sightings=asked, before=before, after=check, **common)
                counted = product_calls(sightings=asked[:10], before=before, capture=True, **common)
                scenarios[name] = (calls, counted, verdicts)
            figures["inserted_top1"] = sum(
                bool(answer) and answer[0][0] == added[index - 1]
                for index, answer in enumerate(scenarios["insert"][0].answers)
                if index
            )
            figures["insert"] = percentiles(inserts)
            moved_set = set(moved)
            answers = scenarios["move"][0].answers + scenarios["move"][1].answers
            appeared = sum(
                pair[0] in set(moved[:count])
                for answer, count in zip(answers, moves_before, strict=True)
                for pair in answer
            )
            # After the moves: every query again, against the live rows; B's gallery has them all.
            check, after_agree = reference.checker(vector_of, count=len(queries))
            again = product_calls(sightings=queries, after=check, **common)
            appeared_after = sum(pair[0] in moved_set for answer in again.answers for pair in answer)
            product_calls(sightings=b_queries[:1], **common)
            gallery_b = gallery_of(data.species_b)
            in_b = sum(
                sighting_id in gallery_b.index and bool(gallery_b.alive[gallery_b.index[sighting_id]])
                for sighting_id in moved_set
            )
            gallery_a = gallery_of(data.species_a)
            alive_a = sum(
                sighting_id in gallery_a.index and bool(gallery_a.alive[gallery_a.index[sighting_id]])
                for sighting_id in moved_set
            )
            figures["moves"] = {
                "moved": len(moved_set),
                "appeared": appeared,
                "after_agree": after_agree,
                "appeared_after": appeared_after,
                "in_b": in_b,
                "alive_in_a": alive_a,
                "gallery_a": (gallery_a.size, int(gallery_a.alive[: gallery_a.size].sum())),
            }
            figures["scenarios"] = scenarios

            # The two refresh reads as sent, their plans (on the migrations' indexes, 0010 included).
            def read_of(counted, marker):
                for call in reversed(counted.queries):
                    for _, sql in call:
                        if marker in sql:
                            return re.sub(r"^DECLARE .*? CURSOR (WITH|WITHOUT) HOLD FOR ", "", sql)
                return None

            reads = []
            for label, marker in (
                ("embeddings made since", '"sightings_sightingembedding"."created_at" >'),
                ("project's sightings changed since", '"sightings_sighting"."updated_at" >'),
            ):
                sql = read_of(scenarios["move"][1], marker)
                if sql is not None:
                    _, summary, executed, jit = plan_of(sql)
                    reads.append((label, sql, summary, executed, jit, sql_time(sql, repeat=20)))
            figures["refresh_reads"] = reads

            # A move committed after a later change was seen: updated_at is taken when the row is
            # written, so a transaction that commits late carries a time older than gallery.changed.
            probe = queries[-1]
            target = product_calls(sightings=[probe], **common).answers[0][0][0]
            late = connection.copy()
            try:
                late.set_autocommit(False)
                with late.cursor() as cursor:
                    cursor.execute(
                        "UPDATE sightings_sighting SET species_id = %s, updated_at = now() WHERE id = %s",
                        [data.species_b.pk, target],
                    )
                time.sleep(0.05)
                product_calls(sightings=[probe], before=touch_one, **common)  # sees a later change
                late.commit()
            finally:
                late.close()
            reference.move_out(target)
            seen = product_calls(sightings=[probe], **common).answers[0]
            gallery_a = gallery_of(data.species_a)
            still = bool(gallery_a.alive[gallery_a.index[target]])
            galleries_clear()
            reloaded = product_calls(sightings=[probe], **common).answers[0]
            figures["late"] = (
                target in [pair[0] for pair in seen],
                still,
                target in [pair[0] for pair in reloaded],
            )
        galleries_clear()
    figures["load_after"] = load_average()
    return figures


def product_show(url, figures):
    if isinstance(figures, str):
        print(f"Product path: {figures}")
        return
    size, shape, matrix_mb = figures["matrix"]
    print(
        f"Product path: sighting_candidates(sighting=, viewer=<platform moderator>) on {figures['server']}"
        f" ({url} -> throwaway database {PRODUCT_DATABASE}, migrated in {figures['migrate_s']:.0f} s,"
        f" sighting_project_changes_idx {'present' if figures['changes_index'] else 'MISSING'});"
        f" {figures['a_rows']:,} sightings of species A (the gallery above and the queries, the newest),"
        f" {figures['b_rows']:,} of species B (random), one project, an embedding each"
        f" (vector({shape[1]}) as float32 bytes; embedding table {figures['embedding_table']}), a"
        f" classification and a top prediction each; loaded in {figures['load_s']:.0f} s. numpy BLAS:"
        f" {figures['blas']}; server jit = {figures['jit']}; GALLERY_RECHECK_SECONDS ="
        f" {figures['recheck_s']:g}; load average {figures['load_before']} before, {figures['load_warm']}"
        f" at (b), {figures['load_after']} after."
    )

    def counts(calls):
        """'4' or '4; 6 with a refresh' (the range over the counted calls)."""

        def spread(numbers):
            low, high = min(numbers), max(numbers)
            return str(low) if low == high else f"{low}-{high}"

        plain = [len(q) for q, refreshed in zip(calls.queries, calls.refreshed, strict=True) if not refreshed]
        fresh = [len(q) for q, refreshed in zip(calls.queries, calls.refreshed, strict=True) if refreshed]
        parts = ([spread(plain)] if plain else []) + ([f"{spread(fresh)} with a refresh"] if fresh else [])
        return "; ".join(parts)

    print("| figure | p50 | p95 | SQL queries per call | note |")
    print("| --- | ---: | ---: | ---: | --- |")
    for index, (ms, rss, loads) in enumerate(figures["cold"]):
        seconds, rows = loads[0]
        print(
            f"| (a) cold, species A, try {index + 1} | {ms:,.0f} ms | | | _load {seconds * 1000:,.0f} ms for"
            f" {rows:,} rows; peak RSS +{rss:,.0f} MB |"
        )
    ms, rss, loads = figures["cold_b"]
    print(
        f"| (a) cold, species B | {ms:,.0f} ms | | | _load {loads[0][0] * 1000:,.0f} ms for {loads[0][1]:,}"
        f" rows; peak RSS +{rss:,.0f} MB |"
    )
    warm = figures["warm"]
    p50, p95 = warm.p()
    quiet = [s for s, refreshed in zip(warm.seconds, warm.refreshed, strict=True) if not refreshed]
    q50, q95 = percentiles(quiet)

    def inside(calls):
        n50, n95 = percentiles(calls.nearest_seconds)
        r50, r95 = percentiles(np.subtract(calls.seconds, calls.nearest_seconds))
        return f"nearest in it p50 {n50:.1f} / p95 {n95:.1f} ms, the rest p50 {r50:.1f} / p95 {r95:.1f} ms"

    print(
        f"| **(b) warm, species A, GALLERY_RECHECK_SECONDS = {figures['recheck_s']:g}** | **{p50:.1f} ms** |"
        f" **{p95:.1f} ms** | {counts(figures['warm_counted'])} (20 calls counted) | {len(warm.seconds)}"
        f" calls, {sum(warm.refreshed)} of them refreshed (the rest: p50 {q50:.1f}, p95 {q95:.1f} ms);"
        f" {inside(warm)} |"
    )
    p50, p95 = figures["warm_b"].p()
    print(
        f"| (b) warm, species B | {p50:.1f} ms | {p95:.1f} ms | | {len(figures['warm_b'].seconds)} calls;"
        f" {inside(figures['warm_b'])} |"
    )
    if "warm_1" in figures:
        calls = figures["warm_1"]
        p50, p95 = calls.p()
        print(
            f"| (b) warm, species A, 1 BLAS thread (threadpoolctl) | {p50:.1f} ms | {p95:.1f} ms | |"
            f" {len(calls.seconds)} calls, {sum(calls.refreshed)} refreshed; {inside(calls)} |"
        )
    labels = {
        "nothing": "nothing changed",
        "insert": "1 new A sighting + embedding before each; the call is about it",
        "touch": "1 earlier A sighting's updated_at set before each (as linking does)",
        "move": "1 earlier A sighting (the call's best candidate) moved to species B before each",
    }
    for name, (calls, counted, _) in figures["scenarios"].items():
        p50, p95 = calls.p()
        r50, r95 = percentiles(calls.refresh_seconds)
        print(
            f"| (c) recheck 0, {labels[name]} | {p50:.1f} ms | {p95:.1f} ms | {counts(counted)} (10 calls"
            f" counted) | {len(calls.seconds)} calls, {sum(calls.refreshed)} refreshed; _refresh p50"
            f" {r50:.1f}, p95 {r95:.1f} ms; {inside(calls)} |"
        )
    p50, p95 = figures["insert"]
    print(f"| (the insert in (c), not timed in it) | {p50:.1f} ms | {p95:.1f} ms | 2 | ORM create x 2 |")
    p50, p95 = figures["nearest"]
    print(f"| (d) gallery.nearest alone, species A (k 25) | {p50:.1f} ms | {p95:.1f} ms | 0 | 200 calls |")
    if "nearest_1" in figures:
        p50, p95 = figures["nearest_1"]
        print(f"| (d) gallery.nearest alone, 1 BLAS thread | {p50:.1f} ms | {p95:.1f} ms | 0 | 200 calls |")
    print(
        f"Gallery A: {size:,} rows in a {shape[0]:,} x {shape[1]} float32 matrix ({matrix_mb:,.0f} MB with"
        f" its spare capacity), ids ~{figures['ids_mb']:.0f} MB of Python objects."
    )

    def agree(verdicts):
        return (
            f"{verdicts.count('same')} of {len(verdicts)} exact, {verdicts.count('ties')} equal but for"
            f" ties, {verdicts.count('differ')} different"
        )

    own, total = figures["own_trajectory"]
    print(
        "(e) Answers against an exact numpy search over the live earlier A rows:"
        f" (b) {agree(figures['warm_agree'])};"
        + "".join(f" (c) {name}: {agree(result)};" for name, (_, _, result) in figures["scenarios"].items())
        + f" top candidate from the query's own trajectory in (b) for {own} of {total};"
        f" {figures['short']} calls of (b) answered fewer than {TOP_K}."
    )
    inserted = len(figures["scenarios"]["insert"][0].answers)
    moves = figures["moves"]
    print(
        f"(e) Inserts: the previous new sighting was the top candidate of {figures['inserted_top1']} of"
        f" {inserted - 1} calls. Moves: {moves['moved']} sightings moved A -> B; they appeared"
        f" {moves['appeared']} times in the answers of (c) after their move; all {len(figures['warm'].asked)}"
        f" queries again afterwards: {agree(moves['after_agree'])}, moved ones appearing"
        f" {moves['appeared_after']} times; {moves['in_b']} of them live in gallery B, {moves['alive_in_a']}"
        f" still live in gallery A ({moves['gallery_a'][0]:,} rows, {moves['gallery_a'][1]:,} live)."
    )
    seen, still, reloaded = figures["late"]
    print(
        "(e) A move committed late (its transaction began, and took updated_at = now(), before a later"
        " change the refresh saw; committed after): the moved sighting"
        f" {'STILL APPEARS' if seen else 'does not appear'} as a candidate after its commit (its row"
        f" {'still live' if still else 'dropped'} in gallery A); after a full read it"
        f" {'still appears' if reloaded else 'is gone'}."
    )

    def shown(calls, note):
        call = next(
            (q for q, refreshed in zip(calls.queries, calls.refreshed, strict=True) if not refreshed), None
        )
        call = call or calls.queries[-1]
        print(f"One call's queries, {note} (ms as CaptureQueriesContext rounds them, SQL):")
        for ms, sql in call:
            print(f"  {ms:6.1f}  {sql[:90]}")

    shown(figures["warm_counted"], "(b) warm")
    for name, (_, counted, _) in figures["scenarios"].items():
        shown(counted, f"(c) {labels[name]}")
    print(
        "The refresh's two reads, as the last call of (c) sent them (so the rows changed since; the plans"
        " are EXPLAIN ANALYZE's), p50 / p95 of 20:"
    )
    for label, sql, summary, executed, jit, (p50, p95) in figures["refresh_reads"]:
        print(f"  {label}: {p50:.1f} / {p95:.1f} ms; executed {executed:.2f} ms, JIT {jit:.1f} ms; {summary}")
        print(f"    {sql}")
    print(f"(database {PRODUCT_DATABASE} dropped)")


def main():
    args = arguments()
    started = time.perf_counter()
    data_dir = args.shared / "data"
    wanted = [data_dir / "MANIFEST.csv", data_dir / "backbone" / "SqueezeNet_fp16.onnx", data_dir / "fish"]
    missing = [str(path) for path in wanted if not path.exists()]
    if missing:
        sys.exit(
            f"bench_individuals: the team data is missing ({', '.join(missing)}); pass --shared PATH"
            " (the folder holding data/) or set CATCHLOG_SHARED_DIR"
        )
    product = postgres_reachable(args.product_url) if args.product_path is None else args.product_path
    # Parts 1-3 read settings only; the product path works in a throwaway database on that server.
    django_setup(database_url=args.product_url if product else "")
    import onnxruntime

    from classifier.runtime import intra_op_threads

    print(
        f"onnxruntime {onnxruntime.__version__}, numpy {np.__version__}, {os.cpu_count()} cpus,"
        f" {intra_op_threads()} intra-op threads"
    )
    print(
        f"Embedding {data_dir}/fish (Fish4Knowledge): the photo, its mirror image, and fire8 ...", flush=True
    )
    tick = time.perf_counter()
    photos = photos_embed(data_dir=data_dir)
    print(
        f"{len(photos.paths)} photos in {time.perf_counter() - tick:.0f} s; the platform embedding alone"
        f" (decode + preprocess + session.run) {photos.ms_per_photo:.1f} ms per photo; {photos.check}"
    )

    chosen, table = protocol(photos, args.seed)
    protocol_show(chosen, table)

    kept = variants(photos.raw)
    vectors = kept[PLAIN]
    query_rows = np.array(sorted(q for _, queries in chosen.values() for q in queries))[: args.queries]
    gallery, keep = numpy_part(kept=kept, query_rows=query_rows, size=args.gallery_size, seed=args.seed)
    # With the random vectors among them, do the real queries still find their own trajectory?
    tops = [numpy_search(gallery, vectors[q])[0] for q in query_rows]
    same = np.mean(
        [
            top < len(keep) and photos.groups[keep[top]] == photos.groups[q]
            for top, q in zip(tops, query_rows, strict=True)
        ]
    )
    print(
        f"(top-1 over all {len(gallery):,}, every species and the random vectors:"
        f" own trajectory for {same:.3f})"
    )

    print()
    if args.no_postgres:
        print("PostgreSQL + pgvector: skipped (--no-postgres)")
    else:
        print(f"PostgreSQL + pgvector at {args.postgres_url}, database {DATABASE} ...", flush=True)
        labels = sorted(set(photos.labels))
        species_of_label = {label: index % 10 for index, label in enumerate(labels)}
        rng = np.random.default_rng(args.seed)
        species_of_row = np.concatenate(
            [
                [species_of_label[label] for label in photos.labels[keep]],
                rng.integers(0, 10, len(gallery) - len(keep)),
            ]
        )
        figures = pgvector_part(
            url=args.postgres_url,
            gallery=gallery,
            species_of_row=species_of_row,
            queries=vectors[query_rows],
            query_species=[species_of_label[photos.labels[q]] for q in query_rows],
        )
        pgvector_show(args.postgres_url, figures)
    print()
    if not product:
        why = "--no-product-path" if args.product_path is False else f"nothing answers at {args.product_url}"
        product_show(args.product_url, f"skipped ({why})")
    else:
        print(f"Product path at {args.product_url}, database {PRODUCT_DATABASE} ...", flush=True)
        tick = time.perf_counter()
        figures = product_part(
            gallery=gallery,
            query_vectors=vectors[query_rows],
            groups_real=photos.groups[keep],
            groups_query=photos.groups[query_rows],
            other=args.product_other,
            seed=args.seed,
        )
        product_show(args.product_url, figures)
        print(f"(product path: {time.perf_counter() - tick:.0f} s)")
    print()
    print(f"bench_individuals: {time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
