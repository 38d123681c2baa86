"""Reads for the moderation admin: the queue's annotations and one sighting's classifier answer."""

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import Classification, Prediction

# A correlated subquery evaluated for the displayed page only; the confidence the queue filters and
# sorts by is the indexed Sighting.top_score that the pipeline writes.
_TOP_PREDICTION = Prediction.objects.filter(classification__sighting=OuterRef("pk")).order_by(
    "-classification__created_at", "-classification_id", "rank"
)


def sightings_moderation_annotate(*, queryset):
    """The sightings with their newest classification's top name (species or label)."""
    top_name = _TOP_PREDICTION.annotate(name=Coalesce("species__scientific_name", "label")).values("name")[:1]
    return queryset.annotate(top_name=Subquery(top_name))


def sighting_latest_classification(*, sighting):
    """The newest classification with its predictions (species loaded), or None."""
    classification = (
        Classification.objects.filter(sighting=sighting)
        .select_related("model_version")
        .order_by("-created_at", "-pk")
        .first()
    )
    if classification is None:
        return None
    classification.ranked = list(classification.predictions.select_related("species").order_by("rank"))
    return classification
