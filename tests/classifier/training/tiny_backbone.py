"""A tiny stand-in for the SqueezeNet backbone: same conventions, seconds to run.

Float16 weights, input and output; fixed batch 1; IR version 3 with the weights listed among the
graph inputs and default opset 7, as the real file; a feature node (`fire2/concat_1`, after a
ReLU) followed by a classifier conv, global average pooling and a softmax, as `fire9/concat_1` is.
"""

import io

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

FEATURE_NODE = "fire2/concat_1"
SIZE = 16
CHANNELS = 96
IMAGENET_LIKE_CLASSES = 10
PREPROCESSING = {
    "input_name": "data_0",
    "size": [SIZE, SIZE],
    "channel_order": "BGR",
    "scale": 1.0,
    "mean": [104.0, 117.0, 123.0],
    "std": [1.0, 1.0, 1.0],
    "layout": "NCHW",
    "dtype": "float16",
    "resize": "stretch",
    "output": "probabilities",
}
BACKBONE_LABELS = [f"imagenet_{index}" for index in range(IMAGENET_LIKE_CLASSES)]

# Class label -> RGB colour of its photos.
COLOURS = {
    "micropterus_salmoides": (210, 40, 40),
    "sander_vitreus": (40, 190, 60),
    "esox_lucius": (40, 60, 210),
    "not_fish": (200, 200, 60),
}


def backbone_bytes(seed=3):
    rng = np.random.default_rng(seed)
    first = np.zeros((8, 3, 3, 3), dtype=np.float32)
    for channel in range(3):  # the colour itself, and its negative, at the centre tap
        first[channel, channel, 1, 1] = 0.05
        first[channel + 3, channel, 1, 1] = -0.05
    first[6:] = rng.normal(0, 0.01, size=(2, 3, 3, 3))
    weights = {
        "conv1_w_0": first,
        "conv1_b_0": np.zeros(8, np.float32),
        "fire2/expand_w_0": rng.normal(0, 0.5, size=(CHANNELS, 8, 1, 1)),
        "fire2/expand_b_0": rng.normal(0, 0.1, size=CHANNELS),
        "fire2/mix_w_0": rng.normal(0, 0.2, size=(CHANNELS, CHANNELS, 1, 1)),
        "fire2/mix_b_0": np.zeros(CHANNELS),
        "conv10_w_0": rng.normal(0, 0.2, size=(IMAGENET_LIKE_CLASSES, CHANNELS, 1, 1)),
        "conv10_b_0": np.zeros(IMAGENET_LIKE_CLASSES),
    }
    initializers = [
        numpy_helper.from_array(np.asarray(value, np.float16), name) for name, value in weights.items()
    ]
    nodes = [
        helper.make_node("Conv", ["data_0", "conv1_w_0", "conv1_b_0"], ["conv1_1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1_1"], ["conv1_2"]),
        helper.make_node("Conv", ["conv1_2", "fire2/expand_w_0", "fire2/expand_b_0"], ["fire2/expand_1"]),
        helper.make_node("Relu", ["fire2/expand_1"], ["fire2/expand_2"]),
        helper.make_node("Conv", ["fire2/expand_2", "fire2/mix_w_0", "fire2/mix_b_0"], ["fire2/mix_1"]),
        helper.make_node("Relu", ["fire2/mix_1"], [FEATURE_NODE]),
        helper.make_node("Dropout", [FEATURE_NODE], ["fire2/concat_2"], ratio=0.5),
        helper.make_node("Conv", ["fire2/concat_2", "conv10_w_0", "conv10_b_0"], ["conv10_1"]),
        helper.make_node("GlobalAveragePool", ["conv10_1"], ["pool10_1"]),
        helper.make_node("Softmax", ["pool10_1"], ["softmaxout_1"]),
    ]
    weight_inputs = [
        helper.make_tensor_value_info(tensor.name, TensorProto.FLOAT16, list(tensor.dims))
        for tensor in initializers
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-squeezenet",
        [helper.make_tensor_value_info("data_0", TensorProto.FLOAT16, [1, 3, SIZE, SIZE]), *weight_inputs],
        [
            helper.make_tensor_value_info(
                "softmaxout_1", TensorProto.FLOAT16, [1, IMAGENET_LIKE_CLASSES, 1, 1]
            )
        ],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 7)], producer_name="tests")
    model.ir_version = 3
    onnx.checker.check_model(model)
    return model.SerializeToString()


def photo(colour, *, rng, size=(20, 16), fmt="PNG"):
    """A noisy photo of one colour: every pixel jittered, so no two photos are alike."""
    base = np.asarray(colour, dtype=np.float32) + rng.normal(0, 18, size=3)
    pixels = np.clip(base + rng.normal(0, 25, size=(size[1], size[0], 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, fmt)
    return buffer.getvalue()


def image_folder(root, *, per_class=10, seed=0, flat_negatives=False):
    """root/<label>/<n>.png for each colour class; not_fish flat in root/../not_fish when asked.

    Answers the folders to pass as --images."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    roots = [root]
    for label, colour in COLOURS.items():
        folder = root / label
        if label == "not_fish" and flat_negatives:
            folder = root.parent / "not_fish"
            roots.append(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            (folder / f"{label}_{index:02d}.png").write_bytes(photo(colour, rng=rng))
    return roots
