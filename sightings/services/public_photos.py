"""The EXIF-free, oriented copy of a photo: the only one that people other than its owner see."""

from uuid import UUID

from django.conf import settings

from classifier.imaging import PhotoError, public_jpeg

from ..models import Sighting, public_photo_key
from ..storage import storage_delete_quietly, storage_read, storage_save


def sighting_publish_photo(*, sighting_id: UUID | str) -> None:
    """Write the EXIF-free, oriented copy of a sighting's photo that others may see."""
    row = Sighting.objects.filter(pk=sighting_id).values("photo", "public_photo").first()
    if row is None or row["public_photo"]:
        return
    try:
        data = storage_read(name=row["photo"])
    except FileNotFoundError:
        return
    public_photo_store(sighting_id=sighting_id, data=data)


def public_photo_store(*, sighting_id: UUID | str, data: bytes) -> None:
    """Store the public copy made from the original's bytes, unless the sighting has one already."""
    name = public_photo_save(data=data)
    if name is not None:
        public_photo_attach(sighting_id=sighting_id, name=name)


def public_photo_save(*, data: bytes) -> str | None:
    """Store the public copy of a photo and answer its name (None: the photo cannot be read). The
    caller attaches it to its row, or removes it when the row has one already."""
    try:
        jpeg = public_jpeg(data, max_pixels=settings.PHOTO_MAX_PIXELS)
    except PhotoError:
        return None
    return storage_save(name=public_photo_key(None, "photo.jpg"), data=jpeg)


def public_photo_attach(*, sighting_id: UUID | str, name: str) -> None:
    """Give the sighting this stored public copy, unless it has one already (then it is removed)."""
    updated = Sighting.objects.filter(pk=sighting_id, public_photo="").update(public_photo=name)
    if not updated:
        storage_delete_quietly(name=name)
