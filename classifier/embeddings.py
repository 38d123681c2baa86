"""Photo embeddings by a backbone cut at its feature node, cached per (backbone, photo).

Retraining a head only reads the cache: a photo is decoded and run through the backbone once per
backbone (file SHA-256, feature node and preprocessing), whatever the number of training runs.
"""

import hashlib
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .datasets import Example
from .imaging import PhotoError, load_rgb
from .models import EmbeddingCache, ModelVersion
from .onnx_compose import EMBEDDING_RECIPE, embedding_model
from .preprocessing import Preprocessing
from .runtime import model_bytes_read, model_session_create

logger = logging.getLogger(__name__)

DEFAULT_FEATURE_NODE = "fire9/concat_1"
CACHE_LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class Backbone:
    """A pretrained model to cut at `feature_node`; `version` when it is a registered version."""

    model_bytes: bytes = field(repr=False)
    preprocessing: dict
    feature_node: str = DEFAULT_FEATURE_NODE
    version: ModelVersion | None = None
    origin: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.model_bytes).hexdigest()

    @property
    def extractor(self) -> str:
        """What makes an embedding: the file, the feature node, the pooling and the preprocessing."""
        recipe = json.dumps(
            [
                self.sha256,
                self.feature_node,
                EMBEDDING_RECIPE,
                Preprocessing.from_spec(self.preprocessing).to_spec(),
            ],
            sort_keys=True,
        )
        return hashlib.sha256(recipe.encode()).hexdigest()


def backbone_from_version(
    *, model_version: ModelVersion, feature_node: str = DEFAULT_FEATURE_NODE
) -> Backbone:
    return Backbone(
        model_bytes=model_bytes_read(model_version=model_version),
        preprocessing=dict(model_version.preprocessing),
        feature_node=feature_node,
        version=model_version,
        origin=f"model version {model_version.pk} ({model_version.name})",
    )


def backbone_from_file(
    *, path: str | Path, preprocessing: dict, feature_node: str = DEFAULT_FEATURE_NODE
) -> Backbone:
    path = Path(path)
    return Backbone(
        model_bytes=path.read_bytes(),
        preprocessing=dict(preprocessing),
        feature_node=feature_node,
        origin=str(path),
    )


@dataclass
class EmbeddingSet:
    """Vectors for the examples that could be read; `indices[i]` is the example of `vectors[i]`."""

    vectors: np.ndarray
    indices: list[int]
    skipped: list[tuple[str, str]]  # (example name, reason)
    digests: list[str]  # the SHA-256 of each kept example's photo
    cached: int = 0
    computed: int = 0
    seconds: float = 0.0


class _Extractor:
    def __init__(self, backbone: Backbone):
        self.preprocessing = Preprocessing.from_spec(backbone.preprocessing)
        self.session = model_session_create(
            model_bytes=embedding_model(
                backbone_bytes=backbone.model_bytes, feature_node=backbone.feature_node
            ),
            preprocessing=self.preprocessing,
        )

    def __call__(self, data: bytes, *, max_pixels: int) -> np.ndarray:
        image = load_rgb(data, max_pixels=max_pixels, draft_size=self.preprocessing.draft_size)
        return self.session.run(self.preprocessing.to_tensor([image]))[0]


def embeddings_get(
    *, backbone: Backbone, examples: Sequence[Example], max_pixels: int, progress: bool = False
) -> EmbeddingSet:
    """The embedding of every example: from the cache, else computed and cached.

    A photo that cannot be decoded is skipped and reported, never fatal."""
    started = time.perf_counter()
    extractor_key = backbone.extractor
    digests, skipped = {}, []
    bar = tqdm(total=len(examples), desc="embeddings", unit="photo", file=sys.stderr, disable=not progress)
    for index, example in enumerate(examples):
        try:
            digests[index] = example.digest()
        except OSError as error:
            skipped.append((example.name, f"cannot read: {error}"))
            bar.update(1)
    found = _cache_read(extractor=extractor_key, digests=set(digests.values()))
    cached = sum(1 for digest in digests.values() if digest in found)
    bar.update(cached)

    extractor, computed, fresh = None, 0, []
    for index, digest in digests.items():
        if digest in found:
            continue
        if extractor is None:
            extractor = _Extractor(backbone)
        example = examples[index]
        try:
            vector = extractor(example.load(), max_pixels=max_pixels)
        except (PhotoError, OSError) as error:
            skipped.append((example.name, str(error)))
            bar.update(1)
            continue
        found[digest] = vector
        fresh.append((digest, vector))
        computed += 1
        bar.update(1)
        if len(fresh) >= CACHE_LOOKUP_CHUNK:
            _cache_write(backbone=backbone, extractor=extractor_key, rows=fresh)
            fresh = []
    if fresh:
        _cache_write(backbone=backbone, extractor=extractor_key, rows=fresh)
    bar.close()

    indices = [index for index, digest in digests.items() if digest in found]
    vectors = (
        np.stack([found[digests[index]] for index in indices]) if indices else np.zeros((0, 0), np.float32)
    )
    if skipped:
        logger.warning("%d photos skipped: %s", len(skipped), "; ".join(f"{n}: {r}" for n, r in skipped[:5]))
    return EmbeddingSet(
        vectors=vectors.astype(np.float32, copy=False),
        indices=indices,
        skipped=skipped,
        digests=[digests[index] for index in indices],
        cached=cached,
        computed=computed,
        seconds=time.perf_counter() - started,
    )


def _cache_read(*, extractor, digests):
    found = {}
    digests = sorted(digests)
    for start in range(0, len(digests), CACHE_LOOKUP_CHUNK):
        rows = EmbeddingCache.objects.filter(
            extractor=extractor, photo_sha256__in=digests[start : start + CACHE_LOOKUP_CHUNK]
        ).values_list("photo_sha256", "vector")
        for digest, vector in rows:
            found[digest] = np.frombuffer(bytes(vector), dtype="<f4").copy()
    return found


def _cache_write(*, backbone, extractor, rows):
    EmbeddingCache.objects.bulk_create(
        [
            EmbeddingCache(
                extractor=extractor,
                backbone_sha256=backbone.sha256,
                photo_sha256=digest,
                dimensions=int(vector.shape[0]),
                vector=np.asarray(vector, dtype="<f4").tobytes(),
            )
            for digest, vector in rows
        ],
        ignore_conflicts=True,
    )
