"""Reads for the moderation admin: the queue's annotations and one sighting's classifier answer."""

from django.db.models import OuterRef, Subquery

from .models import Classification, Prediction

# The top prediction of the newest classification: one correlated subquery per column, evaluated
# for the displayed page only (PostgreSQL postpones them past ORDER BY ... LIMIT) except the
# score when the queue is filtered or sorted by confidence.
_TOP_PREDICTION = Prediction.objects.filter(classification__sighting=OuterRef("pk")).order_by(
    "-classification__created_at", "-classification_id", "rank"
)


def sightings_moderation_annotate(*, queryset):
    """The sightings with their top prediction: top_score, top_label and top species' names."""
    return queryset.annotate(
        top_score=Subquery(_TOP_PREDICTION.values("score")[:1]),
        top_label=Subquery(_TOP_PREDICTION.values("label")[:1]),
        top_species_scientific=Subquery(_TOP_PREDICTION.values("species__scientific_name")[:1]),
        top_species_common=Subquery(_TOP_PREDICTION.values("species__common_name")[:1]),
    )


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
