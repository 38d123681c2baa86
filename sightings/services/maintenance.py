"""Housekeeping of the photo store: objects that no row refers to."""

import logging
from collections.abc import Iterator
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from ..models import Sighting
from ..storage import storage_errors

logger = logging.getLogger(__name__)

PHOTO_FOLDERS = ("originals", "photos")


def photos_orphaned(*, older_than: timedelta = timedelta(hours=6)) -> Iterator[str]:
    """Stored photos that no sighting refers to, written more than `older_than` ago.

    The age guard keeps uploads whose row is still being written: a photo is stored just before
    its row is committed.
    """
    cutoff = timezone.now() - older_than
    with storage_errors():
        for folder in PHOTO_FOLDERS:
            try:
                _, files = default_storage.listdir(folder)
            except FileNotFoundError:
                continue
            names = [f"{folder}/{file}" for file in files]
            for start in range(0, len(names), 500):
                batch = names[start : start + 500]
                referenced = set(
                    Sighting.objects.filter(Q(photo__in=batch) | Q(public_photo__in=batch))
                    .values_list("photo", "public_photo")
                    .iterator()
                )
                known = {name for pair in referenced for name in pair}
                for name in batch:
                    if name not in known and default_storage.get_modified_time(name) < cutoff:
                        yield name


def photos_orphaned_delete(*, older_than: timedelta = timedelta(hours=6), dry_run: bool = False) -> list[str]:
    """Delete the orphaned photos; answer their names."""
    deleted = []
    for name in photos_orphaned(older_than=older_than):
        if not dry_run:
            with storage_errors():
                default_storage.delete(name)
        deleted.append(name)
    if deleted:
        logger.info("%s %d orphaned photos", "found" if dry_run else "deleted", len(deleted))
    return deleted
