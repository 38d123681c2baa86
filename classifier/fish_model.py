"""The platform's default classifier: a fish model trained once from the team data (../shared/data).

`fish_model_install` registers the SqueezeNet backbone of the team data, trains a head on its fish
and not_fish photos (training.classifier_train: grouped split, calibrated, rejection threshold),
and activates it. The model is recorded with a fingerprint of what made it (the MANIFEST.csv and
backbone digests, the embedding recipe, the training defaults), so a second install finds it and
trains nothing. The team data's `bass` folder holds black bass (Micropterus) photos: its label is
the genus, which the regulations know.
"""

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from projects.selectors import project_default

from .datasets import Example, groups_manifest_read, image_folder_examples
from .demo_model import DEMO_FILE_NAME, DEMO_SHA256
from .embeddings import backbone_from_version
from .models import ModelVersion
from .onnx_compose import EMBEDDING_RECIPE
from .services import demo_model_install, model_version_activate
from .training import (
    DEFAULT_C,
    DEFAULT_FALSE_REJECTION_RATE,
    DEFAULT_NEGATIVE_WEIGHT,
    DEFAULT_SEED,
    classifier_train,
)

FISH_MODEL_NAME = "Fish (team data: 15 reef species, black bass, not a fish)"
FOLDER_LABELS = {"bass": "micropterus"}
NEGATIVE_LABEL = "not_fish"
RECIPE_VERSION = 2  # raise when the training code changes what the same data would give (2: embedding output)


@dataclass(frozen=True)
class FishModelInstall:
    model_version: ModelVersion
    trained_now: bool
    activated_now: bool


def team_data_dir() -> Path:
    """$CATCHLOG_SHARED_DIR/data, else ../shared/data beside the project."""
    shared = os.environ.get("CATCHLOG_SHARED_DIR")
    return (Path(shared) if shared else Path(settings.BASE_DIR).parent / "shared") / "data"


def team_data_missing(*, data_dir: Path) -> list[str]:
    """What the fish model needs that `data_dir` lacks (empty when it has everything)."""
    wanted = [
        data_dir / "MANIFEST.csv",
        data_dir / "backbone" / DEMO_FILE_NAME,
        data_dir / "fish",
        data_dir / NEGATIVE_LABEL,
    ]
    return [str(path) for path in wanted if not path.exists()]


def fish_model_fingerprint(*, data_dir: Path) -> str:
    """What the model is made of: the data's manifest, the backbone, and the training recipe."""
    recipe = {
        "manifest_sha256": hashlib.sha256((data_dir / "MANIFEST.csv").read_bytes()).hexdigest(),
        "backbone_sha256": DEMO_SHA256,
        "embedding": EMBEDDING_RECIPE,
        "folder_labels": FOLDER_LABELS,
        "seed": DEFAULT_SEED,
        "c": DEFAULT_C,
        "negative_weight": DEFAULT_NEGATIVE_WEIGHT,
        "false_rejection_rate": DEFAULT_FALSE_REJECTION_RATE,
        "recipe": RECIPE_VERSION,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()


def team_data_examples(*, data_dir: Path) -> list[Example]:
    """The fish and not_fish photos of the team data, labelled for the platform's species."""
    examples = image_folder_examples(
        roots=[data_dir / "fish", data_dir / NEGATIVE_LABEL],
        negative_label=NEGATIVE_LABEL,
        groups=groups_manifest_read(path=data_dir / "MANIFEST.csv"),
    )
    return [
        Example(
            label=FOLDER_LABELS.get(example.label, example.label),
            name=example.name,
            load=example.load,
            group=example.group,
            sha256=example.sha256,
        )
        for example in examples
    ]


def fish_model_install(*, data_dir: Path, activate: bool = True, progress: bool = False) -> FishModelInstall:
    """The fish model trained from `data_dir` (trained now unless a version with the same
    fingerprint exists), made active when `activate` and no other trained model is.

    Raises ValueError when the data is incomplete."""
    missing = team_data_missing(data_dir=data_dir)
    if missing:
        raise ValueError(f"the team data lacks {', '.join(missing)}")
    fingerprint = fish_model_fingerprint(data_dir=data_dir)
    project = project_default()
    version = (
        ModelVersion.objects.filter(project=project, training_data__fingerprint=fingerprint)
        .order_by("-created_at")
        .first()
    )
    trained_now = version is None
    if version is None:
        backbone_path = data_dir / "backbone" / DEMO_FILE_NAME
        backbone_version = demo_model_install(data=backbone_path.read_bytes(), origin=str(backbone_path))
        result = classifier_train(
            examples=team_data_examples(data_dir=data_dir),
            backbone=backbone_from_version(model_version=backbone_version),
            name=FISH_MODEL_NAME,
            max_pixels=settings.PHOTO_MAX_PIXELS,
            data_source=f"team data: {data_dir}",
            negative_label=NEGATIVE_LABEL,
            progress=progress,
        )
        version = result.model_version
        version.training_data = {**version.training_data, "fingerprint": fingerprint}
        version.save(update_fields=["training_data"])
    activated_now = False
    if activate and not version.is_active and not _another_trained_model_active(version=version):
        model_version_activate(model_version=version)
        activated_now = True
    return FishModelInstall(model_version=version, trained_now=trained_now, activated_now=activated_now)


def _another_trained_model_active(*, version: ModelVersion) -> bool:
    """An operator's own choice (any active version but the ImageNet demo or an earlier fish model)
    is left alone."""
    return (
        ModelVersion.objects.filter(project_id=version.project_id, is_active=True)
        .exclude(
            Q(pk=version.pk) | Q(source=ModelVersion.Source.DEMO) | Q(training_data__has_key="fingerprint")
        )
        .exists()
    )
