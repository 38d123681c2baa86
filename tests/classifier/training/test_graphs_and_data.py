"""Graph surgery (cut, compose, float32) and image folders with group manifests."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from classifier.datasets import examples_count, groups_manifest_read, image_folder_examples
from classifier.onnx_compose import LinearHead, classifier_compose, embedding_model, model_to_float32

from . import tiny_backbone


def run(model_bytes, tensor, output):
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session.run([output], {"data_0": tensor})[0]


@pytest.fixture
def tensor():
    rng = np.random.default_rng(1)
    return rng.uniform(-120, 130, size=(1, 3, tiny_backbone.SIZE, tiny_backbone.SIZE)).astype(np.float16)


class TestGraphs:
    def test_embedding_is_the_signed_root_of_the_average_and_max_pooled_feature_node(self, tensor):
        backbone = onnx.load_model_from_string(tiny_backbone.backbone_bytes())
        backbone.graph.output.append(onnx.helper.make_tensor_value_info(tiny_backbone.FEATURE_NODE, 10, None))
        feature = run(backbone.SerializeToString(), tensor, tiny_backbone.FEATURE_NODE).astype(np.float32)
        pooled = np.concatenate([feature.mean(axis=(2, 3)), feature.max(axis=(2, 3))], axis=1)
        cut = embedding_model(
            backbone_bytes=tiny_backbone.backbone_bytes(), feature_node=tiny_backbone.FEATURE_NODE
        )
        embedding = run(cut, tensor, "embedding")
        assert embedding.shape == (1, 2 * tiny_backbone.CHANNELS) and embedding.dtype == np.float32
        np.testing.assert_allclose(embedding, np.sqrt(pooled), rtol=2e-3, atol=2e-3)
        # Only what feeds the feature node is kept: no classifier conv, no softmax.
        ops = [node.op_type for node in onnx.load_model_from_string(cut).graph.node]
        assert "Softmax" not in ops and "Dropout" not in ops

    def test_composed_classifier_is_softmax_of_the_standardized_linear_head(self, tensor):
        rng = np.random.default_rng(2)
        dims = 2 * tiny_backbone.CHANNELS  # average and max pooled
        head = LinearHead(
            classes=("a", "b", "not_fish"),
            mean=rng.normal(size=dims).astype(np.float32),
            std=rng.uniform(0.5, 2, size=dims).astype(np.float32),
            weights=rng.normal(size=(dims, 3)).astype(np.float32),
            bias=np.array([0.1, -0.2, 0.3], np.float32),
        )
        backbone = tiny_backbone.backbone_bytes()
        composed = classifier_compose(
            backbone_bytes=backbone, feature_node=tiny_backbone.FEATURE_NODE, head=head
        )
        embedding = run(
            embedding_model(backbone_bytes=backbone, feature_node=tiny_backbone.FEATURE_NODE),
            tensor,
            "embedding",
        )
        probabilities = run(composed, tensor, "probabilities")
        assert probabilities.shape == (1, 3)
        np.testing.assert_allclose(probabilities, head.probabilities(embedding), atol=1e-5)
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
        # The second output is the embedding itself: what individuals are matched on.
        outputs = [output.name for output in onnx.load_model_from_string(composed).graph.output]
        assert outputs == ["probabilities", "embedding"]
        np.testing.assert_allclose(run(composed, tensor, "embedding"), embedding, atol=1e-6)

    def test_float32_copy_computes_the_same_in_float32(self, tensor):
        cut = embedding_model(
            backbone_bytes=tiny_backbone.backbone_bytes(), feature_node=tiny_backbone.FEATURE_NODE
        )
        converted = model_to_float32(model_bytes=cut)
        graph = onnx.load_model_from_string(converted).graph
        assert all(t.data_type == onnx.TensorProto.FLOAT for t in graph.initializer)
        assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        np.testing.assert_allclose(
            run(converted, tensor.astype(np.float32), "embedding"),
            run(cut, tensor, "embedding"),
            rtol=1e-2,
            atol=1e-2,
        )

    def test_an_unknown_feature_node_is_named(self):
        with pytest.raises(ValueError, match="fire9/concat_1"):
            embedding_model(backbone_bytes=tiny_backbone.backbone_bytes(), feature_node="fire9/concat_1")


class TestImageFolders:
    def test_labels_come_from_folders_and_a_flat_not_fish_folder_is_negative(self, tmp_path):
        roots = tiny_backbone.image_folder(tmp_path / "fish", per_class=3, flat_negatives=True)
        (tmp_path / "fish" / "notes.txt").write_text("not a photo")
        examples = image_folder_examples(roots=roots)
        assert examples_count(examples=examples) == {
            "esox_lucius": 3,
            "micropterus_salmoides": 3,
            "not_fish": 3,
            "sander_vitreus": 3,
        }
        assert all(example.load()[:4] == b"\x89PNG" for example in examples)

    def test_groups_come_from_the_manifest_by_path(self, tmp_path):
        (root,) = tiny_backbone.image_folder(tmp_path / "data" / "fish", per_class=2)
        manifest = tmp_path / "data" / "MANIFEST.csv"
        manifest.write_text(
            "path,label,source_repo,source_path,group,bytes,sha256\n"
            "fish/esox_lucius/esox_lucius_00.png,esox_lucius,x,y,track_1,1,aa\n"
            "fish/esox_lucius/esox_lucius_01.png,esox_lucius,x,y,track_1,1,bb\n"
            "backbone/model.onnx,backbone,x,y,,1,cc\n"
        )
        examples = image_folder_examples(roots=[root], groups=groups_manifest_read(path=manifest))
        grouped = {example.name.rsplit("/", 1)[-1]: example.group for example in examples}
        assert grouped["esox_lucius_00.png"] == grouped["esox_lucius_01.png"] == "track_1"
        assert grouped["sander_vitreus_00.png"] is None

    def test_a_manifest_without_groups_and_an_empty_folder_are_refused(self, tmp_path):
        manifest = tmp_path / "MANIFEST.csv"
        manifest.write_text("path,label\nx.png,a\n")
        with pytest.raises(ValueError, match="group"):
            groups_manifest_read(path=manifest)
        (tmp_path / "empty").mkdir()
        with pytest.raises(ValueError, match="no photos"):
            image_folder_examples(roots=[tmp_path / "empty"])
