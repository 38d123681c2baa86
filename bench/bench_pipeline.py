"""Photos per second through the whole classification task path, against the floors.

For each photo kind (12-megapixel phone JPEGs, small photos) it measures, on one process:
  floor    bare `session.run` on a ready tensor with the same model;
  script   the shortest script: Pillow open + JPEG draft + RGB + resize + preprocess + session.run;
  classify the platform's classification: `sighting_classify` (the work query, storage read, verified
           decode with EXIF orientation, preprocess as the model version declares, inference, the
           answer written in one transaction);
  batch    the worker's batched classification alone: `sighting_process` on sightings that have
           their public copy already (on PostgreSQL a call classifies up to CLASSIFY_BATCH_SIZE
           pending sightings in one transaction and one model run; the others' calls find them done);
  reclassify  what the worker runs once a new version is active: `sightings_classify_batch` on
           CLASSIFY_BATCH_SIZE sightings at a time (one transaction, one model run);
  task     what the worker runs per new sighting: `sighting_process` (the classification and, from
           the same bytes, the EXIF-free public copy: for a plain JPEG its segments without the
           metadata, otherwise a decode and an encode; then a second storage write).

Run: .venv/bin/python bench/bench_pipeline.py [--photos 40] [--threads 2] [--model tiny]
         [--database-url postgis://postgres@127.0.0.1:5432/catchlog_bench] [--kinds small] [--repeat 5]
With --repeat N each kind is measured N times in a row and the medians of the rates and of the
ratios to the script are printed: one run of a few seconds moves by 20% on a shared machine.
The SqueezeNet backbone in ../shared/data/backbone is used when present (--model squeezenet),
else a tiny ONNX model. It works in a throw-away database (test_<name> on PostgreSQL, a temporary file on
SpatiaLite) and media folder.
"""

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from harness import ROOT, django_setup, throwaway_database  # noqa: E402  (puts the project on sys.path)

SHARED = Path(os.environ.get("CATCHLOG_SHARED_DIR", ROOT.parent / "shared")) / "data"


def phone_jpeg(seed, size=(4000, 3000)):
    """A 12-megapixel JPEG with phone-like detail (noise over gradients) and EXIF orientation."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (size[1] // 40, size[0] // 40, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize(size, Image.BILINEAR)
    noise = rng.integers(-12, 12, (size[1], size[0], 3), dtype=np.int16)
    pixels = np.clip(np.asarray(image, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def small_photos(count):
    files = sorted((SHARED / "fish").glob("*/*"))[
        :: max(1, len(list((SHARED / "fish").glob("*/*"))) // count)
    ]
    if files:
        return [path.read_bytes() for path in files[:count]]
    from tests.factories import photo_bytes

    return [photo_bytes((i * 7 % 255, 90, 40), size=(300, 200)) for i in range(count)]


def register_model(kind):
    from classifier.services import model_version_register

    if kind == "squeezenet":
        from classifier.demo_model import DEMO_PREPROCESSING, demo_labels

        return model_version_register(
            onnx_bytes=(SHARED / "backbone" / "SqueezeNet_fp16.onnx").read_bytes(),
            name="SqueezeNet 1.1 (bench)",
            labels=demo_labels(),
            preprocessing=DEMO_PREPROCESSING,
            source="demo",
            activate=True,
        )
    from tests.factories import COLOR_LABELS, COLOR_PREPROCESSING, color_model_bytes

    return model_version_register(
        onnx_bytes=color_model_bytes(),
        name="tiny",
        labels=COLOR_LABELS,
        preprocessing=COLOR_PREPROCESSING,
        source="imported",
        activate=True,
    )


def rate(count, seconds):
    return count / seconds if seconds else float("inf")


def measure(label, photos, model_version, owner):
    import numpy as np
    from django.conf import settings
    from PIL import Image

    from classifier.runtime import model_session_get
    from projects.selectors import project_default
    from sightings.models import Sighting
    from sightings.services.classification import (
        sighting_classify,
        sighting_process,
        sightings_classify_batch,
    )
    from sightings.storage import storage_save

    loaded = model_session_get(model_version=model_version)
    spec = loaded.preprocessing
    height, width = spec.size
    tensor = spec.to_tensor([Image.new("RGB", (width, height), (90, 120, 60))])
    for _ in range(3):
        loaded.run(tensor)

    started = time.perf_counter()
    for _ in photos:
        loaded.run(tensor)
    floor = rate(len(photos), time.perf_counter() - started)

    def shortest_script(data):
        image = Image.open(io.BytesIO(data))
        image.draft("RGB", (width, height))
        image = image.convert("RGB").resize((width, height), Image.BILINEAR)
        array = np.asarray(image, dtype=np.float32)
        if spec.channel_order == "BGR":
            array = array[:, :, ::-1]
        array = (array * spec.scale - np.asarray(spec.mean, np.float32)) / np.asarray(spec.std, np.float32)
        loaded.run(array.transpose(2, 0, 1)[None])

    shortest_script(photos[0])
    started = time.perf_counter()
    for data in photos:
        shortest_script(data)
    script = rate(len(photos), time.perf_counter() - started)

    def reclassify_in_batches(*, sighting_ids):
        size = settings.CLASSIFY_BATCH_SIZE
        for start in range(0, len(sighting_ids), size):
            sightings_classify_batch(
                sighting_ids=sighting_ids[start : start + size], model_version=model_version
            )

    def through(function, *, published=False, together=False):
        """Photos per second through `function` called per new sighting (or, `together`, once for all
        of them), and the median call in milliseconds."""
        sightings = [
            Sighting.objects.create(
                owner=owner,
                project=project_default(),
                photo=storage_save(name="originals/bench.jpg", data=data),
                public_photo="public/made-before.jpg" if published else "",
                photo_sha256="-",
            )
            for data in photos
        ]
        calls = (
            [{"sighting_ids": [s.pk for s in sightings]}]
            if together
            else [{"sighting_id": s.pk} for s in sightings]
        )
        latencies = []
        started = time.perf_counter()
        for arguments in calls:
            one = time.perf_counter()
            function(**arguments)
            latencies.append(time.perf_counter() - one)
        seconds = time.perf_counter() - started
        answered = Sighting.objects.filter(pk__in=[s.pk for s in sightings], classified_at__isnull=False)
        assert answered.count() == len(sightings), "the task path failed"
        return rate(len(photos), seconds), statistics.median(latencies) * 1000

    classify, classify_p50 = through(sighting_classify)
    batch, _ = through(sighting_process, published=True)
    reclassify, _ = through(reclassify_in_batches, published=True, together=True)
    task, task_p50 = through(sighting_process)
    print(
        f"{label:<20} floor {floor:6.1f}/s  script {script:6.1f}/s  classify {classify:6.1f}/s "
        f"({script / classify:4.2f}x, p50 {classify_p50:5.1f} ms)  batch {batch:6.1f}/s "
        f"({script / batch:4.2f}x)  reclassify {reclassify:6.1f}/s ({script / reclassify:4.2f}x)  "
        f"task {task:6.1f}/s ({script / task:4.2f}x, p50 {task_p50:5.1f} ms)"
    )
    return {
        "floor": floor,
        "script": script,
        "classify": classify,
        "batch": batch,
        "reclassify": reclassify,
        "task": task,
    }


def medians(label, runs):
    """The medians of several measures of one kind: rates, and each path's ratio to its run's script."""
    rates = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    ratios = {
        key: statistics.median(run["script"] / run[key] for run in runs)
        for key in ("classify", "batch", "reclassify", "task")
    }
    print(
        f"{label + ', median':<20} floor {rates['floor']:6.1f}/s  script {rates['script']:6.1f}/s  "
        + "  ".join(f"{key} {rates[key]:6.1f}/s ({ratios[key]:4.2f}x)" for key in ratios)
        + f"  ({len(runs)} runs)"
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads (one worker)")
    parser.add_argument("--model", choices=["auto", "squeezenet", "tiny"], default="auto")
    parser.add_argument("--database-url", default="", help="postgis://... ; default: SpatiaLite")
    parser.add_argument("--kinds", nargs="+", choices=["phone", "small"], default=["phone", "small"])
    parser.add_argument("--repeat", type=int, default=1, help="measures of each kind (medians printed)")
    args = parser.parse_args()
    os.environ["CLASSIFIER_INTRA_OP_THREADS"] = str(args.threads)
    kind = args.model
    if kind == "auto":
        kind = "squeezenet" if (SHARED / "backbone" / "SqueezeNet_fp16.onnx").exists() else "tiny"

    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as folder:
        django_setup(database_url=args.database_url, media_root=Path(folder) / "media")
        from django.contrib.auth.models import User

        with throwaway_database(prefix="bench-pipeline-") as connection:
            owner = User.objects.create_user("bench")
            print(f"database: {connection.vendor}")
            model_version = register_model(kind)
            print(f"model: {model_version.name}; intra-op threads: {args.threads}; cores: {os.cpu_count()}")
            kinds = {}
            if "phone" in args.kinds:
                phone = kinds["12 MP phone JPEG"] = [phone_jpeg(seed) for seed in range(args.photos)]
                print(f"phone JPEG: 4000x3000, mean {statistics.mean(map(len, phone)) / 1e6:.1f} MB")
            if "small" in args.kinds:
                kinds["small photos"] = small_photos(args.photos)
            for label, photos in kinds.items():
                runs = [measure(label, photos, model_version, owner) for _ in range(args.repeat)]
                if args.repeat > 1:
                    medians(label, runs)


if __name__ == "__main__":
    main()
