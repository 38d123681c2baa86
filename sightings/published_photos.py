"""Photos published under an open licence, at permanent public addresses (for GBIF and anyone
who follows a Darwin Core Archive's links).

A photo is published when its sighting's licence allows reuse (CC0, CC BY, CC BY-NC), its
EXIF-free copy exists and its place is not private: the permanent address then redirects to a
short-lived signed address of that copy, never to the upload. A private sighting's photo is
withheld with its place (a photo's background can tell where it was taken).
"""

from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.core.checks import Warning, register
from django.urls import reverse

from .exports.licences import REUSABLE_LICENSES
from .models import Sighting


def photo_is_published(*, license: str, geoprivacy: str, public_photo: str | None) -> bool:
    return bool(public_photo) and license in REUSABLE_LICENSES and geoprivacy != Sighting.Geoprivacy.PRIVATE


def published_photo_url(*, sighting_id: UUID | str) -> str:
    """The permanent, absolute address of a sighting's published photo."""
    path = reverse("sightings-web:published-photo", kwargs={"pk": sighting_id})
    return settings.SITE_URL + path


def published_photo_name(*, sighting_id: UUID) -> str | None:
    """The stored name of the sighting's published copy, or None when it is not published."""
    found = (
        Sighting.objects.filter(pk=sighting_id).values_list("license", "geoprivacy", "public_photo").first()
    )
    if found is None:
        return None
    license, geoprivacy, public_photo = found
    published = photo_is_published(license=license, geoprivacy=geoprivacy, public_photo=public_photo)
    return public_photo if published else None


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


@register(deploy=True)
def site_url_check(app_configs=None, **kwargs):
    """`manage.py check --deploy`: permanent links made on a local address reach nobody."""
    host = urlsplit(settings.SITE_URL).hostname or ""
    if host in LOCAL_HOSTS or not settings.SITE_URL.startswith("https://"):
        return [
            Warning(
                f"SITE_URL is {settings.SITE_URL!r}: the Darwin Core Archive's permanent photo links start"
                " with it, so GBIF and other readers cannot follow them.",
                hint="Set SITE_URL to the platform's public https address.",
                id="sightings.W001",
            )
        ]
    return []
