import pytest

from classifier.models import ModelVersion
from classifier.services import model_version_register

from . import tiny_backbone


@pytest.fixture
def tiny_backbone_version(db):
    """The tiny backbone, registered as the demo model would be."""
    return model_version_register(
        onnx_bytes=tiny_backbone.backbone_bytes(),
        name="tiny backbone",
        labels=tiny_backbone.BACKBONE_LABELS,
        preprocessing=tiny_backbone.PREPROCESSING,
        source=ModelVersion.Source.DEMO,
    )


@pytest.fixture
def tiny_backbone_spec(tiny_backbone_version):
    from classifier.embeddings import backbone_from_version

    return backbone_from_version(model_version=tiny_backbone_version, feature_node=tiny_backbone.FEATURE_NODE)


@pytest.fixture
def photo_folder(tmp_path):
    """Four colour classes (three fish + not_fish), ten photos each."""
    (root,) = tiny_backbone.image_folder(tmp_path / "photos", per_class=10)
    return root
