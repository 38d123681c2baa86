"""Transfer learning: a linear head on a frozen backbone's cached embeddings, served as one ONNX model.

As the Hotdog seed retrained MobileNet's last layer, only a multinomial logistic regression on
standardized embeddings is learned. It is composed with the backbone into one ONNX graph
(onnx_compose.classifier_compose) and registered as a new, inactive version with its validation
report. "Not a fish" comes from the negative class plus a threshold on the top score, chosen on the
training photos' out-of-fold scores (grouped 3-fold cross-validation inside the training split) so
that at most `false_rejection_rate` of the true fish are rejected. The validation photos are used
for nothing but the report.
"""

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .datasets import Example, examples_count
from .embeddings import Backbone, embeddings_get
from .evaluation import evaluation_report, model_version_report_save
from .models import ModelVersion
from .onnx_compose import LinearHead, classifier_compose
from .services import model_version_register

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20240611
DEFAULT_VALIDATION_FRACTION = 0.2
DEFAULT_FALSE_REJECTION_RATE = 0.02
DEFAULT_C = 0.1  # 5-fold grouped CV on the team data: 0.05-0.2 alike, 1.0 a point worse
THRESHOLD_FOLDS = 3


@dataclass
class TrainingResult:
    model_version: ModelVersion
    report: dict
    timings: dict  # seconds: embeddings, head, compose_register


# --- Pure steps -------------------------------------------------------------------------------


def split_indices(
    *, labels: Sequence[str], groups: Sequence[str], seed: int, validation_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices: stratified by label, no group on both sides, reproducible."""
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    if not 0 < validation_fraction < 1:
        raise ValueError("validation_fraction: expected a number between 0 and 1")
    label_array, group_array = np.asarray(labels), np.asarray(groups)
    folds = max(2, round(1 / validation_fraction))
    smallest = min(Counter(label_array.tolist()).values())
    if len(set(group_array.tolist())) >= folds and smallest >= 2:
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        splitter = GroupShuffleSplit(n_splits=1, test_size=validation_fraction, random_state=seed)
    train, validation = next(splitter.split(np.zeros(len(label_array)), label_array, group_array))
    return np.sort(train), np.sort(validation)


def head_fit(
    *, vectors: np.ndarray, labels: Sequence[str], classes: Sequence[str], seed: int, c: float = DEFAULT_C
) -> LinearHead:
    """Class-balanced multinomial logistic regression on standardized vectors."""
    from sklearn.linear_model import LogisticRegression

    vectors = np.asarray(vectors, dtype=np.float64)
    mean = vectors.mean(axis=0)
    std = vectors.std(axis=0)
    std[std < 1e-6] = 1.0  # a feature that never varies: leave it at zero after centring
    standardized = (vectors - mean) / std
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=seed)
    model.fit(standardized, np.asarray(labels))
    position = {label: index for index, label in enumerate(model.classes_)}
    missing = [label for label in classes if label not in position]
    if missing:
        raise ValueError(f"no training photo for {', '.join(missing)}")
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two classes: sigmoid(w.x + b) == softmax([0, w.x + b])
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    order = [position[label] for label in classes]
    return LinearHead(
        classes=tuple(classes),
        mean=mean.astype(np.float32),
        std=std.astype(np.float32),
        weights=coef[order].T.astype(np.float32),
        bias=intercept[order].astype(np.float32),
    )


def out_of_fold_probabilities(
    *,
    vectors: np.ndarray,
    labels: Sequence[str],
    groups: Sequence[str],
    classes: Sequence[str],
    seed: int,
    c: float,
    folds: int = THRESHOLD_FOLDS,
) -> np.ndarray | None:
    """Each photo's scores by a head trained without its group (grouped, stratified k-fold), or None
    when some class has fewer groups than folds."""
    from sklearn.model_selection import StratifiedGroupKFold

    label_array, group_array = np.asarray(labels), np.asarray(groups)
    for label in classes:
        if len(set(group_array[label_array == label].tolist())) < folds:
            return None
    result = np.zeros((len(label_array), len(classes)))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, held in splitter.split(np.zeros(len(label_array)), label_array, group_array):
        present = [label for label in classes if label in set(label_array[train].tolist())]
        head = head_fit(vectors=vectors[train], labels=label_array[train], classes=present, seed=seed, c=c)
        columns = [list(classes).index(label) for label in present]
        result[np.ix_(held, columns)] = head.probabilities(vectors[held])
    return result


def rejection_threshold_choose(
    *,
    probabilities: np.ndarray,
    true_labels: Sequence[str],
    classes: Sequence[str],
    negative_label: str,
    false_rejection_rate: float,
) -> dict:
    """The highest top-score threshold that rejects at most `false_rejection_rate` of the true
    positives (photos of a known class) in total, counting those already given the negative label."""
    probabilities = np.asarray(probabilities)
    top = probabilities.argmax(axis=1)
    top_scores = probabilities.max(axis=1)
    positive = np.array([label != negative_label for label in true_labels])
    to_negative = np.array([classes[index] == negative_label for index in top])
    total = int(positive.sum())
    allowed = int(np.floor(false_rejection_rate * total + 1e-9)) - int((positive & to_negative).sum())
    candidates = np.sort(top_scores[positive & ~to_negative])
    threshold = 0.0
    if allowed > 0 and len(candidates):
        # Rejecting `score < threshold` rejects the `allowed` lowest scores at most (fewer on ties).
        threshold = float(candidates[min(allowed, len(candidates) - 1)])
    rejected = to_negative | (top_scores < threshold)
    negatives = ~positive
    return {
        "threshold": threshold,
        "target_false_rejection_rate": false_rejection_rate,
        "validation_false_rejection_rate": round(float(rejected[positive].mean()), 4) if total else None,
        "validation_negative_rejection_rate": (
            round(float(rejected[negatives].mean()), 4) if negatives.any() else None
        ),
        "validation_negative_rejection_rate_without_threshold": (
            round(float(to_negative[negatives].mean()), 4) if negatives.any() else None
        ),
    }


# --- The service ------------------------------------------------------------------------------


def classifier_train(
    *,
    examples: Sequence[Example],
    backbone: Backbone,
    name: str,
    max_pixels: int,
    data_source: str,
    negative_label: str = "not_fish",
    seed: int = DEFAULT_SEED,
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
    false_rejection_rate: float = DEFAULT_FALSE_REJECTION_RATE,
    c: float = DEFAULT_C,
    created_by: "User | None" = None,
    progress: bool = False,
) -> TrainingResult:
    """Train a head on the examples' embeddings and register backbone + head as an inactive version.

    Raises ValueError when the examples cannot make a classifier (fewer than two classes, a class
    with fewer than two readable photos)."""
    if not 0 <= false_rejection_rate < 1:
        raise ValueError("false_rejection_rate: expected a number from 0 to 1")
    counts = examples_count(examples=examples)
    if len(counts) < 2:
        raise ValueError(f"at least two classes are needed, got {', '.join(counts) or 'none'}")

    embeddings = embeddings_get(
        backbone=backbone, examples=examples, max_pixels=max_pixels, progress=progress
    )
    kept = [examples[index] for index in embeddings.indices]
    labels = [example.label for example in kept]
    kept_counts = Counter(labels)
    thin = sorted(label for label in counts if kept_counts[label] < 2)
    if thin:
        raise ValueError(f"fewer than two readable photos for {', '.join(thin)}")
    classes = sorted(kept_counts, key=lambda label: (label == negative_label, label))
    groups = [
        example.group or f"photo:{digest}" for example, digest in zip(kept, embeddings.digests, strict=True)
    ]

    started = time.perf_counter()
    train, validation = split_indices(
        labels=labels, groups=groups, seed=seed, validation_fraction=validation_fraction
    )
    vectors = embeddings.vectors
    head = head_fit(
        vectors=vectors[train], labels=[labels[i] for i in train], classes=classes, seed=seed, c=c
    )

    validation_labels = [labels[i] for i in validation]
    probabilities = head.probabilities(vectors[validation])
    calibration = out_of_fold_probabilities(
        vectors=vectors[train],
        labels=[labels[i] for i in train],
        groups=[groups[i] for i in train],
        classes=classes,
        seed=seed,
        c=c,
    )
    if calibration is not None:
        rejection = rejection_threshold_choose(
            probabilities=calibration,
            true_labels=[labels[i] for i in train],
            classes=classes,
            negative_label=negative_label,
            false_rejection_rate=false_rejection_rate,
        )
        rejection["chosen_on"] = "out-of-fold scores of the training split"
    else:  # too few photos for cross-validation: the validation split has to do
        rejection = rejection_threshold_choose(
            probabilities=probabilities,
            true_labels=validation_labels,
            classes=classes,
            negative_label=negative_label,
            false_rejection_rate=false_rejection_rate,
        )
        rejection["chosen_on"] = "the validation split"
    head_seconds = time.perf_counter() - started
    report = evaluation_report(
        scores=probabilities,
        names=classes,
        true_labels=validation_labels,
        negative_label=negative_label,
        rejection_threshold=rejection["threshold"],
    )
    report["evaluated_on"] = {
        "split": "validation",
        "counts": dict(sorted(Counter(validation_labels).items())),
    }

    started = time.perf_counter()
    composed = classifier_compose(
        backbone_bytes=backbone.model_bytes, feature_node=backbone.feature_node, head=head
    )
    preprocessing = {**backbone.preprocessing, "output": "probabilities"}
    model_version = model_version_register(
        onnx_bytes=composed,
        name=name,
        labels=list(classes),
        preprocessing=preprocessing,
        source=ModelVersion.Source.TRAINED,
        negative_label=negative_label,
        rejection_threshold=rejection["threshold"],
        created_by=created_by,
        parent=backbone.version,
        metrics={**report, "rejection": rejection},
        training_data={
            "source": data_source,
            "counts": dict(sorted(kept_counts.items())),
            "train_counts": dict(sorted(Counter(labels[i] for i in train).items())),
            "validation_counts": report["evaluated_on"]["counts"],
            "grouped": any(example.group for example in kept),
            "seed": seed,
            "validation_fraction": validation_fraction,
            "backbone_sha256": backbone.sha256,
            "backbone": backbone.origin,
            "feature_node": backbone.feature_node,
            "embedding_dimensions": int(vectors.shape[1]),
            "head": {"kind": "multinomial logistic regression, class-balanced, standardized", "C": c},
            "skipped": [f"{name}: {reason}" for name, reason in embeddings.skipped[:50]],
            "validation_sha256": sorted({embeddings.digests[i] for i in validation}),
        },
        activate=False,
    )
    model_version_report_save(model_version=model_version, report=report)
    compose_seconds = time.perf_counter() - started
    timings = {
        "embeddings": round(embeddings.seconds, 2),
        "embeddings_cached": embeddings.cached,
        "embeddings_computed": embeddings.computed,
        "head": round(head_seconds, 2),
        "compose_register": round(compose_seconds, 2),
    }
    logger.info("trained %s: %s", model_version, timings)
    return TrainingResult(model_version=model_version, report=report, timings=timings)
