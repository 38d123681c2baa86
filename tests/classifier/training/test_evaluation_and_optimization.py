"""Evaluation reports, the int8 and graph-optimized copies, the commands and the admin views."""

from io import StringIO

import numpy as np
import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command

from classifier.admin import ModelVersionAdmin
from classifier.datasets import image_folder_examples
from classifier.evaluation import evaluation_report, model_version_evaluate, model_version_report_save
from classifier.models import ModelVersion
from classifier.optimization import model_version_optimize
from classifier.training import classifier_train

from . import tiny_backbone

pytestmark = pytest.mark.django_db
MAX_PIXELS = 10_000_000


@pytest.fixture
def trained(tiny_backbone_spec, photo_folder):
    return classifier_train(
        examples=image_folder_examples(roots=[photo_folder]),
        backbone=tiny_backbone_spec,
        name="tiny head",
        data_source="test photos",
        max_pixels=MAX_PIXELS,
    ).model_version


class TestEvaluationReport:
    names = ["a", "b", "c", "not_fish"]

    def report(self, threshold=0.0):
        scores = np.array(
            [
                [0.7, 0.1, 0.1, 0.1],  # a -> a
                [0.1, 0.6, 0.2, 0.1],  # a -> b, a third
                [0.2, 0.5, 0.2, 0.1],  # b -> b
                [0.4, 0.3, 0.2, 0.1],  # c -> a, c third
                [0.1, 0.1, 0.1, 0.7],  # not_fish -> not_fish
                [0.45, 0.3, 0.2, 0.05],  # not_fish -> a, not_fish fourth (rejected at threshold 0.5)
            ]
        )
        truths = ["a", "a", "b", "c", "not_fish", "not_fish"]
        return evaluation_report(
            scores=scores,
            names=self.names,
            true_labels=truths,
            negative_label="not_fish",
            rejection_threshold=threshold,
        )

    def test_accuracy_top3_and_per_class(self):
        report = self.report()
        assert report["top1_accuracy"] == pytest.approx(3 / 6, abs=1e-4)
        assert report["top3_accuracy"] == pytest.approx(5 / 6, abs=1e-4)  # the last not_fish is 4th
        assert report["per_class"]["a"] == {
            "precision": pytest.approx(1 / 3, abs=1e-4),
            "recall": 0.5,
            "support": 2,
        }
        assert report["per_class"]["c"]["recall"] == 0.0
        matrix = dict(
            zip(report["confusion_matrix"]["labels"], report["confusion_matrix"]["matrix"], strict=True)
        )
        assert report["confusion_matrix"]["labels"][-1] == "not_fish"
        assert matrix["a"] == [1, 1, 0, 0] and matrix["not_fish"] == [1, 0, 0, 1]
        assert report["negative_rejection_rate"] == 0.5

    def test_the_threshold_turns_low_scores_into_rejections(self):
        report = self.report(threshold=0.5)
        assert report["negative_rejection_rate"] == 1.0
        assert report["false_rejection_rate"] == 0.25  # only c's photo (top score 0.4) of the four fish
        assert report["decision_accuracy"] == pytest.approx(4 / 6, abs=1e-4)
        assert report["top1_accuracy"] == self.report()["top1_accuracy"]  # scores alone


class TestEvaluateAndOptimize:
    def test_evaluation_through_the_platform_path_and_saved_report(self, trained, tmp_path):
        (root,) = tiny_backbone.image_folder(tmp_path / "fresh", per_class=5, seed=11)
        report = model_version_evaluate(
            model_version=trained, examples=image_folder_examples(roots=[root]), max_pixels=MAX_PIXELS
        )
        assert report["examples"] == 20 and report["top1_accuracy"] >= 0.9
        assert report["negative_rejection_rate"] == 1.0
        report["evaluated_on"]["note"] = "fresh photos"
        model_version_report_save(model_version=trained, report=report)
        trained.refresh_from_db()
        assert trained.metrics["evaluated_on"]["note"] == "fresh photos"
        assert "rejection" in trained.metrics  # training facts survive a new report

    def test_int8_copy_is_smaller_and_as_accurate(self, trained, photo_folder, tmp_path):
        (fresh,) = tiny_backbone.image_folder(tmp_path / "fresh", per_class=5, seed=12)
        result = model_version_optimize(
            model_version=trained,
            calibration_examples=image_folder_examples(roots=[photo_folder]),
            evaluation_examples=image_folder_examples(roots=[fresh]),
            calibration_count=20,
            max_pixels=MAX_PIXELS,
        )
        for version in (result.optimized, result.quantized):
            assert version.source == ModelVersion.Source.OPTIMIZED and version.parent == trained
            assert version.preprocessing["dtype"] == "float32" and not version.is_active
            assert version.labels == trained.labels
            assert version.rejection_threshold == trained.rejection_threshold
        comparison = result.comparison
        # The tiny model is mostly graph and head; on SqueezeNet the int8 copy is under a third.
        assert comparison["int8"]["size_bytes"] < 0.6 * comparison["fp32"]["size_bytes"]
        assert comparison["int8"]["top1_delta_vs_original"] >= -0.05
        assert comparison["fp32_optimized"]["top1_accuracy"] == comparison["original"]["top1_accuracy"]
        assert result.quantized.training_data["calibration_photos"] == 20
        assert result.quantized.metrics["optimization"] == comparison
        assert result.quantized.report_image


class TestCommands:
    def call(self, *args):
        out = StringIO()
        call_command(*args, "--no-progress", stdout=out)
        return out.getvalue()

    def test_train_evaluate_optimize_as_a_moderator_would(self, tiny_backbone_version, tmp_path, settings):
        roots = tiny_backbone.image_folder(tmp_path / "fish", per_class=8, flat_negatives=True)
        images = [arg for root in roots for arg in ("--images", str(root))]
        output = self.call(
            "train_classifier",
            *images,
            "--backbone-version",
            str(tiny_backbone_version.pk),
            "--feature-node",
            tiny_backbone.FEATURE_NODE,
            "--name",
            "colour head",
        )
        trained = ModelVersion.objects.get(name="colour head")
        assert "not active" in output and "top-1" in output
        assert trained.training_data["counts"]["not_fish"] == 8

        output = self.call("evaluate_model", *images, "--version", str(trained.pk), "--held-out", "--save")
        assert f"#{trained.pk}" in output and "top-1 accuracy" in output and "not_fish" in output
        trained.refresh_from_db()
        assert trained.metrics["evaluated_on"]["split"] == "held-out"

        output = self.call("optimize_model", "--calibration", str(roots[0]), "--calibration-count", "10")
        assert "int8" in output
        assert ModelVersion.objects.filter(parent=trained, source=ModelVersion.Source.OPTIMIZED).count() == 2

    def test_verified_photos_come_from_the_configured_source(self, tiny_backbone_version, tmp_path, settings):
        settings.CLASSIFIER_VERIFIED_SOURCE = (
            "tests.classifier.training.test_evaluation_and_optimization.verified"
        )
        verified.root = tmp_path
        self.call(
            "train_classifier",
            "--verified",
            "--backbone-version",
            str(tiny_backbone_version.pk),
            "--feature-node",
            tiny_backbone.FEATURE_NODE,
            "--name",
            "verified head",
        )
        trained = ModelVersion.objects.get(name="verified head")
        assert trained.training_data["source"] == "verified sightings"
        assert sum(trained.training_data["counts"].values()) == 32

    def test_train_without_photos_is_an_error(self):
        with pytest.raises(CommandError, match="--images"):
            self.call("train_classifier")


def verified(*, project):
    (root,) = tiny_backbone.image_folder(verified.root / "verified", per_class=8, seed=5)
    return image_folder_examples(roots=[root])


class TestAdmin:
    def test_change_page_shows_the_report_and_the_confusion_matrix(self, trained):
        model_admin = ModelVersionAdmin(ModelVersion, admin.site)
        report = str(model_admin.evaluation_report(trained))
        assert "top-1 accuracy" in report and "esox_lucius" in report and "precision" in report
        image = str(model_admin.confusion_matrix(trained))
        assert image.startswith('<img src="data:image/png;base64,iVBORw0KGgo')
        summary = str(model_admin.training_summary(trained))
        assert "validation_photos" in summary and "validation_sha256" not in summary
        assert model_admin.confusion_matrix(ModelVersion(name="none")) == "–"
