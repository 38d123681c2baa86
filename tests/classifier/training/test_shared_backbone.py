"""Transfer learning with the real SqueezeNet backbone on a small subset of the team data."""

import pytest
from django.conf import settings

from classifier.datasets import Example
from classifier.demo_model import DEMO_PREPROCESSING
from classifier.embeddings import backbone_from_file
from classifier.evaluation import model_version_evaluate
from classifier.training import classifier_train

pytestmark = [pytest.mark.shared, pytest.mark.django_db]

# Species whose every photo comes from a different Fish4Knowledge trajectory, so that taking
# different files keeps training and test photos apart.
CLASSES = ("amphiprion_clarkii", "chaetodon_lunulatus", "dascyllus_reticulatus")


def examples(shared_data, start, stop):
    picked = []
    for label in CLASSES:
        files = sorted((shared_data / "fish" / label).iterdir())[start:stop]
        picked += [Example(label=label, name=str(path), load=path.read_bytes) for path in files]
    negatives = sorted((shared_data / "not_fish").iterdir())[start:stop]
    picked += [Example(label="not_fish", name=str(path), load=path.read_bytes) for path in negatives]
    return picked


def test_a_head_on_squeezenet_recognises_held_out_photos(shared_data):
    backbone = backbone_from_file(
        path=shared_data / "backbone" / "SqueezeNet_fp16.onnx", preprocessing=DEMO_PREPROCESSING
    )
    result = classifier_train(
        examples=examples(shared_data, 0, 20),
        backbone=backbone,
        name="squeezenet head (test)",
        data_source="shared subset",
        max_pixels=settings.PHOTO_MAX_PIXELS,
    )
    version = result.model_version
    assert version.labels == [*CLASSES, "not_fish"]
    assert (
        version.preprocessing["dtype"] == "float16" and version.training_data["embedding_dimensions"] == 1024
    )

    report = model_version_evaluate(
        model_version=version, examples=examples(shared_data, 20, 30), max_pixels=settings.PHOTO_MAX_PIXELS
    )
    assert report["examples"] == 40
    assert report["top1_accuracy"] >= 0.6  # chance is 0.25
    assert report["top3_accuracy"] >= report["top1_accuracy"]
