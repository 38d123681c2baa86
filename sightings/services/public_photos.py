"""The EXIF-free, oriented copy of a photo: the only one that people other than its owner see."""

from uuid import UUID

from django.conf import settings

from classifier.imaging import PhotoError, public_jpeg

from ..models import Sighting, public_photo_key
from ..storage import storage_delete_quietly, storage_read, storage_save


def sighting_publish_photo(*, sighting_id: UUID | str) -> Sighting | None:
    """Write the EXIF-free, oriented copy of a sighting's photo that others may see."""
    sighting = Sighting.objects.filter(pk=sighting_id).first()
    if sighting is None or sighting.public_photo:
        return sighting
    try:
        data = storage_read(name=sighting.photo.name)
        jpeg = public_jpeg(data, max_pixels=settings.PHOTO_MAX_PIXELS)
    except (PhotoError, FileNotFoundError):
        return sighting
    name = storage_save(name=public_photo_key(sighting, "photo.jpg"), data=jpeg)
    updated = Sighting.objects.filter(pk=sighting.pk, public_photo="").update(public_photo=name)
    if not updated:
        storage_delete_quietly(name=name)
    return sighting
