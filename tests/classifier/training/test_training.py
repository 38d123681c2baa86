"""Transfer learning on the tiny backbone: embeddings (cached), head, composition, registration."""

import numpy as np
import onnxruntime as ort
import pytest

from classifier.datasets import Example, image_folder_examples
from classifier.embeddings import embeddings_get
from classifier.imaging import load_rgb
from classifier.inference import classify_photo
from classifier.models import EmbeddingCache, ModelVersion
from classifier.onnx_compose import classifier_head_read
from classifier.preprocessing import Preprocessing
from classifier.runtime import model_bytes_read
from classifier.training import classifier_train, head_fit, rejection_threshold_choose, split_indices

from . import tiny_backbone

pytestmark = pytest.mark.django_db
MAX_PIXELS = 10_000_000


def train(examples, backbone, **options):
    options.setdefault("name", "tiny head")
    options.setdefault("data_source", "test photos")
    return classifier_train(examples=examples, backbone=backbone, max_pixels=MAX_PIXELS, **options)


class TestClassifierTrain:
    def test_registers_an_inactive_trained_version_with_report_and_provenance(
        self, tiny_backbone_spec, tiny_backbone_version, photo_folder
    ):
        examples = image_folder_examples(roots=[photo_folder])
        result = train(examples, tiny_backbone_spec, seed=7)
        version = result.model_version
        assert version.source == ModelVersion.Source.TRAINED
        assert not version.is_active
        assert version.parent == tiny_backbone_version
        assert version.labels == ["esox_lucius", "micropterus_salmoides", "sander_vitreus", "not_fish"]
        assert version.preprocessing["dtype"] == "float16" and version.preprocessing["input_name"] == "data_0"
        data = version.training_data
        assert data["counts"] == {label: 10 for label in tiny_backbone.COLOURS}
        assert data["seed"] == 7 and data["backbone_sha256"] == tiny_backbone_version.sha256
        assert data["feature_node"] == tiny_backbone.FEATURE_NODE
        assert sum(data["train_counts"].values()) + sum(data["validation_counts"].values()) == 40
        assert len(data["validation_sha256"]) == sum(data["validation_counts"].values())
        metrics = version.metrics
        assert metrics["top1_accuracy"] >= 0.9
        assert metrics["examples"] == sum(data["validation_counts"].values())
        assert set(metrics["per_class"]) == set(tiny_backbone.COLOURS)
        assert metrics["rejection"]["target_false_rejection_rate"] == 0.02
        assert 0 <= version.rejection_threshold <= 1
        assert version.report_image.name.endswith(".png")
        with version.report_image.open("rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"

    def test_scores_are_calibrated_by_a_temperature_folded_into_the_head(
        self, tiny_backbone_spec, photo_folder
    ):
        examples = image_folder_examples(roots=[photo_folder])
        version = train(examples, tiny_backbone_spec, seed=7).model_version
        calibration = version.metrics["calibration"]
        temperature = calibration["temperature"]
        assert temperature > 0 and calibration["fitted_on"] == "out-of-fold logits of the training split"
        assert (
            version.metrics["rejection"]["chosen_on"] == "calibrated out-of-fold scores of the training split"
        )
        assert 0 <= calibration["validation_ece"] <= 1 and 0 <= calibration["validation_ece_before"] <= 1
        bins = version.metrics["reliability"]["bins"]
        assert sum(row["count"] for row in bins) == version.metrics["examples"]
        assert version.training_data["head"]["temperature"] == calibration["temperature"]

        # The served head is the fitted head with its logits divided by the temperature.
        embeddings = embeddings_get(backbone=tiny_backbone_spec, examples=examples, max_pixels=MAX_PIXELS)
        validation = set(version.training_data["validation_sha256"])
        train_rows = [i for i, digest in enumerate(embeddings.digests) if digest not in validation]
        labels = [examples[embeddings.indices[i]].label for i in train_rows]
        fitted = head_fit(
            vectors=embeddings.vectors[train_rows],
            labels=labels,
            classes=version.labels,
            seed=7,
            negative_label="not_fish",
        )
        served = classifier_head_read(
            model_bytes=model_bytes_read(model_version=version), classes=version.labels
        )
        np.testing.assert_allclose(served.weights, fitted.weights / temperature, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(served.bias, fitted.bias / temperature, rtol=1e-3, atol=1e-5)

    def test_the_registered_model_classifies_photos_as_the_platform_does(
        self, tiny_backbone_spec, photo_folder
    ):
        version = train(image_folder_examples(roots=[photo_folder]), tiny_backbone_spec).model_version
        rng = np.random.default_rng(99)
        for label, colour in tiny_backbone.COLOURS.items():
            result = classify_photo(
                model_version=version,
                data=tiny_backbone.photo(colour, rng=rng, fmt="JPEG"),
                top_k=3,
                max_pixels=MAX_PIXELS,
            )
            assert result.top_label == label
            assert result.rejected == (label == "not_fish")

    def test_one_onnx_graph_gives_the_heads_probabilities_and_the_embedding(
        self, tiny_backbone_spec, photo_folder
    ):
        examples = image_folder_examples(roots=[photo_folder])
        version = train(examples, tiny_backbone_spec).model_version
        data = model_bytes_read(model_version=version)
        session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        assert [output.name for output in session.get_outputs()] == ["probabilities", "embedding"]
        assert version.embedding_extractor == tiny_backbone_spec.extractor
        head = classifier_head_read(model_bytes=data, classes=version.labels)
        embeddings = embeddings_get(backbone=tiny_backbone_spec, examples=examples[:5], max_pixels=MAX_PIXELS)
        preprocessing = Preprocessing.from_spec(version.preprocessing)
        for example, vector in zip(examples[:5], embeddings.vectors, strict=True):
            tensor = preprocessing.to_tensor([load_rgb(example.load(), max_pixels=MAX_PIXELS)])
            (served,) = session.run(["probabilities"], {"data_0": tensor})
            np.testing.assert_allclose(served[0], head.probabilities(vector[None])[0], atol=1e-4)

    def test_retraining_reads_the_embedding_cache(self, tiny_backbone_spec, photo_folder):
        examples = image_folder_examples(roots=[photo_folder])
        first = train(examples, tiny_backbone_spec)
        assert first.timings["embeddings_computed"] == 40
        assert EmbeddingCache.objects.filter(backbone_sha256=tiny_backbone_spec.sha256).count() == 40

        def never_loaded():
            raise AssertionError("a cached photo was decoded again")

        cached = [
            Example(label=e.label, name=e.name, load=never_loaded, group=e.group, sha256=e.digest())
            for e in examples
        ]
        second = train(cached, tiny_backbone_spec)
        assert second.timings == {**second.timings, "embeddings_computed": 0, "embeddings_cached": 40}
        assert second.model_version.labels == first.model_version.labels

    def test_unreadable_photos_are_skipped_and_reported(self, tiny_backbone_spec, photo_folder):
        (photo_folder / "sander_vitreus" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
        result = train(image_folder_examples(roots=[photo_folder]), tiny_backbone_spec)
        assert result.model_version.training_data["counts"]["sander_vitreus"] == 10
        assert any("broken.png" in line for line in result.model_version.training_data["skipped"])

    def test_one_class_is_refused(self, tiny_backbone_spec, photo_folder):
        examples = [e for e in image_folder_examples(roots=[photo_folder]) if e.label == "esox_lucius"]
        with pytest.raises(ValueError, match="two classes"):
            train(examples, tiny_backbone_spec)
        assert not ModelVersion.objects.filter(source=ModelVersion.Source.TRAINED).exists()


class TestSplit:
    def test_no_group_is_on_both_sides_and_the_seed_fixes_it(self):
        labels = [f"class_{i % 3}" for i in range(60)]
        groups = [f"track_{i // 4}" for i in range(60)]
        train, validation = split_indices(labels=labels, groups=groups, seed=1, validation_fraction=0.2)
        assert {groups[i] for i in train}.isdisjoint({groups[i] for i in validation})
        assert len(train) + len(validation) == 60 and 6 <= len(validation) <= 18
        again = split_indices(labels=labels, groups=groups, seed=1, validation_fraction=0.2)
        assert [list(part) for part in again] == [list(train), list(validation)]


class TestRejectionThreshold:
    classes = ["a", "b", "not_fish"]

    def test_rejects_at_most_the_stated_share_of_true_fish(self):
        # 100 true fish: one already given not_fish, the others top scores 0.405, 0.410, ...;
        # 10 negatives the head calls "a" with 0.34.
        probabilities, labels = [], []
        for index in range(100):
            score = 0.40 + index * 0.005
            row = [score, (1 - score) / 2, (1 - score) / 2] if index else [0.1, 0.1, 0.8]
            probabilities.append(row)
            labels.append("a")
        for _ in range(10):
            probabilities.append([0.34, 0.33, 0.33])
            labels.append("not_fish")
        chosen = rejection_threshold_choose(
            probabilities=np.array(probabilities),
            true_labels=labels,
            classes=self.classes,
            negative_label="not_fish",
            false_rejection_rate=0.05,
        )
        # 5 may be rejected: the one given not_fish and the four lowest scores (0.405 .. 0.420).
        assert chosen["threshold"] == pytest.approx(0.40 + 5 * 0.005)
        assert chosen["validation_false_rejection_rate"] == 0.05
        assert chosen["validation_negative_rejection_rate"] == 1.0
        assert chosen["validation_negative_rejection_rate_without_threshold"] == 0.0

    def test_zero_when_the_negative_class_already_rejects_enough(self):
        probabilities = np.array([[0.1, 0.1, 0.8], [0.9, 0.05, 0.05]])
        chosen = rejection_threshold_choose(
            probabilities=probabilities,
            true_labels=["a", "a"],
            classes=self.classes,
            negative_label="not_fish",
            false_rejection_rate=0.02,
        )
        assert chosen["threshold"] == 0.0
