import functools
import math

from django.utils import timezone
from rest_framework import serializers

from regulations.api.serializers import RegulationsAnswerSerializer, WarningSerializer

from ..models import Sighting
from ..services.submission import LENGTH_CM_MAX, LENGTH_CM_MIN
from .fields import TextField, TextSlugField


def length_cm_field(**options) -> serializers.DecimalField:
    """A catch's length as submission and editing accept it (the service's bounds, to the millimetre)."""
    return serializers.DecimalField(
        required=False,
        max_digits=6,
        decimal_places=1,
        min_value=LENGTH_CM_MIN,
        max_value=LENGTH_CM_MAX,
        coerce_to_string=False,
        help_text=f"Between {LENGTH_CM_MIN} and {LENGTH_CM_MAX} cm.",
        **options,
    )


class ObserverDateTimeField(serializers.DateTimeField):
    """A date-time that keeps the offset the client wrote (the observer's) instead of converting it
    to the server's time zone; the moment is the same."""

    def enforce_timezone(self, value):
        if timezone.is_aware(value):
            return value
        return super().enforce_timezone(value)


class SubmitSightingSerializer(serializers.Serializer):
    photo = serializers.FileField(required=False, help_text="The photo (JPEG, PNG, WebP or GIF).")
    photo_url = serializers.URLField(
        required=False, max_length=2000, help_text="Alternatively, a public http(s) address of the photo."
    )
    latitude = serializers.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        help_text="WGS84 decimal degrees; from EXIF GPS when absent.",
    )
    longitude = serializers.FloatField(required=False, min_value=-180, max_value=180)
    location_accuracy_m = serializers.FloatField(required=False, min_value=0, max_value=1_000_000)
    observed_at = ObserverDateTimeField(
        required=False,
        help_text="ISO 8601 with the observer's UTC offset (kept, for local times in exports); without"
        " an offset it is UTC. From the photo's EXIF when absent.",
    )
    length_cm = length_cm_field()
    notes = TextField(required=False, allow_blank=True, max_length=5000, default="")
    geoprivacy = serializers.ChoiceField(
        choices=Sighting.Geoprivacy.choices, default=Sighting.Geoprivacy.OBSCURED
    )
    license = serializers.ChoiceField(choices=Sighting.License.choices, default=Sighting.License.CC_BY_NC)
    project = TextSlugField(
        required=False,
        max_length=100,
        help_text="The project's slug (GET /api/v1/projects/ lists those you may submit to); default: the"
        " default project.",
    )

    def validate(self, attrs):
        if bool(attrs.get("photo")) == bool(attrs.get("photo_url")):
            raise serializers.ValidationError(
                {"photo": "Send either a photo file or a photo_url, not both or neither."}
            )
        for field in ("latitude", "longitude", "location_accuracy_m"):
            value = attrs.get(field)
            if value is not None and not math.isfinite(value):
                raise serializers.ValidationError({field: "Must be a finite number."})
        return attrs


class SightingUpdateSerializer(serializers.ModelSerializer):
    length_cm = length_cm_field(allow_null=True)

    class Meta:
        model = Sighting
        fields = ["notes", "geoprivacy", "license", "length_cm"]


class SpeciesBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scientific_name = serializers.CharField()
    common_name = serializers.CharField()


class PredictionSerializer(serializers.Serializer):
    species = SpeciesBriefSerializer(allow_null=True)
    # The API's field names `label` and `source` are also attributes of DRF's Field (typed as text).
    label = serializers.CharField()  # type: ignore[assignment]
    score = serializers.FloatField()


class UncertainSerializer(serializers.Serializer):
    candidates = PredictionSerializer(many=True, help_text="The two answers the classifier cannot tell.")


class SightingSerializer(serializers.Serializer):
    """The read shape of a sighting, built by sightings.api.presenters from selectors' data."""

    id = serializers.UUIDField()
    project = serializers.SlugField(help_text="The slug of the sighting's project.")
    individual = serializers.DictField(
        allow_null=True, help_text="The individual a moderator linked it to: id and name, or null."
    )
    status = serializers.ChoiceField(choices=Sighting.Status.choices)
    failure_reason = serializers.CharField()
    quality_grade = serializers.ChoiceField(choices=Sighting.QualityGrade.choices)
    observed_at = serializers.DateTimeField(allow_null=True)
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    location_accuracy_m = serializers.FloatField(allow_null=True)
    location_obscured = serializers.BooleanField()
    length_cm = serializers.FloatField(allow_null=True)
    notes = serializers.CharField()
    geoprivacy = serializers.ChoiceField(choices=Sighting.Geoprivacy.choices)
    license = serializers.ChoiceField(choices=Sighting.License.choices)
    photo_url = serializers.CharField(help_text="Short-lived signed address of the photo.")
    species = SpeciesBriefSerializer(allow_null=True)
    model_version = serializers.DictField(allow_null=True)
    predictions = PredictionSerializer(many=True)
    uncertain = UncertainSerializer(
        allow_null=True,
        help_text="Set while the classifier says 'uncertain: A or B' and no one has named the species.",
    )
    regulations = RegulationsAnswerSerializer(
        allow_null=True, help_text="The rules for this species, place and date."
    )
    warnings = WarningSerializer(many=True)
    created_at = serializers.DateTimeField()
    classified_at = serializers.DateTimeField(allow_null=True)


@functools.cache
def _sighting_writer() -> SightingSerializer:
    writer = SightingSerializer()
    writer.fields  # noqa: B018  (built once, before any thread shares it)
    return writer


def sighting_representation(detail: dict) -> dict:
    """`SightingSerializer(detail).data` without building the serializer again: DRF deep-copies
    every declared field for each instance, and writing leaves no state on the fields."""
    return _sighting_writer().to_representation(detail)


class IdentifySerializer(serializers.Serializer):
    species = serializers.IntegerField(required=False, help_text="The species you name (its id).")
    confirm_suggestion = serializers.BooleanField(
        required=False, default=False, help_text="Accept the classifier's suggestion instead of naming one."
    )
    comment = TextField(required=False, allow_blank=True, max_length=500, default="")

    def validate(self, attrs):
        if bool(attrs.get("species")) == bool(attrs.get("confirm_suggestion")):
            raise serializers.ValidationError(
                {"species": "Name a species or confirm the suggestion, not both."}
            )
        return attrs


class IdentificationSerializer(serializers.Serializer):
    species = SpeciesBriefSerializer()
    previous_species = SpeciesBriefSerializer(allow_null=True)
    source = serializers.CharField()  # type: ignore[assignment]
    from_suggestion = serializers.BooleanField()
    created_at = serializers.DateTimeField()
