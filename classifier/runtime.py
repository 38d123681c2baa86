"""ONNX Runtime sessions: one per worker process and model version, made on first use.

A session is never made at import and never crosses a fork: the cache remembers the process id
and starts empty in a child process.
"""

import hashlib
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort
from django.conf import settings

from .onnx_compose import EMBEDDING_OUTPUT
from .preprocessing import Preprocessing

if TYPE_CHECKING:
    from .models import ModelVersion

_ORT_DTYPES: dict[str, np.dtype] = {
    "tensor(float)": np.dtype("float32"),
    "tensor(float16)": np.dtype("float16"),
    "tensor(uint8)": np.dtype("uint8"),
}


class ModelIntegrityError(RuntimeError):
    """The stored model file is not the one that was registered."""


@dataclass(frozen=True)
class ModelSession:
    session: ort.InferenceSession
    preprocessing: Preprocessing
    input_name: str
    input_dtype: np.dtype
    batch_size: int | None  # fixed by the model, or None when the batch dimension is dynamic
    output_name: str
    # A classifier composed on the platform also gives the backbone's embedding (onnx_compose).
    embedding_name: str | None = None

    def run(self, tensor: np.ndarray) -> np.ndarray:
        """Model outputs for a batch, one row of class values per image (float32)."""
        return self.run_with_embeddings(tensor)[0]

    def run_with_embeddings(self, tensor: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The class values and, when the model gives them, the embeddings (float32 rows)."""
        tensor = tensor.astype(self.input_dtype, copy=False)
        count = tensor.shape[0]
        if self.batch_size is None or self.batch_size == count:
            return self._run(tensor, count)
        parts = []
        for start in range(0, count, self.batch_size):
            chunk = tensor[start : start + self.batch_size]
            filled = chunk.shape[0]
            if filled < self.batch_size:
                padding = np.zeros((self.batch_size - filled, *chunk.shape[1:]), dtype=chunk.dtype)
                chunk = np.concatenate([chunk, padding])
            values, embeddings = self._run(chunk, self.batch_size)
            parts.append((values[:filled], None if embeddings is None else embeddings[:filled]))
        values = np.concatenate([part[0] for part in parts])
        if self.embedding_name is None:
            return values, None
        return values, np.concatenate([part[1] for part in parts if part[1] is not None])

    def _run(self, tensor, count):
        names = [self.output_name] + ([self.embedding_name] if self.embedding_name else [])
        outputs = self.session.run(names, {self.input_name: tensor})
        values = np.asarray(outputs[0], dtype=np.float32).reshape(count, -1)
        if self.embedding_name is None:
            return values, None
        return values, np.asarray(outputs[1], dtype=np.float32).reshape(count, -1)


def intra_op_threads() -> int:
    configured = settings.CLASSIFIER_INTRA_OP_THREADS
    if configured > 0:
        return configured
    try:
        processes = max(1, int(os.environ.get("CLASSIFIER_PROCESSES", "1")))
    except ValueError:
        processes = 1
    return max(1, (os.cpu_count() or 1) // processes)


def session_options() -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


def model_session_create(*, model_bytes: bytes, preprocessing: Preprocessing) -> ModelSession:
    session = ort.InferenceSession(
        model_bytes, sess_options=session_options(), providers=["CPUExecutionProvider"]
    )
    inputs = {node.name: node for node in session.get_inputs()}
    input_name = preprocessing.input_name or next(iter(inputs))
    if input_name not in inputs:
        raise ValueError(f"the model has no input named {input_name!r}; it has {', '.join(inputs)}")
    model_input = inputs[input_name]
    if model_input.type not in _ORT_DTYPES:
        raise ValueError(f"unsupported model input type {model_input.type}")
    batch = model_input.shape[0] if model_input.shape else None
    outputs = [node.name for node in session.get_outputs()]
    return ModelSession(
        session=session,
        preprocessing=preprocessing,
        input_name=input_name,
        input_dtype=_ORT_DTYPES[model_input.type],
        batch_size=batch if isinstance(batch, int) and batch > 0 else None,
        output_name=outputs[0],
        embedding_name=EMBEDDING_OUTPUT if EMBEDDING_OUTPUT in outputs[1:] else None,
    )


def model_bytes_read(*, model_version: "ModelVersion") -> bytes:
    """The stored model file, checked against the registered SHA-256."""
    field = model_version.onnx_file
    if not field.name:
        raise ModelIntegrityError(f"model version {model_version.pk} has no stored model file")
    with field.storage.open(field.name, "rb") as handle:
        data = handle.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != model_version.sha256:
        raise ModelIntegrityError(
            f"model version {model_version.pk}: the stored file {field.name} has SHA-256 {digest}, "
            f"but {model_version.sha256} was registered; refusing to run it"
        )
    return data


class _ProcessCache:
    def __init__(self):
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.sessions = {}


_cache = _ProcessCache()


def _process_cache():
    global _cache
    if _cache.pid != os.getpid():
        # A forked child: the parent's sessions and lock must not be used here.
        _cache = _ProcessCache()
    return _cache


def model_session_get(*, model_version: "ModelVersion") -> ModelSession:
    """This process's session for a model version, made on first use."""
    cache = _process_cache()
    key = (model_version.pk, model_version.sha256)
    loaded = cache.sessions.get(key)
    if loaded is not None:
        return loaded
    with cache.lock:
        loaded = cache.sessions.get(key)
        if loaded is None:
            preprocessing = Preprocessing.from_spec(model_version.preprocessing)
            loaded = model_session_create(
                model_bytes=model_bytes_read(model_version=model_version), preprocessing=preprocessing
            )
            for stale in [other for other in cache.sessions if other[0] == model_version.pk]:
                del cache.sessions[stale]
            cache.sessions[key] = loaded
    return loaded


def model_sessions_clear() -> None:
    """Forget this process's sessions (tests, or after a model file was replaced)."""
    _process_cache().sessions.clear()
