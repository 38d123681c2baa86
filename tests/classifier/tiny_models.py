"""Tiny ONNX classifiers whose answers follow from their weights: the mean of each colour channel,
times a gain, is the logit of the class with that channel's index."""

import numpy as np
import onnx
from onnx import TensorProto, helper

_ONNX_TYPES = {"float32": TensorProto.FLOAT, "float16": TensorProto.FLOAT16, "uint8": TensorProto.UINT8}

RGB_LABELS = ["red", "green", "blue"]


def color_model(
    *,
    layout="NCHW",
    dtype="float32",
    batch="N",
    size=(8, 8),
    channels=3,
    classes=3,
    gain=10.0,
    softmax=True,
    output_4d=False,
):
    """Class i scores gain x mean(channel i), over the whole image (any extra class scores 0)."""
    height, width = size
    shape = [batch, channels, height, width] if layout == "NCHW" else [batch, height, width, channels]
    axes = [2, 3] if layout == "NCHW" else [1, 2]
    weights = np.zeros((channels, classes), dtype=np.float32)
    for index in range(min(channels, classes)):
        weights[index, index] = gain
    nodes, initializers = (
        [],
        [helper.make_tensor("weights", TensorProto.FLOAT, weights.shape, weights.flatten())],
    )
    source = "input"
    if dtype != "float32":
        nodes.append(helper.make_node("Cast", ["input"], ["input_float"], to=TensorProto.FLOAT))
        source = "input_float"
    nodes.append(helper.make_node("ReduceMean", [source], ["pooled"], axes=axes, keepdims=0))
    nodes.append(helper.make_node("MatMul", ["pooled", "weights"], ["logits"]))
    result = "logits"
    if softmax:
        nodes.append(helper.make_node("Softmax", [result], ["probabilities"], axis=1))
        result = "probabilities"
    output_shape = [batch, classes]
    if output_4d:
        initializers.append(helper.make_tensor("shape4d", TensorProto.INT64, [4], [-1, classes, 1, 1]))
        nodes.append(helper.make_node("Reshape", [result, "shape4d"], ["reshaped"]))
        result = "reshaped"
        output_shape = [batch, classes, 1, 1]
    output_type = TensorProto.FLOAT
    if dtype == "float16":
        nodes.append(helper.make_node("Cast", [result], ["output"], to=TensorProto.FLOAT16))
        output_type = TensorProto.FLOAT16
    else:
        nodes.append(helper.make_node("Identity", [result], ["output"]))
    graph = helper.make_graph(
        nodes,
        "color",
        [helper.make_tensor_value_info("input", _ONNX_TYPES[dtype], shape)],
        [helper.make_tensor_value_info("output", output_type, output_shape)],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def color_spec(**overrides):
    spec = {"size": [8, 8], "channel_order": "RGB", "scale": 1 / 255, "layout": "NCHW", "dtype": "float32"}
    spec.update(overrides)
    return spec
