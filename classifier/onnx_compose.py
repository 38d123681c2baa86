"""ONNX graph surgery for transfer learning: a backbone cut at a feature node, a linear head on it.

The backbone (e.g. SqueezeNet 1.1, fp16, fixed batch 1) is cut at its feature node (e.g.
`fire9/concat_1`, [1, 512, 13, 13]): only the nodes that feed it are kept. On top of it:

    [GlobalAveragePool, GlobalMaxPool] -> Concat -> Cast(float32) -> signed sqrt -> Flatten
                                                   = the embedding, [1, 2 x 512]
    (x - mean) / std -> MatMul W -> Add b -> Softmax = the head, output "probabilities"

The composed classifier gives the embedding as its second output, "embedding".

The average says how much of a pattern the photo holds, the maximum whether it appears anywhere:
together they raised the 5-fold grouped top-1 of the linear head on the team data from 0.927 to
0.933 at no extra inference cost (bench/RESULTS.md). The signed square root (sign(x) * sqrt(|x|),
"power normalisation") evens out a few very large pooled activations (0.921 -> 0.926 before).
SqueezeNet's features follow a ReLU, so it is a plain sqrt there.

The embedding model (the first part alone) and the composed classifier share the same nodes, so
the vectors a head is trained on are exactly what the served model computes.
"""

from dataclasses import dataclass, replace

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EMBEDDING_OUTPUT = "embedding"
EMBEDDING_RECIPE = "gap-gmp-float32-signed-sqrt-v2"  # part of the embedding cache key
PROBABILITIES_OUTPUT = "probabilities"
HEAD_PREFIX = "head/"  # every node and weight of the head: optimization keeps them float32
EMBEDDING_PREFIX = "embedding/"  # every node pooling the feature map: kept float32 too
MIN_OPSET = 13
MIN_IR_VERSION = 7


@dataclass(frozen=True)
class LinearHead:
    """Multinomial logistic regression on standardized embeddings: softmax(((x - mean) / std) W + b)."""

    classes: tuple[str, ...]
    mean: np.ndarray  # (D,)
    std: np.ndarray  # (D,)
    weights: np.ndarray  # (D, K)
    bias: np.ndarray  # (K,)

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        return ((vectors - self.mean) / self.std) @ self.weights + self.bias

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = self.logits(vectors)
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def tempered(self, temperature: float) -> "LinearHead":
        """The same head with its logits divided by `temperature` (same ranking, other confidence)."""
        if not temperature > 0:
            raise ValueError("temperature: expected a positive number")
        return replace(
            self,
            weights=(self.weights / temperature).astype(np.float32),
            bias=(self.bias / temperature).astype(np.float32),
        )


def _trunk(model: onnx.ModelProto, feature_node: str) -> tuple[onnx.ModelProto, str]:
    """The backbone reduced to the nodes computing `feature_node`, with its embedding nodes added.

    Answers the model (output: the embedding, float32 [batch, D]) and the name of the embedding."""
    graph = model.graph
    producers = {output: node for node in graph.node for output in node.output}
    if feature_node not in producers:
        raise ValueError(f"the backbone has no node output named {feature_node!r}")
    keep, stack = set(), [feature_node]
    while stack:
        node = producers.get(stack.pop())
        if node is not None and id(node) not in keep:
            keep.add(id(node))
            stack.extend(node.input)
    nodes = [node for node in graph.node if id(node) in keep]
    used = {name for node in nodes for name in node.input}
    initializer_names = {tensor.name for tensor in graph.initializer}
    initializers = [tensor for tensor in graph.initializer if tensor.name in used]
    inputs = [value for value in graph.input if value.name not in initializer_names and value.name in used]
    if len(inputs) != 1:
        raise ValueError(
            f"the backbone's feature node depends on {len(inputs)} inputs; expected 1 image input"
        )
    batch = inputs[0].type.tensor_type.shape.dim[0]
    batch_dim = batch.dim_value if batch.HasField("dim_value") else (batch.dim_param or "N")

    nodes = [*nodes]
    nodes += [
        helper.make_node("GlobalAveragePool", [feature_node], ["embedding/average"], name="embedding/gap"),
        helper.make_node("GlobalMaxPool", [feature_node], ["embedding/maximum"], name="embedding/gmp"),
        helper.make_node(
            "Concat",
            ["embedding/average", "embedding/maximum"],
            ["embedding/pooled"],
            name="embedding/concat",
            axis=1,
        ),
        helper.make_node(
            "Cast", ["embedding/pooled"], ["embedding/float"], name="embedding/cast", to=TensorProto.FLOAT
        ),
        helper.make_node("Abs", ["embedding/float"], ["embedding/abs"], name="embedding/abs"),
        helper.make_node("Sqrt", ["embedding/abs"], ["embedding/root"], name="embedding/sqrt"),
        helper.make_node("Sign", ["embedding/float"], ["embedding/sign"], name="embedding/sign"),
        helper.make_node(
            "Mul", ["embedding/sign", "embedding/root"], ["embedding/signed_root"], name="embedding/mul"
        ),
        helper.make_node(
            "Flatten", ["embedding/signed_root"], [EMBEDDING_OUTPUT], name="embedding/flatten", axis=1
        ),
    ]
    trunk_graph = helper.make_graph(
        nodes,
        f"{graph.name or 'backbone'}-embedding",
        inputs,
        [helper.make_tensor_value_info(EMBEDDING_OUTPUT, TensorProto.FLOAT, [batch_dim, None])],
        initializer=initializers,
    )
    opset = max(
        [entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")] or [MIN_OPSET]
    )
    trunk = helper.make_model(
        trunk_graph,
        opset_imports=[helper.make_opsetid("", max(opset, MIN_OPSET))],
        producer_name="catchlog",
    )
    trunk.ir_version = max(model.ir_version, MIN_IR_VERSION)
    # The kept backbone ops (Conv, Relu, MaxPool, Concat, pooling) mean the same from opset 7 to 13.
    onnx.checker.check_model(trunk)
    return trunk, batch_dim


def embedding_model(*, backbone_bytes: bytes, feature_node: str) -> bytes:
    """The backbone cut at `feature_node` and pooled: output "embedding", float32 [batch, D]."""
    trunk, _ = _trunk(onnx.load_model_from_string(backbone_bytes), feature_node)
    return trunk.SerializeToString()


def classifier_compose(*, backbone_bytes: bytes, feature_node: str, head: LinearHead) -> bytes:
    """One ONNX classifier: the backbone's embedding and the head, output "probabilities" [batch, K]."""
    model, batch_dim = _trunk(onnx.load_model_from_string(backbone_bytes), feature_node)
    graph = model.graph
    dimensions, classes = head.weights.shape
    if head.mean.shape != (dimensions,) or head.std.shape != (dimensions,) or head.bias.shape != (classes,):
        raise ValueError("head: mean, std, weights and bias shapes do not agree")
    if len(head.classes) != classes:
        raise ValueError(f"head: {len(head.classes)} classes but {classes} weight columns")
    del graph.output[:]
    tensors = {
        "mean": head.mean.reshape(1, dimensions),
        "std": head.std.reshape(1, dimensions),
        "weights": head.weights,
        "bias": head.bias.reshape(1, classes),
    }
    for key, value in tensors.items():
        graph.initializer.append(
            numpy_helper.from_array(np.asarray(value, dtype=np.float32), f"{HEAD_PREFIX}{key}")
        )
    p = HEAD_PREFIX
    graph.node.extend(
        [
            helper.make_node("Sub", [EMBEDDING_OUTPUT, f"{p}mean"], [f"{p}centered"], name=f"{p}sub"),
            helper.make_node("Div", [f"{p}centered", f"{p}std"], [f"{p}standardized"], name=f"{p}div"),
            helper.make_node(
                "MatMul", [f"{p}standardized", f"{p}weights"], [f"{p}scores"], name=f"{p}matmul"
            ),
            helper.make_node("Add", [f"{p}scores", f"{p}bias"], [f"{p}logits"], name=f"{p}add"),
            helper.make_node("Softmax", [f"{p}logits"], [PROBABILITIES_OUTPUT], name=f"{p}softmax", axis=1),
        ]
    )
    graph.output.append(
        helper.make_tensor_value_info(PROBABILITIES_OUTPUT, TensorProto.FLOAT, [batch_dim, classes])
    )
    # The embedding too, as a second output: the platform compares photos by it (individuals).
    graph.output.append(helper.make_tensor_value_info(EMBEDDING_OUTPUT, TensorProto.FLOAT, [batch_dim, None]))
    graph.name = graph.name.replace("-embedding", "-classifier")
    onnx.checker.check_model(model)
    return model.SerializeToString()


def classifier_head_read(*, model_bytes: bytes, classes: list[str]) -> LinearHead:
    """The head of a composed classifier (for inspection and tests)."""
    model = onnx.load_model_from_string(model_bytes)
    arrays = {
        tensor.name[len(HEAD_PREFIX) :]: numpy_helper.to_array(tensor)
        for tensor in model.graph.initializer
        if tensor.name.startswith(HEAD_PREFIX)
    }
    return LinearHead(
        classes=tuple(classes),
        mean=arrays["mean"].reshape(-1),
        std=arrays["std"].reshape(-1),
        weights=arrays["weights"],
        bias=arrays["bias"].reshape(-1),
    )


def model_to_float32(*, model_bytes: bytes) -> bytes:
    """The same model computing in float32: float16 weights, inputs, outputs and casts become float32.

    Graph optimizers and the int8 quantizer want a float32 model."""
    model = onnx.load_model_from_string(model_bytes)
    graph = model.graph
    for index, tensor in enumerate(graph.initializer):
        if tensor.data_type == TensorProto.FLOAT16:
            converted = numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float32), tensor.name)
            graph.initializer[index].CopyFrom(converted)
    for value in [*graph.input, *graph.output, *graph.value_info]:
        if value.type.tensor_type.elem_type == TensorProto.FLOAT16:
            value.type.tensor_type.elem_type = TensorProto.FLOAT
    for node in graph.node:
        for attribute in node.attribute:
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT16:
                attribute.i = TensorProto.FLOAT
            if attribute.type == onnx.AttributeProto.TENSOR and attribute.t.data_type == TensorProto.FLOAT16:
                attribute.t.CopyFrom(
                    numpy_helper.from_array(
                        numpy_helper.to_array(attribute.t).astype(np.float32), attribute.t.name
                    )
                )
    onnx.checker.check_model(model)
    return model.SerializeToString()
