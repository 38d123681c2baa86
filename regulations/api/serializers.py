import math

from rest_framework import serializers

from regulations.models import Species
from regulations.selectors import species_get_by_key


class RegulationsQuerySerializer(serializers.Serializer):
    latitude = serializers.FloatField(min_value=-90.0, max_value=90.0, help_text="WGS84 decimal degrees.")
    longitude = serializers.FloatField(min_value=-180.0, max_value=180.0, help_text="WGS84 decimal degrees.")
    species = serializers.CharField(
        required=False, help_text="Species id, scientific name or classifier label; omit when unknown."
    )
    date = serializers.DateField(help_text="The day of the catch, YYYY-MM-DD.")
    length_cm = serializers.FloatField(
        required=False, min_value=0, max_value=10_000, help_text="Total length in centimetres."
    )

    def validate_length_cm(self, value):
        if not math.isfinite(value):
            raise serializers.ValidationError("Must be a finite number.")
        return value

    def validate_species(self, value):
        species = species_get_by_key(key=value)
        if species is None:
            raise serializers.ValidationError(f'Unknown species "{value}".')
        return species


class SpeciesSerializer(serializers.ModelSerializer):
    class Meta:
        model = Species
        fields = [
            "id",
            "scientific_name",
            "common_name",
            "rank",
            "kingdom",
            "family",
            "gbif_taxon_key",
            "venomous",
            "danger_note",
            "merged_into",
            "label_key",
        ]
        read_only_fields = fields


class WarningSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            "invasive",
            "protected",
            "venomous",
            "closed_season",
            "catch_and_release",
            "undersize",
            "oversize",
            "slot",
        ]
    )
    message = serializers.CharField()


class RegulationsAnswerSerializer(serializers.Serializer):
    """The shape of RegulationsResult.as_dict(), for the schema."""

    known = serializers.BooleanField()
    message = serializers.CharField()
    on_date = serializers.DateField()
    longitude = serializers.FloatField()
    latitude = serializers.FloatField()
    species = serializers.DictField(allow_null=True)
    length_cm = serializers.FloatField(allow_null=True)
    regions = serializers.ListField(child=serializers.DictField())
    length_unit = serializers.ChoiceField(
        choices=["cm", "in"], help_text="The unit most of the place's regulations write lengths in."
    )
    rules = serializers.ListField(child=serializers.DictField())
    warnings = WarningSerializer(many=True)
    sensitive = serializers.BooleanField()
