"""Model lifecycle benchmark: transfer learning on the team data, evaluation, int8 quantization.

    .venv/bin/python bench/bench_training.py [--data ../shared/data] [--calibration 200] [--seed 20240611]

Trains a linear head on the SqueezeNet backbone's cached embeddings from data/fish/<species>/ and
data/not_fish/ (17 classes), split by the MANIFEST.csv groups (Fish4Knowledge trajectories never
on both sides), then retrains from the warm cache, evaluates the composed ONNX model on its own
held-out photos exactly as the platform classifies, and makes the graph-optimized fp32 and the
int8 copies, compared on the same held-out photos.

It works in a throw-away SpatiaLite database and a temporary media folder, dropped at the end;
the project's own database and files are not touched.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, django_setup, throwaway_database  # noqa: E402  (puts the project on sys.path)


def arguments():
    default_data = Path(os.environ.get("CATCHLOG_SHARED_DIR", ROOT.parent / "shared")) / "data"
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=default_data)
    parser.add_argument("--calibration", type=int, default=200, help="calibration photos for int8")
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args()


def run(args):
    from django.conf import settings

    from classifier.demo_model import DEMO_PREPROCESSING, demo_labels
    from classifier.embeddings import backbone_from_version
    from classifier.evaluation import model_version_evaluate
    from classifier.fish_model import team_data_examples
    from classifier.models import ModelVersion
    from classifier.optimization import model_version_optimize
    from classifier.services import model_version_register
    from classifier.training import classifier_train

    data = args.data
    examples = team_data_examples(data_dir=data)  # the fish model's photos and labels
    demo = model_version_register(
        path=data / "backbone" / "SqueezeNet_fp16.onnx",
        name="SqueezeNet 1.1 ImageNet (backbone)",
        labels=demo_labels(),
        preprocessing=DEMO_PREPROCESSING,
        source=ModelVersion.Source.DEMO,
    )
    backbone = backbone_from_version(model_version=demo)
    figures = {"photos": len(examples), "classes": len({e.label for e in examples})}
    print(
        f"{figures['photos']} photos, {figures['classes']} classes; intra-op threads "
        f"{settings.CLASSIFIER_INTRA_OP_THREADS or os.cpu_count()}, cpus {os.cpu_count()}"
    )

    started = time.perf_counter()
    cold = classifier_train(
        examples=examples,
        backbone=backbone,
        name="bench cold",
        max_pixels=settings.PHOTO_MAX_PIXELS,
        data_source="bench: shared fish + not_fish",
        seed=args.seed,
        progress=True,
    )
    figures["train_cold_s"] = round(time.perf_counter() - started, 1)
    figures["cold_timings"] = cold.timings
    started = time.perf_counter()
    warm = classifier_train(
        examples=examples,
        backbone=backbone,
        name="bench warm",
        max_pixels=settings.PHOTO_MAX_PIXELS,
        data_source="bench: shared fish + not_fish",
        seed=args.seed,
    )
    figures["train_warm_s"] = round(time.perf_counter() - started, 1)
    figures["warm_timings"] = warm.timings
    version = warm.model_version
    figures["rejection"] = version.metrics["rejection"]

    held_out_digests = set(version.training_data["validation_sha256"])
    held_out = [example for example in examples if example.digest() in held_out_digests]
    train_side = [example for example in examples if example.digest() not in held_out_digests]
    figures["held_out_photos"] = len(held_out)
    report = model_version_evaluate(
        model_version=version, examples=held_out, max_pixels=settings.PHOTO_MAX_PIXELS
    )
    figures["held_out"] = {
        key: report[key]
        for key in (
            "top1_accuracy",
            "top3_accuracy",
            "decision_accuracy",
            "negative_rejection_rate",
            "false_rejection_rate",
            "mean_ms_per_photo",
            "uncertain",
        )
    }
    figures["calibration"] = {
        **version.metrics["calibration"],
        "held_out_ece_of_served_model": report["reliability"]["ece"],
    }
    figures["reliability_bins"] = report["reliability"]["bins"]
    figures["per_class_recall"] = {label: row["recall"] for label, row in report["per_class"].items()}

    figures["cross_validation"] = cross_validate(
        examples=examples, backbone=backbone, seed=args.seed, max_pixels=settings.PHOTO_MAX_PIXELS
    )

    started = time.perf_counter()
    optimization = model_version_optimize(
        model_version=version,
        calibration_examples=train_side,
        evaluation_examples=held_out,
        calibration_count=args.calibration,
        max_pixels=settings.PHOTO_MAX_PIXELS,
        seed=args.seed,
    )
    figures["optimize_s"] = round(time.perf_counter() - started, 1)
    figures["comparison"] = optimization.comparison
    return figures


def cross_validate(*, examples, backbone, seed, max_pixels, folds=5):
    """Top-1 of the same recipe (head on cached embeddings) over 5 grouped folds: how much the one
    held-out split's figure owes to which trajectories it drew."""
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold

    from classifier.calibration import reliability
    from classifier.embeddings import embeddings_get
    from classifier.training import DEFAULT_C, calibrated_head_fit

    embeddings = embeddings_get(backbone=backbone, examples=examples, max_pixels=max_pixels)
    kept = [examples[index] for index in embeddings.indices]
    labels = np.array([example.label for example in kept])
    groups = [
        example.group or f"photo:{digest}" for example, digest in zip(kept, embeddings.digests, strict=True)
    ]
    classes = sorted(set(labels), key=lambda label: (label == "not_fish", label))
    accuracies, eces, rare = [], [], {"canthigaster_valentini": [], "zebrasoma_scopas": []}
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    groups_array = np.asarray(groups)
    for train, held in splitter.split(embeddings.vectors, labels, groups):
        vectors = embeddings.vectors
        # Fitted and calibrated as training does (a temperature from its out-of-fold logits).
        head = calibrated_head_fit(
            vectors=vectors[train],
            labels=labels[train],
            groups=groups_array[train],
            classes=classes,
            seed=seed,
            c=DEFAULT_C,
            negative_label="not_fish",
        ).head
        probabilities = head.probabilities(vectors[held])
        predicted = np.array(classes)[probabilities.argmax(axis=1)]
        accuracies.append(round(float((predicted == labels[held]).mean()), 4))
        eces.append(reliability(probabilities=probabilities, correct=predicted == labels[held])["ece"])
        for label, recalls in rare.items():
            mask = labels[held] == label
            if mask.any():
                recalls.append(float((predicted[mask] == label).mean()))
    return {
        "folds": accuracies,
        "mean": round(float(np.mean(accuracies)), 4),
        "ece_folds": eces,
        "ece_mean": round(float(np.mean(eces)), 4),
        "rare_class_recall": {label: round(float(np.mean(values)), 3) for label, values in rare.items()},
    }


def show(figures):
    cold, warm = figures["cold_timings"], figures["warm_timings"]
    print()
    print(
        f"training, cold cache: {figures['train_cold_s']} s in all (embeddings {cold['embeddings']} s for "
        f"{cold['embeddings_computed']} photos, head {cold['head']} s, compose+register "
        f"{cold['compose_register']} s)"
    )
    print(
        f"training, warm cache: {figures['train_warm_s']} s in all (embeddings {warm['embeddings']} s, "
        f"{warm['embeddings_cached']} cached; head {warm['head']} s)"
    )
    held = figures["held_out"]
    print(
        f"held-out ({figures['held_out_photos']} photos, by group): top-1 {held['top1_accuracy']:.4f}, "
        f"top-3 {held['top3_accuracy']:.4f}, decision accuracy {held['decision_accuracy']:.4f}, "
        f"not_fish rejected {held['negative_rejection_rate']}, "
        f"fish wrongly rejected {held['false_rejection_rate']}, {held['mean_ms_per_photo']} ms/photo"
    )
    cv = figures["cross_validation"]
    print(f"5-fold grouped cross-validation, top-1 of the head: {cv['folds']}, mean {cv['mean']:.4f}")
    print(f"  calibration error per fold {cv['ece_folds']}, mean {cv['ece_mean']}")
    print(f"  recall of the rare classes (mean of folds): {cv['rare_class_recall']}")
    calibration = figures["calibration"]
    print(
        f"calibration: temperature {calibration['temperature']} ({calibration['fitted_on']}); held-out ECE"
        f" {calibration['validation_ece_before']} before, {calibration['validation_ece']} after,"
        f" {calibration['held_out_ece_of_served_model']} from the served ONNX model"
    )
    print(
        "reliability (held out): "
        + ", ".join(
            f"{row['lower']:.1f}-{row['upper']:.1f}: {row['count']} photos,"
            f" score {row.get('confidence', '-')}, right {row.get('accuracy', '-')}"
            for row in figures["reliability_bins"]
            if row["count"]
        )
    )
    uncertain = held["uncertain"]
    print(
        f"uncertain answers: {uncertain['share']} of the held-out photos; decision accuracy of the others"
        f" {uncertain['decision_accuracy_of_the_others']},"
        f" of the uncertain {uncertain['decision_accuracy_of_uncertain']}"
    )
    print(
        f"rejection threshold {figures['rejection']['threshold']:.4f} "
        f"(target false rejection {figures['rejection']['target_false_rejection_rate']})"
    )
    print()
    print("| variant | size | vs fp32 | latency (median) | top-1 | top-3 | top-1 delta |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for key, entry in figures["comparison"].items():
        print(
            f"| {key} | {entry['size_bytes'] / 1e6:.2f} MB | {entry['size_vs_fp32']:.1%}"
            f" | {entry['latency_ms']:.2f} ms"
            f" | {entry.get('top1_accuracy', '–')} | {entry.get('top3_accuracy', '–')}"
            f" | {entry.get('top1_delta_vs_original', '–')} |"
        )


def main():
    args = arguments()
    if not (args.data / "fish").is_dir():
        sys.exit(f"{args.data}: no fish/ folder (set --data or CATCHLOG_SHARED_DIR)")
    with tempfile.TemporaryDirectory(prefix="bench-training-") as folder:
        django_setup(media_root=Path(folder) / "media")
        with throwaway_database(prefix="bench-training-"):
            figures = run(args)
    show(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
