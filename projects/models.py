import uuid

from django.conf import settings
from django.db import models

from regulations.models import Region, Species


class Project(models.Model):
    """A community that records one group of taxa: its species, places, model and people.

    Every sighting and model version belongs to one project; what a project's moderators and
    researchers may do, they may do in that project only.
    """

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(
        max_length=100, unique=True, help_text="The project's key in the API and addresses."
    )
    description = models.TextField(blank=True, max_length=5000)
    negative_name = models.CharField(
        max_length=100,
        default="not a fish",
        help_text='What a photo of none of the known classes is called ("not a fish", "not a cetacean").',
    )
    taxa = models.ManyToManyField(
        Species,
        blank=True,
        related_name="projects",
        help_text="The taxa this project records; none listed means any.",
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="projects",
        help_text="Where this project records; none listed means anywhere.",
    )
    open_to_all = models.BooleanField(
        default=True, help_text="Anyone signed in may submit; otherwise members only."
    )
    accepts_submissions = models.BooleanField(default=True, help_text="Off for an archived project.")
    dataset_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="The Darwin Core datasetID of its exports."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A person's role in one project. Each role includes the ones before it."""

    class Role(models.TextChoices):
        MEMBER = "member", "member (may submit to a members-only project)"
        RESEARCHER = "researcher", "researcher (exports the project's data)"
        TRUSTED_RESEARCHER = "trusted_researcher", "trusted researcher (also sees exact places)"
        MODERATOR = "moderator", "moderator (identifies, sees exact places, exports)"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "user"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="one_membership_per_project")]

    def __str__(self):
        return f"{self.user} in {self.project}: {self.get_role_display()}"
