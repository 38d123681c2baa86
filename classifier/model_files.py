"""Checks that an ONNX file is a classifier that fits its preprocessing spec and label list."""

from dataclasses import dataclass

import numpy as np
import onnx
from google.protobuf.message import DecodeError

from .preprocessing import Preprocessing
from .runtime import model_session_create

_ELEM_TYPES = {
    onnx.TensorProto.FLOAT: "float32",
    onnx.TensorProto.FLOAT16: "float16",
    onnx.TensorProto.UINT8: "uint8",
}


class ModelFileError(ValueError):
    """The ONNX file cannot serve as this model version."""


@dataclass(frozen=True)
class TensorSignature:
    name: str
    dtype: str  # "float32", "float16", "uint8", or the ONNX type name of anything else
    shape: tuple  # an int per fixed dimension, None per dynamic one


def model_file_validate(*, data: bytes, preprocessing: Preprocessing, label_count: int) -> TensorSignature:
    """Raise ModelFileError unless `data` is a valid ONNX model taking one image tensor as described
    by `preprocessing` and giving `label_count` class values per image. Returns its input."""
    model = _load(data)
    model_input = _input(model, preprocessing.input_name)
    _check_input(model_input, preprocessing)
    outputs = [_signature(value) for value in model.graph.output]
    declared = _class_count(outputs[0].shape) if outputs else None
    if declared is not None and declared != label_count:
        raise ModelFileError(
            f"the model gives {declared} class values per image, but {label_count} labels were given"
        )
    produced = _run_once(data, preprocessing)
    if produced != label_count:
        raise ModelFileError(
            f"the model gives {produced} class values per image, but {label_count} labels were given"
        )
    return model_input


def _load(data):
    if not data:
        raise ModelFileError("the model file is empty")
    try:
        model = onnx.load_model_from_string(data)
    except (DecodeError, ValueError, RuntimeError) as error:
        raise ModelFileError(f"not an ONNX model: {error}") from error
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError, RuntimeError) as error:
        raise ModelFileError(f"the ONNX model is invalid: {error}") from error
    if not model.graph.output:
        raise ModelFileError("the ONNX model has no output")
    return model


def _signature(value):
    tensor_type = value.type.tensor_type
    dtype = _ELEM_TYPES.get(tensor_type.elem_type, onnx.TensorProto.DataType.Name(tensor_type.elem_type))
    shape = tuple(dim.dim_value if dim.HasField("dim_value") else None for dim in tensor_type.shape.dim)
    return TensorSignature(name=value.name, dtype=dtype, shape=shape)


def _input(model, input_name):
    # Before IR version 4, weights were listed among the graph inputs too.
    weights = {initializer.name for initializer in model.graph.initializer}
    inputs = [_signature(value) for value in model.graph.input if value.name not in weights]
    if input_name is not None:
        for candidate in inputs:
            if candidate.name == input_name:
                return candidate
        names = ", ".join(candidate.name for candidate in inputs) or "none"
        raise ModelFileError(f"the model has no input named {input_name!r} (its inputs: {names})")
    if len(inputs) != 1:
        raise ModelFileError(f"the model has {len(inputs)} inputs; name the image input with 'input_name'")
    return inputs[0]


def _check_input(model_input, preprocessing):
    shape = model_input.shape
    if len(shape) != 4:
        raise ModelFileError(
            f"the model input {model_input.name!r} has rank {len(shape)}; an image batch has rank 4"
        )
    if preprocessing.layout == "NCHW":
        channels, height, width = shape[1], shape[2], shape[3]
    else:
        height, width, channels = shape[1], shape[2], shape[3]
    if channels is not None and channels != 3:
        raise ModelFileError(
            f"the model input has {channels} channels in layout {preprocessing.layout};"
            " 3 colour channels are needed"
        )
    for side, model_side, wanted in (
        ("height", height, preprocessing.height),
        ("width", width, preprocessing.width),
    ):
        if model_side is not None and model_side != wanted:
            raise ModelFileError(
                f"the model input {side} is {model_side}, but the preprocessing size says {wanted}"
            )
    if model_input.dtype != preprocessing.dtype:
        raise ModelFileError(
            f"the model input is {model_input.dtype}, but the preprocessing dtype says {preprocessing.dtype}"
        )


def _class_count(shape):
    if len(shape) < 2 or any(side is None for side in shape[1:]):
        return None
    return int(np.prod(shape[1:]))


def _run_once(data, preprocessing):
    try:
        loaded = model_session_create(model_bytes=data, preprocessing=preprocessing)
        height, width = preprocessing.size
        dims = (3, height, width) if preprocessing.layout == "NCHW" else (height, width, 3)
        scores = loaded.run(np.zeros((1, *dims), dtype=loaded.input_dtype))
    except ModelFileError:
        raise
    except Exception as error:  # ONNX Runtime raises its own exception types
        raise ModelFileError(f"ONNX Runtime cannot run the model: {error}") from error
    return scores.shape[1]
