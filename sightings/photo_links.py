"""Photos are private objects: this module alone hands out short-lived signed addresses to them.

On S3 the address is a presigned URL from django-storages; on the filesystem (the embedded
default) it is the `photo` view with a signed, expiring token.
"""

import functools

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import get_urlconf, reverse

from .roles import user_moderates

SALT = "sightings.photo"


def photo_url(*, sighting, user, public=True):
    """A signed URL to the photo the user may see, or "" when there is none.

    `public=True` asks for the EXIF-free copy everyone may see; the upload itself (with its
    camera metadata) is only for its owner and moderators.
    """
    if public:
        name = sighting.public_photo.name
    elif user.is_authenticated and (
        user.pk == sighting.owner_id or user_moderates(user, project_id=sighting.project_id)
    ):
        name = sighting.photo.name
    else:
        name = ""
    if not name:
        return ""
    return storage_signed_url(name=name)


def storage_signed_url(*, name):
    if isinstance(default_storage, FileSystemStorage):
        return _photo_view_prefix(get_urlconf()) + signing.dumps({"name": name}, salt=SALT)
    return default_storage.url(name)


@functools.cache
def _photo_view_prefix(urlconf):
    # Exports sign one address per row: resolve the route once, not per photo.
    return reverse("sightings-web:photo", kwargs={"token": "-"}, urlconf=urlconf)[:-1]


def photo_name_from_token(token):
    """The storage name inside a token, or None when it is forged or expired."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=settings.SIGNED_URL_MAX_AGE)
    except signing.BadSignature:
        return None
    return payload.get("name")
