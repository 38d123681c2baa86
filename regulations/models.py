from typing import Any

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator

from regulations.dayspecs import DaySpecError, day_spec_parse

# An optional length in centimetres (null and blank are spelled out at each field, for the type checker).
LENGTH: dict[str, Any] = {"max_digits": 6, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class Species(models.Model):
    """A taxon anglers may catch or meet: fish, whales and dolphins, snakes, ..."""

    class Rank(models.TextChoices):
        SPECIES = "species", "species"
        GENUS = "genus", "genus"
        FAMILY = "family", "family"
        ORDER = "order", "order"
        CLASS = "class", "class"

    scientific_name = models.CharField(max_length=200, unique=True)
    common_name = models.CharField(max_length=200, blank=True)
    rank = models.CharField(max_length=20, choices=Rank.choices, default=Rank.SPECIES)
    kingdom = models.CharField(max_length=100, blank=True, default="Animalia")
    family = models.CharField(max_length=100, blank=True)
    gbif_taxon_key = models.PositiveIntegerField(null=True, blank=True, unique=True)
    venomous = models.BooleanField(default=False, help_text="Venomous or dangerous to handle.")
    danger_note = models.CharField(max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="synonyms",
        help_text="Set when this taxon was renamed or merged into another.",
    )
    # Moved on every change (the bulk updates set it too): workers key their label map on it.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["scientific_name"]
        verbose_name_plural = "species"

    def __str__(self):
        if self.common_name:
            return f"{self.common_name} ({self.scientific_name})"
        return self.scientific_name

    @property
    def label_key(self) -> str:
        """The classifier label for this species: its scientific name in snake_case."""
        return self.scientific_name.lower().replace(" ", "_")


class Authority(models.Model):
    """Who publishes the rules of a region (a state wildlife agency, a fisheries board)."""

    name = models.CharField(max_length=200, unique=True)
    url = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "authorities"

    def __str__(self):
        return self.name


class Region(models.Model):
    class Kind(models.TextChoices):
        COUNTRY = "country", "country"
        STATE_WATERS = "state_waters", "state/province waters"
        LAKE = "lake", "lake"
        ZONE = "zone", "zone"

    code = models.SlugField(max_length=100, unique=True, help_text="Stable key used by imports.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    authority = models.ForeignKey(
        Authority, null=True, blank=True, on_delete=models.SET_NULL, related_name="regions"
    )
    country_code = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2.")
    geometry = models.MultiPolygonField(srid=4326, spatial_index=True)
    area = models.FloatField(
        default=0, editable=False, help_text="Planar area in square degrees, to rank by specificity."
    )
    source = models.CharField(max_length=300, blank=True, help_text="Where the boundary comes from.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.area = self.geometry.area if self.geometry else 0
        super().save(*args, **kwargs)


class Regulation(models.Model):
    """What one authority says about some species (or a group of them) in one region.

    A regulation of a region supersedes the regulations for the same species in the region's
    ancestors (Lake Erie rules replace Ohio's statewide rules on the lake).
    """

    class Status(models.TextChoices):
        REGULATED = "regulated", "regulated"
        PROTECTED = "protected", "protected (harvest prohibited)"
        INVASIVE = "invasive", "invasive"

    class LengthUnit(models.TextChoices):
        CM = "cm", "centimetres"
        IN = "in", "inches"

    code = models.SlugField(max_length=150, help_text="Stable key within the region, used by imports.")
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="regulations")
    species = models.ManyToManyField(Species, related_name="regulations")
    group_name = models.CharField(max_length=200, blank=True, help_text='e.g. "black bass"')
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REGULATED)
    daily_bag_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    possession_limit = models.PositiveSmallIntegerField(null=True, blank=True)
    min_length_cm = models.DecimalField(null=True, blank=True, **LENGTH)
    max_length_cm = models.DecimalField(null=True, blank=True, **LENGTH)
    slot_min_cm = models.DecimalField(
        null=True, blank=True, **LENGTH, help_text="Protected slot: fish from this length ..."
    )
    slot_max_cm = models.DecimalField(
        null=True, blank=True, **LENGTH, help_text="... up to this length must be released."
    )
    length_unit = models.CharField(
        max_length=2, choices=LengthUnit.choices, default=LengthUnit.CM, help_text="The unit the source uses."
    )
    catch_and_release_only = models.BooleanField(default=False)
    invasive_action = models.CharField(
        max_length=300, blank=True, help_text='e.g. "do not release it alive; report it"'
    )
    sensitive = models.BooleanField(default=False, help_text="Locations of this species are always obscured.")
    notes = models.TextField(blank=True)
    source_url = models.URLField(max_length=500)
    last_checked = models.DateField()

    class Meta:
        ordering = ["region__name", "code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="unique_regulation_code_per_region")
        ]

    def __str__(self):
        return f"{self.region}: {self.code}"

    def clean(self):
        for low, high in (("min_length_cm", "max_length_cm"), ("slot_min_cm", "slot_max_cm")):
            if (
                getattr(self, low) is not None
                and getattr(self, high) is not None
                and getattr(self, low) > getattr(self, high)
            ):
                raise ValidationError({high: f"Must not be smaller than {low}."})
        if (self.slot_min_cm is None) != (self.slot_max_cm is None):
            raise ValidationError({"slot_max_cm": "A slot needs both ends."})


class Season(models.Model):
    """A yearly recurring period of a regulation.

    `start` and `end` are day specs: "MM-DD" for a fixed day, or "last-sat-06" style for a
    moving one (first|second|third|fourth|last, mon..sun, month). A period whose end comes
    before its start wraps the year end.
    """

    class Kind(models.TextChoices):
        OPEN = "open", "open season (harvest allowed)"
        CATCH_AND_RELEASE = "catch_and_release", "catch and release only"
        CLOSED = "closed", "closed"

    regulation = models.ForeignKey(Regulation, on_delete=models.CASCADE, related_name="seasons")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    start = models.CharField(max_length=20)
    end = models.CharField(max_length=20)
    daily_bag_limit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Overrides the regulation's bag limit during this period."
    )
    min_length_cm = models.DecimalField(
        null=True, blank=True, **LENGTH, help_text="Overrides the regulation's minimum during this period."
    )

    class Meta:
        ordering = ["regulation", "start"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.start} to {self.end}"

    def clean(self):
        for field in ("start", "end"):
            try:
                day_spec_parse(getattr(self, field))
            except DaySpecError as error:
                raise ValidationError({field: str(error)}) from error
