"""The stamp that keys a cached label-to-species map: read alone, it equals the annotations."""

import pytest
from django.contrib.auth.models import User

from regulations.models import Species
from regulations.selectors import species_changes, species_stamp

pytestmark = pytest.mark.django_db


def annotated():
    # Any one-row query can carry the annotations; the stamp needs no such row.
    row = User.objects.annotate(**species_changes()).values("species_count", "species_changed_at")
    return row[0]["species_count"], row[0]["species_changed_at"]


def test_the_stamp_read_alone_equals_the_annotations_and_moves_with_every_change():
    User.objects.create_user("someone")
    Species.objects.all().delete()
    assert species_stamp() == (0, None) == annotated()
    bass = Species.objects.create(scientific_name="Micropterus salmoides")
    first = species_stamp()
    assert first == annotated() and first[0] == 1
    bass.common_name = "Largemouth bass"
    bass.save()
    assert species_stamp() != first and species_stamp() == annotated()
    Species.objects.create(scientific_name="Sander vitreus")
    assert species_stamp()[0] == 2 and species_stamp() == annotated()
