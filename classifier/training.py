"""Transfer learning: a linear head on a frozen backbone's cached embeddings, served as one ONNX model.

As the Hotdog seed retrained MobileNet's last layer, only a multinomial logistic regression on
standardized embeddings is learned. It is composed with the backbone into one ONNX graph
(onnx_compose.classifier_compose) and registered as a new, inactive version with its validation
report. The training split's out-of-fold logits (grouped 3-fold cross-validation inside it) are the
held-out data for two choices: the temperature that calibrates the scores (calibration.py), folded
into the head's weights, and then, on the calibrated scores, the "not a fish" threshold that rejects
at most `false_rejection_rate` of the true fish. The validation photos are used for nothing but the
report.
"""

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .calibration import reliability, softmax, temperature_fit
from .datasets import Example, examples_count
from .embeddings import Backbone, embeddings_get
from .evaluation import evaluation_report, model_version_report_save
from .models import ModelVersion
from .onnx_compose import LinearHead, classifier_compose
from .services import model_version_register

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from projects.models import Project

logger = logging.getLogger(__name__)

DEFAULT_SEED = 20240611
DEFAULT_VALIDATION_FRACTION = 0.2
DEFAULT_FALSE_REJECTION_RATE = 0.02
DEFAULT_C = 0.3  # 5-fold grouped CV on the team data (average + max pooled): 0.1-0.3 alike, 0.03 worse
# 5-fold grouped CV on the team data: not_fish photos rejected 0.946 (1), 0.973 (6), 0.980 (10),
# 0.973 (20), top-1 unchanged (bench/RESULTS.md).
DEFAULT_NEGATIVE_WEIGHT = 10.0
THRESHOLD_FOLDS = 3
UNSEEN_LOGIT = -1e4


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
    *,
    vectors: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    seed: int,
    c: float = DEFAULT_C,
    negative_label: str | None = None,
    negative_weight: float = DEFAULT_NEGATIVE_WEIGHT,
) -> LinearHead:
    """Class-balanced multinomial logistic regression on standardized vectors; the negative class
    weighs `negative_weight` times more, since calling an everyday photo a fish is the costlier error."""
    from sklearn.linear_model import LogisticRegression

    vectors = np.asarray(vectors, dtype=np.float64)
    mean = vectors.mean(axis=0)
    std = vectors.std(axis=0)
    std[std < 1e-6] = 1.0  # a feature that never varies: leave it at zero after centring
    standardized = (vectors - mean) / std
    label_array = np.asarray(labels)
    counts = Counter(label_array.tolist())
    weights = {label: len(label_array) / (len(counts) * count) for label, count in counts.items()}
    if negative_label in weights:
        weights[negative_label] *= negative_weight
    model = LogisticRegression(C=c, class_weight=weights, max_iter=3000, random_state=seed)
    model.fit(standardized, label_array)
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


def out_of_fold_logits(
    *,
    vectors: np.ndarray,
    labels: Sequence[str],
    groups: Sequence[str],
    classes: Sequence[str],
    seed: int,
    c: float,
    negative_label: str | None = None,
    negative_weight: float = DEFAULT_NEGATIVE_WEIGHT,
    folds: int = THRESHOLD_FOLDS,
) -> np.ndarray | None:
    """Each photo's logits by a head trained without its group (grouped, stratified k-fold), or None
    when some class has fewer groups than folds."""
    from sklearn.model_selection import StratifiedGroupKFold

    label_array, group_array = np.asarray(labels), np.asarray(groups)
    for label in classes:
        if len(set(group_array[label_array == label].tolist())) < folds:
            return None
    # A class missing from a fold's training photos can never be that fold's answer.
    result = np.full((len(label_array), len(classes)), UNSEEN_LOGIT)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, held in splitter.split(np.zeros(len(label_array)), label_array, group_array):
        present = [label for label in classes if label in set(label_array[train].tolist())]
        head = head_fit(
            vectors=vectors[train],
            labels=label_array[train],
            classes=present,
            seed=seed,
            c=c,
            negative_label=negative_label,
            negative_weight=negative_weight,
        )
        columns = [list(classes).index(label) for label in present]
        result[np.ix_(held, columns)] = head.logits(vectors[held])
    return result


@dataclass(frozen=True)
class CalibratedHead:
    """A head with its temperature folded in, and the out-of-fold logits that fitted it (None, and
    temperature 1, when some class has too few groups for cross-validation)."""

    head: LinearHead
    uncalibrated: LinearHead
    held_logits: np.ndarray | None
    temperature: float


def calibrated_head_fit(
    *,
    vectors: np.ndarray,
    labels: Sequence[str],
    groups: Sequence[str],
    classes: Sequence[str],
    seed: int,
    c: float = DEFAULT_C,
    negative_label: str | None = None,
    negative_weight: float = DEFAULT_NEGATIVE_WEIGHT,
) -> CalibratedHead:
    """The head on all of `vectors`, calibrated by the temperature that best fits their out-of-fold
    logits (grouped k-fold, so no photo scores its own group)."""
    head = head_fit(
        vectors=vectors,
        labels=labels,
        classes=classes,
        seed=seed,
        c=c,
        negative_label=negative_label,
        negative_weight=negative_weight,
    )
    held_logits = out_of_fold_logits(
        vectors=vectors,
        labels=labels,
        groups=groups,
        classes=classes,
        seed=seed,
        c=c,
        negative_label=negative_label,
        negative_weight=negative_weight,
    )
    if held_logits is None:
        return CalibratedHead(head=head, uncalibrated=head, held_logits=None, temperature=1.0)
    temperature = temperature_fit(
        logits=held_logits, targets=[list(classes).index(label) for label in labels]
    )
    return CalibratedHead(
        head=head.tempered(temperature), uncalibrated=head, held_logits=held_logits, temperature=temperature
    )


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
    negative_weight: float = DEFAULT_NEGATIVE_WEIGHT,
    created_by: "User | None" = None,
    project: "Project | None" = None,
    progress: bool = False,
) -> TrainingResult:
    """Train a head on the examples' embeddings and register backbone + head as an inactive version
    of `project` (default: the backbone version's project, else the default project).

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
    validation_labels = [labels[i] for i in validation]
    train_labels = [labels[i] for i in train]
    fitted = calibrated_head_fit(
        vectors=vectors[train],
        labels=train_labels,
        groups=[groups[i] for i in train],
        classes=classes,
        seed=seed,
        c=c,
        negative_label=negative_label,
        negative_weight=negative_weight,
    )
    head, temperature = fitted.head, fitted.temperature
    raw_validation = fitted.uncalibrated.probabilities(vectors[validation])
    if fitted.held_logits is not None:
        scores, truths = softmax(fitted.held_logits / temperature), train_labels
        chosen_on = "calibrated out-of-fold scores of the training split"
        fitted_on = "out-of-fold logits of the training split"
    else:  # too few photos for cross-validation: no calibration, the validation split has to do
        scores, truths = raw_validation, validation_labels
        chosen_on = "the validation split"
        fitted_on = "not calibrated: fewer groups per class than cross-validation folds"
    rejection = rejection_threshold_choose(
        probabilities=scores,
        true_labels=truths,
        classes=classes,
        negative_label=negative_label,
        false_rejection_rate=false_rejection_rate,
    )
    rejection["chosen_on"] = chosen_on
    probabilities = head.probabilities(vectors[validation])
    raw_correct = [
        classes[index] == label
        for index, label in zip(raw_validation.argmax(axis=1), validation_labels, strict=True)
    ]
    calibration = {
        "temperature": round(temperature, 4),
        "fitted_on": fitted_on,
        "validation_ece_before": reliability(probabilities=raw_validation, correct=raw_correct)["ece"],
    }
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
    report["calibration"] = {**calibration, "validation_ece": report["reliability"]["ece"]}

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
        project=project,
        metrics={**report, "rejection": rejection},
        training_data={
            "source": data_source,
            "embedding_extractor": backbone.extractor,
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
            "head": {
                "kind": "multinomial logistic regression, class-balanced, standardized",
                "C": c,
                "negative_weight": negative_weight,
                "temperature": calibration["temperature"],
            },
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
