import uuid

from django.conf import settings
from django.db import models

from projects.models import Project


def model_file_key(instance: "ModelVersion", filename: str) -> str:
    return f"models/{uuid.uuid4().hex}.onnx"


def report_image_key(instance: "ModelVersion", filename: str) -> str:
    return f"models/reports/{uuid.uuid4().hex}.png"


class ModelVersion(models.Model):
    """One ONNX classifier: its file, what its outputs mean and how its input is prepared.

    `labels[i]` names output i. Labels are plain strings (a species' scientific name, or
    `negative_label` for "none of the known classes"); the classifier app knows nothing of the
    species table, the sightings app maps labels to species. A version belongs to one project, and
    at most one version of a project is active: the one that classifies its new photos.
    """

    class Source(models.TextChoices):
        DEMO = "demo", "demo (pretrained ImageNet)"
        IMPORTED = "imported", "imported"
        TRAINED = "trained", "trained on the platform"
        OPTIMIZED = "optimized", "optimized copy"

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="model_versions")
    name = models.CharField(max_length=200)
    onnx_file = models.FileField(upload_to=model_file_key, max_length=300)
    sha256 = models.CharField(max_length=64, db_index=True)
    labels = models.JSONField(help_text="Output index to label: a list of strings.")
    negative_label = models.CharField(
        max_length=100, default="not_fish", help_text="The label that means 'none of the known classes'."
    )
    preprocessing = models.JSONField(
        help_text="Input size, channel order, scale, mean/std, layout, dtype and resize mode."
    )
    rejection_threshold = models.FloatField(
        default=0.0, help_text="A top score below this counts as 'none of the known classes'."
    )
    metrics = models.JSONField(default=dict, blank=True)
    report_image = models.FileField(
        upload_to=report_image_key,
        max_length=300,
        blank=True,
        help_text="The confusion matrix of the latest evaluation, as a PNG.",
    )
    training_data = models.JSONField(default=dict, blank=True, help_text="What the version was made from.")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.IMPORTED)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived"
    )
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(is_active=True),
                name="one_active_model_version_per_project",
            ),
        ]

    def __str__(self):
        return f"{self.name} (#{self.pk})"

    @property
    def embedding_extractor(self) -> str:
        """What makes this version's embeddings: versions with the same backbone, feature node and
        pooling give comparable vectors (classifier.embeddings.Backbone.extractor)."""
        data = self.training_data if isinstance(self.training_data, dict) else {}
        return str(data.get("embedding_extractor") or self.sha256)


class EmbeddingCache(models.Model):
    """A photo's embedding by one backbone, so that retraining a head never decodes it again.

    `extractor` is the SHA-256 of what makes the vector: the backbone file's SHA-256, the feature
    node and the preprocessing spec. `vector` holds little-endian float32 values.
    """

    extractor = models.CharField(max_length=64)
    backbone_sha256 = models.CharField(max_length=64)
    photo_sha256 = models.CharField(max_length=64)
    dimensions = models.PositiveIntegerField()
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["extractor", "photo_sha256"], name="one_embedding_per_photo"),
        ]

    def __str__(self):
        return f"embedding of {self.photo_sha256[:12]} by {self.backbone_sha256[:12]}"
