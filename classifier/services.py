import hashlib
import math
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction

from projects.models import Project
from projects.selectors import project_default

from .demo_model import (
    DEMO_NAME,
    DEMO_NEGATIVE_LABEL,
    DEMO_PREPROCESSING,
    DEMO_SHA256,
    DEMO_URL,
    demo_labels,
)
from .model_files import model_file_validate
from .models import ModelVersion
from .preprocessing import Preprocessing
from .selectors import model_version_find
from .signals import model_version_activated

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def model_version_register(
    *,
    name: str,
    labels: list[str],
    preprocessing: dict,
    source: str,
    onnx_bytes: bytes | None = None,
    path: str | Path | None = None,
    negative_label: str = "not_fish",
    rejection_threshold: float = 0.0,
    created_by: "User | None" = None,
    training_data: dict | None = None,
    metrics: dict | None = None,
    parent: ModelVersion | None = None,
    project: Project | None = None,
    activate: bool = False,
) -> ModelVersion:
    """Validate an ONNX classifier against its preprocessing and labels, store it and record it as a
    version of `project` (the parent's project, or the default one).

    Raises ValueError (model_files.ModelFileError for the file itself) naming what does not fit.
    """
    if onnx_bytes is not None and path is None:
        data = bytes(onnx_bytes)
    elif path is not None and onnx_bytes is None:
        data = Path(path).read_bytes()
    else:
        raise ValueError("give exactly one of onnx_bytes and path")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("name: required")
    if source not in ModelVersion.Source.values:
        raise ValueError(f"source: expected one of {', '.join(ModelVersion.Source.values)}")
    _check_labels(labels)
    if not isinstance(negative_label, str) or not negative_label:
        raise ValueError("negative_label: expected a non-empty string")
    if not _finite(rejection_threshold) or not 0 <= rejection_threshold <= 1:
        raise ValueError("rejection_threshold: expected a number from 0 to 1")
    parsed = Preprocessing.from_spec(preprocessing)
    model_file_validate(data=data, preprocessing=parsed, label_count=len(labels))

    if project is None:
        project = parent.project if parent is not None else project_default()
    model_version = ModelVersion(
        project=project,
        name=name.strip()[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        labels=list(labels),
        negative_label=negative_label,
        preprocessing=parsed.to_spec(),
        rejection_threshold=float(rejection_threshold),
        metrics=metrics or {},
        training_data=training_data or {},
        source=source,
        parent=parent,
        created_by=created_by,
    )
    model_version.onnx_file.save("model.onnx", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            model_version.save()
            if activate:
                model_version_activate(model_version=model_version)
    except BaseException:
        model_version.onnx_file.delete(save=False)
        raise
    return model_version


@transaction.atomic
def demo_model_install(*, data: bytes, origin: str, project: Project | None = None) -> ModelVersion:
    """The ImageNet SqueezeNet demo model (inactive) of `project` (default: the default project),
    registered from its file's bytes unless it is already. Raises ValueError when the bytes are not
    that file."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != DEMO_SHA256:
        raise ValueError(f"{origin} has SHA-256 {digest}, expected {DEMO_SHA256}: not the demo backbone")
    labels = demo_labels()
    project = project or project_default()
    existing = model_version_find(sha256=DEMO_SHA256, labels=labels, project=project)
    if existing is not None:
        return existing
    return model_version_register(
        project=project,
        onnx_bytes=data,
        name=DEMO_NAME,
        labels=labels,
        preprocessing=DEMO_PREPROCESSING,
        negative_label=DEMO_NEGATIVE_LABEL,
        source=ModelVersion.Source.DEMO,
        training_data={"pretrained": "ImageNet-1k", "file": origin, "upstream": DEMO_URL},
    )


@transaction.atomic
def model_version_activate(*, model_version: ModelVersion) -> ModelVersion:
    """Make this the only active version of its project; model_version_activated is sent once the
    change commits."""
    # Locking the project's current active row serialises concurrent activations.
    project_versions = ModelVersion.objects.filter(project_id=model_version.project_id)
    current = list(project_versions.select_for_update().filter(is_active=True).values_list("pk", flat=True))
    if current == [model_version.pk]:
        model_version.is_active = True
        return model_version
    project_versions.filter(is_active=True).exclude(pk=model_version.pk).update(is_active=False)
    ModelVersion.objects.filter(pk=model_version.pk).update(is_active=True)
    model_version.is_active = True
    transaction.on_commit(
        lambda: model_version_activated.send(sender=ModelVersion, model_version=model_version)
    )
    return model_version


def _check_labels(labels: object) -> None:
    if not isinstance(labels, (list, tuple)) or not labels:
        raise ValueError("labels: expected a non-empty list of strings")
    for index, label in enumerate(labels):
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            raise ValueError(f"labels[{index}]: expected a non-empty string of at most 200 characters")
        if label != label.strip():
            raise ValueError(f"labels[{index}]: {label!r} has surrounding spaces")


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
