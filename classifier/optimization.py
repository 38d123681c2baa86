"""Smaller and faster copies of a version, as the Hotdog seed did with optimize_for_inference and
quantize_graph: an ONNX Runtime offline graph-optimized float32 copy, and an int8 copy quantized
statically (QDQ, per-channel weights) with activation ranges calibrated on real photos.

The float16 backbone is converted to float32 first (onnx_compose.model_to_float32); the head
(nodes named head/...) stays float32 in the int8 copy: it is tiny, and its scores set the threshold.
"""

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from PIL import Image
from tqdm import tqdm

from .datasets import Example, examples_count
from .evaluation import model_version_evaluate, model_version_report_save
from .imaging import PhotoError, load_rgb
from .models import ModelVersion
from .onnx_compose import EMBEDDING_PREFIX, HEAD_PREFIX, model_to_float32
from .preprocessing import Preprocessing
from .runtime import model_bytes_read, model_session_create
from .services import model_version_register

if TYPE_CHECKING:
    from django.contrib.auth.models import User

OPTIMIZATION_LEVELS = {
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
}
DEFAULT_CALIBRATION_COUNT = 200


@dataclass
class OptimizationResult:
    optimized: ModelVersion
    quantized: ModelVersion
    comparison: dict  # per variant: size_bytes, latency_ms and, when evaluated, top1/top3 accuracy


def model_offline_optimize(*, model_bytes: bytes, level: str = "extended") -> bytes:
    """The graph ONNX Runtime would run (constant folding, Conv+Relu fusion, ...), saved offline."""
    options = ort.SessionOptions()
    options.graph_optimization_level = OPTIMIZATION_LEVELS[level]
    options.log_severity_level = 3
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "optimized.onnx"
        options.optimized_model_filepath = str(target)
        ort.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])
        return target.read_bytes()


class _PhotoReader(CalibrationDataReader):
    """Calibration batches, one photo each, decoded on demand (onnxruntime CalibrationDataReader)."""

    def __init__(self, *, examples, preprocessing, input_name, max_pixels, progress):
        self.examples = list(examples)
        self.preprocessing = preprocessing
        self.input_name = input_name
        self.max_pixels = max_pixels
        self.position = 0
        self.used = 0
        self.bar = tqdm(
            total=len(self.examples), desc="calibrating", unit="photo", file=sys.stderr, disable=not progress
        )

    def get_next(self):
        while self.position < len(self.examples):
            example = self.examples[self.position]
            self.position += 1
            self.bar.update(1)
            try:
                image = load_rgb(
                    example.load(), max_pixels=self.max_pixels, draft_size=self.preprocessing.draft_size
                )
            except (PhotoError, OSError):
                continue
            self.used += 1
            return {self.input_name: self.preprocessing.to_tensor([image])}
        self.bar.close()
        return None

    def rewind(self):
        self.position = 0


def model_quantize_int8(
    *,
    model_bytes: bytes,
    preprocessing: dict,
    calibration_examples: Sequence[Example],
    max_pixels: int,
    per_channel: bool = True,
    progress: bool = False,
) -> tuple[bytes, int]:
    """A QDQ int8 copy of a float32 model, calibrated (MinMax) on the photos; answers it and the
    number of photos used. The pooling of the embedding and the head are left in float32: the
    maximum over a feature map picks its extremes, where int8 rounding moves it most."""
    parsed = Preprocessing.from_spec(preprocessing)
    if parsed.dtype != "float32":
        raise ValueError("quantize a float32 model (see onnx_compose.model_to_float32)")
    model = onnx.load_model_from_string(model_bytes)
    initializers = {tensor.name for tensor in model.graph.initializer}
    input_name = parsed.input_name or next(v.name for v in model.graph.input if v.name not in initializers)
    float_nodes = [
        node.name for node in model.graph.node if node.name.startswith((HEAD_PREFIX, EMBEDDING_PREFIX))
    ]

    reader = _PhotoReader(
        examples=calibration_examples,
        preprocessing=parsed,
        input_name=input_name,
        max_pixels=max_pixels,
        progress=progress,
    )
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "fp32.onnx", Path(folder) / "int8.onnx"
        source.write_bytes(model_bytes)
        quantize_static(
            str(source),
            str(target),
            reader,
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=float_nodes,
            extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
        )
        if reader.used == 0:
            raise ValueError("no calibration photo could be read")
        return target.read_bytes(), reader.used


def model_latency_ms(*, model_bytes: bytes, preprocessing: dict, runs: int = 30, warmup: int = 5) -> float:
    """Median milliseconds per session.run on one photo-sized input, with the platform's session options."""
    parsed = Preprocessing.from_spec(preprocessing)
    loaded = model_session_create(model_bytes=model_bytes, preprocessing=parsed)
    height, width = parsed.size
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    tensor = parsed.to_tensor([Image.fromarray(pixels)])
    for _ in range(warmup):
        loaded.run(tensor)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        loaded.run(tensor)
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 3)


def model_version_optimize(
    *,
    model_version: ModelVersion,
    calibration_examples: Sequence[Example],
    max_pixels: int,
    evaluation_examples: Sequence[Example] | None = None,
    calibration_count: int = DEFAULT_CALIBRATION_COUNT,
    level: str = "extended",
    seed: int = 0,
    created_by: "User | None" = None,
    progress: bool = False,
) -> OptimizationResult:
    """Register a graph-optimized float32 copy and an int8 copy of a version (source optimized,
    parent the version), each with size, latency and, given evaluation photos, accuracy against
    the original."""
    if not calibration_examples:
        raise ValueError("calibration: no photos")
    original_bytes = model_bytes_read(model_version=model_version)
    float32_bytes = model_to_float32(model_bytes=original_bytes)
    float32_preprocessing = {**model_version.preprocessing, "dtype": "float32"}
    optimized_bytes = model_offline_optimize(model_bytes=float32_bytes, level=level)

    sample = list(calibration_examples)
    random.Random(seed).shuffle(sample)
    sample = sample[:calibration_count]
    quantized_bytes, used = model_quantize_int8(
        model_bytes=float32_bytes,
        preprocessing=float32_preprocessing,
        calibration_examples=sample,
        max_pixels=max_pixels,
        progress=progress,
    )

    common: dict[str, Any] = {
        "labels": list(model_version.labels),
        "negative_label": model_version.negative_label,
        "rejection_threshold": model_version.rejection_threshold,
        "source": ModelVersion.Source.OPTIMIZED,
        "parent": model_version,
        "created_by": created_by,
        "preprocessing": float32_preprocessing,
    }
    training_data = dict(model_version.training_data or {})
    optimized = model_version_register(
        onnx_bytes=optimized_bytes,
        name=f"{model_version.name} (fp32, graph-optimized)"[:200],
        training_data={**training_data, "optimized_from": model_version.pk, "method": f"ORT offline {level}"},
        **common,
    )
    quantized = model_version_register(
        onnx_bytes=quantized_bytes,
        name=f"{model_version.name} (int8)"[:200],
        training_data={
            **training_data,
            "optimized_from": model_version.pk,
            "method": "ORT quantize_static QDQ, int8 weights per channel, uint8 activations, MinMax",
            "calibration_counts": examples_count(examples=sample),
            "calibration_photos": used,
        },
        **common,
    )

    variants = {
        "original": (model_version, original_bytes, model_version.preprocessing),
        "fp32": (None, float32_bytes, float32_preprocessing),
        "fp32_optimized": (optimized, optimized_bytes, float32_preprocessing),
        "int8": (quantized, quantized_bytes, float32_preprocessing),
    }
    comparison = {}
    reports = {}
    for key, (version, data, preprocessing) in variants.items():
        entry = {
            "size_bytes": len(data),
            "latency_ms": model_latency_ms(model_bytes=data, preprocessing=preprocessing),
        }
        if version is not None:
            entry["version"] = version.pk
        if evaluation_examples and version is not None:
            report = model_version_evaluate(
                model_version=version, examples=evaluation_examples, max_pixels=max_pixels, progress=progress
            )
            reports[key] = report
            entry["top1_accuracy"] = report["top1_accuracy"]
            entry["top3_accuracy"] = report["top3_accuracy"]
        comparison[key] = entry
    fp32_size = comparison["fp32"]["size_bytes"]
    for entry in comparison.values():
        entry["size_vs_fp32"] = round(entry["size_bytes"] / fp32_size, 4)
    if "top1_accuracy" in comparison["original"]:
        for entry in comparison.values():
            if "top1_accuracy" in entry:
                entry["top1_delta_vs_original"] = round(
                    entry["top1_accuracy"] - comparison["original"]["top1_accuracy"], 4
                )

    for key, version in (("fp32_optimized", optimized), ("int8", quantized)):
        ModelVersion.objects.filter(pk=version.pk).update(metrics={"optimization": comparison})
        version.metrics = {"optimization": comparison}
        if key in reports:
            model_version_report_save(model_version=version, report=reports[key])
    return OptimizationResult(optimized=optimized, quantized=quantized, comparison=comparison)
