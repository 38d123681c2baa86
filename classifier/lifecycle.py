"""Reads for the model lifecycle commands: which backbone to train on, which version to evaluate."""

from collections.abc import Sequence

from .datasets import Example
from .demo_model import DEMO_PREPROCESSING, DEMO_SHA256, demo_backbone_candidates
from .embeddings import DEFAULT_FEATURE_NODE, Backbone, backbone_from_file, backbone_from_version
from .models import ModelVersion


def backbone_resolve(
    *, version_id: int | None = None, path: str | None = None, feature_node: str = DEFAULT_FEATURE_NODE
) -> Backbone:
    """The backbone named by a version id or a file, else the installed demo model, else the demo
    file on disk. Raises ValueError when there is none."""
    if version_id is not None:
        version = ModelVersion.objects.filter(pk=version_id).first()
        if version is None:
            raise ValueError(f"no model version {version_id}")
        return backbone_from_version(model_version=version, feature_node=feature_node)
    if path is not None:
        return backbone_from_file(path=path, preprocessing=DEMO_PREPROCESSING, feature_node=feature_node)
    demo = ModelVersion.objects.filter(sha256=DEMO_SHA256).order_by("-created_at").first()
    if demo is not None:
        return backbone_from_version(model_version=demo, feature_node=feature_node)
    for candidate in demo_backbone_candidates():
        if candidate.is_file():
            return backbone_from_file(
                path=candidate, preprocessing=DEMO_PREPROCESSING, feature_node=feature_node
            )
    raise ValueError(
        "no backbone: install the demo model (manage.py install_demo_model)"
        " or give --backbone-version / --backbone"
    )


def model_version_pick(*, version_id: int | None = None, exclude_sources: Sequence[str] = ()) -> ModelVersion:
    """The version with this id, else the newest one (of the sources not excluded). Raises ValueError."""
    if version_id is not None:
        version = ModelVersion.objects.filter(pk=version_id).first()
        if version is None:
            raise ValueError(f"no model version {version_id}")
        return version
    version = ModelVersion.objects.exclude(source__in=exclude_sources).order_by("-created_at", "-pk").first()
    if version is None:
        raise ValueError("no model version is registered")
    return version


def examples_held_out(*, model_version: ModelVersion, examples: Sequence[Example]) -> list[Example]:
    """The examples that were in the version's validation split (by photo SHA-256)."""
    digests = set((model_version.training_data or {}).get("validation_sha256") or ())
    if not digests:
        raise ValueError(f"{model_version} records no validation split")
    return [example for example in examples if example.digest() in digests]
