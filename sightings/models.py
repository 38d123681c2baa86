import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from classifier.models import ModelVersion
from projects.models import Project
from regulations.models import Species
from regulations.time_zones import OFFSET_MINUTES_MAX, OFFSET_MINUTES_MIN

from .geoprivacy import cell_of


def original_photo_key(instance, filename):
    # The stored name never comes from the uploader: a UUID and the detected format only.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"originals/{uuid.uuid4().hex}.{extension}"


def public_photo_key(instance, filename):
    return f"photos/{uuid.uuid4().hex}.jpg"


# The order in which a worker's batch takes pending sightings (newest first, `.desc()`): created_at
# for a row never classified. An expression that only `sighting_pending_idx` gives, so that PostgreSQL
# walks the pending rows alone whatever its statistics say: ordered by created_at itself, it may take
# the created_at index and pass every row that earlier batches finished (bench/RESULTS.md, issue 15).
PENDING_ORDER = Coalesce("classified_at", "created_at")


class Sighting(models.Model):
    """One catch or sighting: a photo taken at a place and a time by one person."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        CLASSIFIED = "classified", "classified"
        REJECTED = "rejected", "rejected (none of the known classes)"
        FAILED = "failed", "failed"

    class Geoprivacy(models.TextChoices):
        OPEN = "open", "open: the exact place is public"
        OBSCURED = "obscured", "obscured: others see only an area of about 20 km"
        PRIVATE = "private", "private: others see no place at all"

    class License(models.TextChoices):
        CC0 = "cc0", "CC0 1.0"
        CC_BY = "cc-by", "CC BY 4.0"
        CC_BY_NC = "cc-by-nc", "CC BY-NC 4.0"
        ALL_RIGHTS_RESERVED = "all-rights-reserved", "all rights reserved"

    class QualityGrade(models.TextChoices):
        NEEDS_ID = "needs_id", "needs an identification"
        VERIFIED = "verified", "verified"
        CASUAL = "casual", "casual"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sightings")
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        related_name="sightings",
        help_text="Its model classifies the photo; its moderators identify it; its researchers export it.",
    )
    photo = models.FileField(
        upload_to=original_photo_key, max_length=300, help_text="The upload as sent: private."
    )
    photo_sha256 = models.CharField(max_length=64, db_index=True)
    public_photo = models.FileField(
        upload_to=public_photo_key,
        max_length=300,
        blank=True,
        help_text="Oriented copy without any EXIF: the only photo others see.",
    )
    exif = models.JSONField(
        default=dict, blank=True, help_text="Camera metadata of the upload: personal data."
    )
    location = models.PointField(
        srid=4326,
        null=True,
        blank=True,
        spatial_index=True,
        help_text="The true place: personal data. Read it through sightings.visibility only.",
    )
    cell = models.PolygonField(
        srid=4326,
        null=True,
        blank=True,
        spatial_index=False,
        editable=False,
        help_text="The 0.2-degree grid cell holding the location: all others may know of an obscured place.",
    )
    cell_point = models.PointField(
        srid=4326,
        null=True,
        blank=True,
        spatial_index=True,
        editable=False,
        help_text="The stable random point in the cell that is shown for an obscured place.",
    )
    location_accuracy_m = models.FloatField(null=True, blank=True)
    observed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    utc_offset_minutes = models.SmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(OFFSET_MINUTES_MIN), MaxValueValidator(OFFSET_MINUTES_MAX)],
        help_text="The observer's UTC offset at observed_at, in minutes east of UTC: from the time as"
        " given (browser or API), the photo's EXIF, or else the time zone of the place.",
    )
    length_cm = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    geoprivacy = models.CharField(max_length=10, choices=Geoprivacy.choices, default=Geoprivacy.OBSCURED)
    license = models.CharField(max_length=30, choices=License.choices, default=License.CC_BY_NC)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    species = models.ForeignKey(
        Species,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sightings",
        help_text="The current identification, derived from the identification history.",
    )
    quality_grade = models.CharField(
        max_length=10, choices=QualityGrade.choices, default=QualityGrade.NEEDS_ID, db_index=True
    )
    top_score = models.FloatField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Top score of the newest classification, kept here so the moderation queue sorts by it.",
    )
    uncertain = models.BooleanField(
        default=False,
        db_default=False,  # rows written by older code during a deploy, or by SQL, are not uncertain
        db_index=True,
        help_text="The classifier could not tell between its best answers: first in the moderation queue"
        " until a person identifies it.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    classified_at = models.DateTimeField(null=True, blank=True)
    individual = models.ForeignKey(
        "Individual",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sightings",
        help_text="The animal this sighting shows, as a moderator decided.",
    )
    individual_linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    individual_linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(F("uncertain").desc(), F("created_at").desc(), name="sighting_queue_idx"),
            # What changed in a project since a moment: the individuals' galleries follow it.
            models.Index(fields=["project", "updated_at"], name="sighting_project_changes_idx"),
            # The worker's batches take pending rows newest first in this order (PENDING_ORDER).
            models.Index(
                "project", PENDING_ORDER.desc(), condition=Q(status="pending"), name="sighting_pending_idx"
            ),
        ]
        permissions = [
            ("view_true_location", "Can see exact locations of every sighting (trusted researcher)"),
            ("export_sightings", "Can export sightings"),
            ("moderate_sighting", "Can confirm or correct identifications"),
        ]

    def __str__(self):
        return f"Sighting {self.id}"

    def save(self, *args, **kwargs):
        self.cell_derive()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "location" in update_fields:
            kwargs["update_fields"] = {*update_fields, "cell", "cell_point"}
        super().save(*args, **kwargs)

    def cell_derive(self):
        """Set the cell and its shown point from the location (call it before a bulk_create)."""
        if self.location is None:
            self.cell = self.cell_point = None
        else:
            self.cell, self.cell_point = cell_of(location=self.location, seed=str(self.pk))


class Classification(models.Model):
    """The answer of one model version for one sighting's photo: at most one per pair."""

    sighting = models.ForeignKey(Sighting, on_delete=models.CASCADE, related_name="classifications")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="classifications")
    rejected = models.BooleanField(default=False, help_text="The photo is none of the known classes.")
    uncertain = models.BooleanField(
        default=False,
        db_default=False,
        help_text="A known class, but the best answers were too close or too low to name one.",
    )
    top_score = models.FloatField()
    duration_ms = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["sighting", "model_version"], name="one_classification_per_model_version"
            )
        ]


class Prediction(models.Model):
    classification = models.ForeignKey(Classification, on_delete=models.CASCADE, related_name="predictions")
    rank = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=200)
    species = models.ForeignKey(Species, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()

    class Meta:
        ordering = ["classification", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["classification", "rank"], name="unique_prediction_rank")
        ]


class Identification(models.Model):
    """One opinion on what a sighting shows. Never edited or deleted: history is append-only."""

    class Source(models.TextChoices):
        MACHINE = "machine", "classifier"
        OWNER = "owner", "the angler"
        MODERATOR = "moderator", "moderator"
        COMMUNITY = "community", "another user"

    sighting = models.ForeignKey(Sighting, on_delete=models.CASCADE, related_name="identifications")
    species = models.ForeignKey(Species, on_delete=models.PROTECT, related_name="identifications")
    previous_species = models.ForeignKey(
        Species,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The sighting's species just before this identification.",
    )
    source = models.CharField(max_length=12, choices=Source.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="identifications",
    )
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="identifications"
    )
    from_suggestion = models.BooleanField(
        default=False, help_text="A human accepted the machine's suggestion rather than naming the species."
    )
    # Each author (the classifier, the angler, each moderator) has one latest identification; the
    # sighting's species follows all of them, so several rows are "latest" at once.
    is_current = models.BooleanField(
        "latest by its author",
        default=True,
        help_text="This author's latest identification of the sighting; False once the same author"
        " identified it again.",
    )
    comment = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["sighting", "is_current"])]

    def __str__(self):
        return f"{self.get_source_display()}: {self.species} on {self.sighting_id}"


class Individual(models.Model):
    """One animal known by its markings, followed across sightings: moderators link them to it."""

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, help_text="Its Darwin Core organismID."
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="individuals")
    species = models.ForeignKey(Species, on_delete=models.PROTECT, related_name="individuals")
    name = models.CharField(max_length=200, help_text='How the project knows it ("J35", "Old Notch").')
    notes = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="one_individual_name_per_project")
        ]

    def __str__(self):
        return self.name


class SightingEmbedding(models.Model):
    """What the photo looks like to the classifier's backbone: an L2-normalised float32 vector.

    `extractor` names what made it, so that only vectors of one extractor are ever compared."""

    sighting = models.OneToOneField(
        Sighting, on_delete=models.CASCADE, primary_key=True, related_name="embedding"
    )
    extractor = models.CharField(max_length=64, db_index=True)
    dimensions = models.PositiveIntegerField()
    vector = models.BinaryField(help_text="Little-endian float32 values.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"embedding of {self.sighting_id}"


def _export_formats():
    from .exports.registry import exporter_choices

    return exporter_choices()


def export_file_key(instance, filename):
    return f"exports/{instance.pk}/{uuid.uuid4().hex}-{filename}"


class ExportJob(models.Model):
    """An export too large for one request: built in the background into a stored snapshot."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs")
    format = models.CharField(max_length=10, choices=_export_formats)
    filters = models.JSONField(default=dict, blank=True, help_text="The export filters as given.")
    options = models.JSONField(default=dict, blank=True, help_text="Format options, e.g. split_seed.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    coordinates = models.CharField(max_length=12, blank=True, help_text="true or generalized.")
    rows_total = models.PositiveIntegerField(null=True, blank=True, help_text="Rows matching the filters.")
    rows_written = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_file_key, max_length=300, blank=True)
    error = models.TextField(blank=True, help_text="The traceback of the last failure.")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_format_display()} export {self.id} ({self.status})"


class Contributor(models.Model):
    """How a person wants to be credited in published data; without a row, they are not credited.

    An uncredited person's records carry no name and no pseudonym, so that nobody can link them
    to each other; a pseudonym links them without naming the person.
    """

    class Credit(models.TextChoices):
        NONE = "none", "not credited: my records cannot be linked to each other"
        PSEUDONYM = "pseudonym", "a stable pseudonym: my records can be linked, not to me"
        NAME = "name", "the name I give"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="contributor"
    )
    credit = models.CharField(max_length=10, choices=Credit.choices, default=Credit.NONE)
    credit_name = models.CharField(
        max_length=200, blank=True, help_text="The name to credit (credit = name)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user} ({self.get_credit_display()})"
