"""Evaluation reports: accuracy, top-3, per-class precision/recall, confusion matrix, rejection rates.

`top1_accuracy` and `top3_accuracy` look at the scores alone. Everything else (decision accuracy,
confusion matrix, precision/recall, rejection rates) follows the platform's decision: a photo is
"negative" (none of the known classes) when the top label is the negative label or the top score
is below the version's rejection threshold, exactly as inference.classify_images decides.
`reliability` (calibration.py) compares the top scores with how often the top label is right, and
`uncertain` counts the answers the platform calls "uncertain: A or B" (inference.answer_uncertain).
"""

import io
import sys
import time
from collections.abc import Sequence

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from tqdm import tqdm

from .calibration import reliability
from .datasets import Example, examples_count
from .imaging import PhotoError, load_rgb
from .inference import LabelScore, answer_uncertain, classify_images
from .models import ModelVersion
from .runtime import model_session_get

REPORT_KEYS = (
    "top1_accuracy",
    "decision_accuracy",
    "top3_accuracy",
    "examples",
    "per_class",
    "confusion_matrix",
    "negative_rejection_rate",
    "false_rejection_rate",
    "unknown_labels",
    "evaluated_on",
    "mean_ms_per_photo",
    "reliability",
    "uncertain",
    "calibration",
)


def evaluation_report(
    *,
    scores: np.ndarray,
    names: Sequence[str],
    true_labels: Sequence[str],
    negative_label: str,
    rejection_threshold: float,
) -> dict:
    """The report for `scores` (one row per photo, one column per distinct label `names`)."""
    scores = np.asarray(scores, dtype=np.float64)
    names = list(names)
    true_labels = list(true_labels)
    count = len(true_labels)
    if scores.shape != (count, len(names)):
        raise ValueError(f"scores: expected shape ({count}, {len(names)}), got {scores.shape}")
    order = np.argsort(-scores, axis=1, kind="stable")
    top = order[:, 0]
    top_scores = scores[np.arange(count), top]
    rejected = np.array([names[index] == negative_label for index in top], dtype=bool) | (
        top_scores < rejection_threshold
    )
    predicted = [negative_label if rejected[i] else names[top[i]] for i in range(count)]
    top3 = [true_labels[i] in {names[j] for j in order[i, :3]} for i in range(count)]

    matrix_labels = sorted(set(names) | set(true_labels), key=lambda label: (label == negative_label, label))
    position = {label: index for index, label in enumerate(matrix_labels)}
    matrix = np.zeros((len(matrix_labels), len(matrix_labels)), dtype=int)
    for truth, guess in zip(true_labels, predicted, strict=True):
        matrix[position[truth], position[guess]] += 1
    per_class = {}
    for label in matrix_labels:
        index = position[label]
        support, predicted_count, hits = (
            int(matrix[index].sum()),
            int(matrix[:, index].sum()),
            int(matrix[index, index]),
        )
        if support == 0 and predicted_count == 0:
            continue
        per_class[label] = {
            "precision": round(hits / predicted_count, 4) if predicted_count else None,
            "recall": round(hits / support, 4) if support else None,
            "support": support,
        }
    negatives = [i for i in range(count) if true_labels[i] == negative_label]
    positives = [i for i in range(count) if true_labels[i] != negative_label]
    top1 = sum(true_labels[i] == names[top[i]] for i in range(count))
    decided = sum(truth == guess for truth, guess in zip(true_labels, predicted, strict=True))
    uncertain = np.array(
        [
            not rejected[i]
            and answer_uncertain(
                scores=[LabelScore(label=names[j], score=float(scores[i, j])) for j in order[i, :2]]
            )
            for i in range(count)
        ],
        dtype=bool,
    )
    correct = np.array([true_labels[i] == predicted[i] for i in range(count)], dtype=bool)
    sure = ~uncertain
    return {
        # The top label alone (the usual top-1), and the platform's decision: the negative label
        # when the top score is under the rejection threshold.
        "top1_accuracy": round(top1 / count, 4) if count else None,
        "decision_accuracy": round(decided / count, 4) if count else None,
        "top3_accuracy": round(sum(top3) / count, 4) if count else None,
        "examples": count,
        "per_class": per_class,
        "confusion_matrix": {"labels": matrix_labels, "matrix": matrix.tolist()},
        "negative_rejection_rate": round(float(rejected[negatives].mean()), 4) if negatives else None,
        "false_rejection_rate": round(float(rejected[positives].mean()), 4) if positives else None,
        "rejection_threshold": float(rejection_threshold),
        "unknown_labels": sorted(set(true_labels) - set(names)),
        "reliability": reliability(
            probabilities=scores, correct=[true_labels[i] == names[top[i]] for i in range(count)]
        ),
        "uncertain": {
            "share": round(float(uncertain.mean()), 4) if count else None,
            "decision_accuracy_of_the_others": round(float(correct[sure].mean()), 4) if sure.any() else None,
            "decision_accuracy_of_uncertain": (
                round(float(correct[uncertain].mean()), 4) if uncertain.any() else None
            ),
        },
    }


def report_png(
    *,
    labels: Sequence[str],
    matrix: Sequence[Sequence[int]],
    bins: Sequence[dict] = (),
    title: str = "",
) -> bytes:
    """The confusion matrix (rows true, columns predicted, row-normalised colour) and, when there
    are reliability bins, the reliability diagram beside it, as one PNG."""
    # A bare Figure renders with Agg and touches no global pyplot state.
    from matplotlib.figure import Figure

    values = np.asarray(matrix, dtype=float)
    totals = values.sum(axis=1, keepdims=True)
    shares = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    size = max(4.0, 0.45 * len(labels) + 2.5)
    figure = Figure(figsize=(size + 1.5 + (size * 0.8 if bins else 0), size), dpi=90)
    axes = figure.add_subplot(1, 2 if bins else 1, 1)
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(labels)), labels=list(labels), rotation=60, ha="right", fontsize=7)
    axes.set_yticks(range(len(labels)), labels=list(labels), fontsize=7)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    if title:
        axes.set_title(title, fontsize=9)
    for row in range(len(labels)):
        for column in range(len(labels)):
            if values[row, column]:
                axes.text(
                    column,
                    row,
                    str(int(values[row, column])),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if shares[row, column] > 0.5 else "black",
                )
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="share of the true class")
    if bins:
        _reliability_axes(figure.add_subplot(1, 2, 2), bins)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _reliability_axes(axes, bins: Sequence[dict]) -> None:
    filled = [row for row in bins if row["count"]]
    middles = [(row["lower"] + row["upper"]) / 2 for row in filled]
    width = (bins[0]["upper"] - bins[0]["lower"]) * 0.9
    axes.bar(middles, [row["accuracy"] for row in filled], width=width, color="#4a7fb5", label="accuracy")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="calibrated")
    axes.plot(
        [row["confidence"] for row in filled],
        [row["accuracy"] for row in filled],
        marker="o",
        color="#c0392b",
        label="mean top score",
    )
    for middle, row in zip(middles, filled, strict=True):
        axes.text(middle, 0.02, str(row["count"]), ha="center", fontsize=6, color="white")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("top score")
    axes.set_ylabel("share right")
    axes.set_title("reliability (photos per bin)", fontsize=9)
    axes.legend(fontsize=7, loc="upper left")


def model_version_evaluate(
    *, model_version: ModelVersion, examples: Sequence[Example], max_pixels: int, progress: bool = False
) -> dict:
    """Classify every example with the version exactly as the platform does and report.

    Photos that cannot be decoded are left out and counted in `skipped`."""
    session = model_session_get(model_version=model_version)
    draft = session.preprocessing.draft_size
    names = list(dict.fromkeys(model_version.labels))
    column = {name: index for index, name in enumerate(names)}
    rows, truths, skipped, seconds = [], [], 0, 0.0
    for example in tqdm(examples, desc="evaluating", unit="photo", file=sys.stderr, disable=not progress):
        try:
            image = load_rgb(example.load(), max_pixels=max_pixels, draft_size=draft)
        except (PhotoError, OSError):
            skipped += 1
            continue
        started = time.perf_counter()
        (result,) = classify_images(model_version=model_version, images=[image], top_k=len(names))
        seconds += time.perf_counter() - started
        row = np.zeros(len(names))
        for score in result.scores:
            row[column[score.label]] = score.score
        rows.append(row)
        truths.append(example.label)
    if not rows:
        raise ValueError("no photo could be evaluated")
    report = evaluation_report(
        scores=np.stack(rows),
        names=names,
        true_labels=truths,
        negative_label=model_version.negative_label,
        rejection_threshold=model_version.rejection_threshold,
    )
    report["skipped"] = skipped
    report["mean_ms_per_photo"] = round(seconds * 1000 / len(rows), 2)
    report["evaluated_on"] = {"counts": examples_count(examples=examples)}
    return report


@transaction.atomic
def model_version_report_save(*, model_version: ModelVersion, report: dict, title: str = "") -> ModelVersion:
    """Store a report in the version's metrics (replacing the previous one) with its confusion matrix PNG."""
    locked = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
    metrics = {key: value for key, value in (locked.metrics or {}).items() if key not in REPORT_KEYS}
    metrics.update(report)
    png = report_png(
        labels=report["confusion_matrix"]["labels"],
        matrix=report["confusion_matrix"]["matrix"],
        bins=(report.get("reliability") or {}).get("bins", ()),
        title=title or f"{locked.name} (#{locked.pk})",
    )
    previous = locked.report_image.name
    locked.metrics = metrics
    locked.report_image.save("confusion.png", ContentFile(png), save=False)
    locked.save(update_fields=["metrics", "report_image"])
    if previous:
        storage, name = locked.report_image.storage, previous
        transaction.on_commit(lambda: storage.delete(name))
    model_version.metrics, model_version.report_image = locked.metrics, locked.report_image
    return locked
