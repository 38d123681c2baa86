"""Images in, scored labels out."""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from PIL import Image

from .imaging import load_rgb
from .runtime import model_session_get

if TYPE_CHECKING:
    from .models import ModelVersion


@dataclass(frozen=True)
class LabelScore:
    label: str
    score: float


@dataclass(frozen=True)
class ClassificationResult:
    scores: list[LabelScore]  # best first, one entry per distinct label
    rejected: bool  # none of the known classes
    top_score: float
    duration_ms: float
    # The photo's embedding, L2-normalised float32, when the model gives one (onnx_compose).
    embedding: np.ndarray | None = None

    @property
    def top_label(self) -> str:
        return self.scores[0].label

    @property
    def uncertain(self) -> bool:
        """A known class, but not clearly which: "uncertain: A or B"."""
        return not self.rejected and answer_uncertain(scores=self.scores)


def answer_uncertain(
    *, scores: Sequence[LabelScore], below: float | None = None, margin: float | None = None
) -> bool:
    """Whether the best of `scores` (best first) is too low, or too close to the second, to be named
    alone. The thresholds default to settings.CLASSIFIER_UNCERTAIN_BELOW and _MARGIN."""
    below = settings.CLASSIFIER_UNCERTAIN_BELOW if below is None else below
    margin = settings.CLASSIFIER_UNCERTAIN_MARGIN if margin is None else margin
    if not scores:
        return False
    if scores[0].score < below:
        return True
    return len(scores) > 1 and scores[0].score - scores[1].score < margin


def classify_images(
    *, model_version: "ModelVersion", images: list[Image.Image], top_k: int
) -> list[ClassificationResult]:
    """Classify a batch of images with a model version; `duration_ms` is each image's share."""
    if not images:
        return []
    started = time.perf_counter()
    tensor = model_session_get(model_version=model_version).preprocessing.to_tensor(images)
    return classify_tensor(model_version=model_version, tensor=tensor, top_k=top_k, started=started)


def photo_tensor(*, model_version: "ModelVersion", data: bytes, max_pixels: int) -> np.ndarray:
    """Photo bytes decoded (raising imaging.PhotoError) and preprocessed for the version's model: a
    batch of one, to stack with others for `classify_tensor`."""
    preprocessing = model_session_get(model_version=model_version).preprocessing
    image = load_rgb(data, max_pixels=max_pixels, draft_size=preprocessing.draft_size)
    return preprocessing.to_tensor([image])


def classify_tensor(
    *, model_version: "ModelVersion", tensor: np.ndarray, top_k: int, started: float | None = None
) -> list[ClassificationResult]:
    """Classify preprocessed photos (a row each) in one model run; `duration_ms` is each photo's
    share of the time since `started` (default: now)."""
    started = time.perf_counter() if started is None else started
    loaded = model_session_get(model_version=model_version)
    outputs, embeddings = loaded.run_with_embeddings(tensor)
    if loaded.preprocessing.output == "logits":
        outputs = _softmax(outputs)
    names, groups = _label_groups(tuple(model_version.labels))
    if outputs.shape[1] != groups.shape[0]:
        raise ValueError(
            f"model version {model_version.pk} gives {outputs.shape[1]} values"
            f" but has {groups.shape[0]} labels"
        )
    per_label = outputs @ groups
    unit = None if embeddings is None else embeddings_normalize(embeddings)
    duration_ms = (time.perf_counter() - started) * 1000 / len(tensor)
    return [
        _result(
            row,
            names=names,
            model_version=model_version,
            top_k=top_k,
            duration_ms=duration_ms,
            embedding=None if unit is None else unit[index],
        )
        for index, row in enumerate(per_label)
    ]


def embeddings_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (an all-zero row stays zero), float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def classify_photo(
    *, model_version: "ModelVersion", data: bytes, top_k: int, max_pixels: int
) -> ClassificationResult:
    """Decode photo bytes (raising imaging.PhotoError) and classify them; `duration_ms` includes decoding."""
    started = time.perf_counter()
    tensor = photo_tensor(model_version=model_version, data=data, max_pixels=max_pixels)
    (result,) = classify_tensor(model_version=model_version, tensor=tensor, top_k=top_k, started=started)
    return result


@lru_cache(maxsize=32)
def _label_groups(labels):
    """The distinct labels and a 0/1 matrix that sums each output into its label's column."""
    names = list(dict.fromkeys(labels))
    column = {name: index for index, name in enumerate(names)}
    groups = np.zeros((len(labels), len(names)), dtype=np.float32)
    groups[np.arange(len(labels)), [column[label] for label in labels]] = 1.0
    return names, groups


def _softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _result(row, *, names, model_version, top_k, duration_ms, embedding):
    order = np.argsort(-row, kind="stable")[: max(1, top_k)]
    scores = [LabelScore(label=names[index], score=float(row[index])) for index in order]
    top = scores[0]
    rejected = top.label == model_version.negative_label or top.score < model_version.rejection_threshold
    return ClassificationResult(
        scores=scores, rejected=rejected, top_score=top.score, duration_ms=duration_ms, embedding=embedding
    )
