"""Test data for the moderation tests: users by role, species, sightings, classifications."""

import io
import itertools
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from classifier.models import ModelVersion
from projects.selectors import project_default
from regulations.models import Species
from sightings import roles
from sightings.models import Classification, Identification, Prediction, Sighting
from sightings.services.identifications import identification_create, sighting_derive_identity

PASSWORD = "x-test-password-1"
OBSERVED_AT = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
_numbers = itertools.count(1)


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    """Photos go to a temporary folder, never into the repository; static files need no manifest."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": "/media/"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return tmp_path


def user_make(username, *groups, is_staff=False):
    user = User.objects.create_user(username=username, password=PASSWORD, is_staff=is_staff)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def moderator_make(username="mod"):
    return user_make(username, roles.MODERATORS, is_staff=True)


def researcher_make(username="researcher", *, is_staff=False):
    return user_make(username, roles.RESEARCHERS, is_staff=is_staff)


def species_make(scientific_name, common_name="", rank=Species.Rank.SPECIES):
    return Species.objects.create(scientific_name=scientific_name, common_name=common_name, rank=rank)


def model_version_make(name="test model", project=None):
    return ModelVersion.objects.create(
        project=project or project_default(),
        name=name,
        onnx_file=f"models/{next(_numbers)}.onnx",
        sha256="0" * 64,
        labels=[],
        preprocessing={},
    )


def jpeg_upload(color=(200, 40, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), color).save(buffer, "JPEG")
    return SimpleUploadedFile("catch.jpg", buffer.getvalue(), content_type="image/jpeg")


def sighting_make(
    owner,
    *,
    photo=True,
    location=(-81.5, 41.6),
    observed_at=OBSERVED_AT,
    notes="",
    public_photo=True,
    **fields,
):
    """A sighting; `photo=False` leaves it without photo, `location=None` without a place."""
    fields.setdefault("project", project_default())
    sighting = Sighting(
        owner=owner,
        photo_sha256=f"{next(_numbers):064x}",
        location=Point(x=location[0], y=location[1], srid=4326) if location else None,
        observed_at=observed_at,
        notes=notes,
        status=Sighting.Status.CLASSIFIED,
        **fields,
    )
    if photo:
        sighting.photo = jpeg_upload()
        if public_photo:
            sighting.public_photo = jpeg_upload()
    sighting.save()
    sighting_derive_identity(sighting=sighting)
    return sighting


def classification_make(sighting, model_version, scores, *, suggest=True):
    """A classification with predictions [(species or label, score), ...], best first.

    With `suggest`, the machine identification the pipeline writes for a top species, too.
    """
    top_score = scores[0][1] if scores else 0.0
    classification = Classification.objects.create(
        sighting=sighting, model_version=model_version, top_score=top_score
    )
    Sighting.objects.filter(pk=sighting.pk).update(top_score=top_score)
    sighting.top_score = top_score
    Prediction.objects.bulk_create(
        Prediction(
            classification=classification,
            rank=rank,
            label=what.label_key if isinstance(what, Species) else what,
            species=what if isinstance(what, Species) else None,
            score=score,
        )
        for rank, (what, score) in enumerate(scores, start=1)
    )
    if suggest and scores and isinstance(scores[0][0], Species):
        identification_create(
            sighting=sighting,
            species=scores[0][0],
            source=Identification.Source.MACHINE,
            model_version=model_version,
        )
    return classification
