"""Reading and writing photo bytes, with storage outages turned into one exception type."""

import contextlib
import logging

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from .errors import StorageUnavailable

logger = logging.getLogger(__name__)

MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


@contextlib.contextmanager
def storage_errors():
    try:
        yield
    except FileNotFoundError:
        raise
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in MISSING_CODES:
            raise FileNotFoundError(str(error)) from error
        raise StorageUnavailable(str(error)) from error
    except (BotoCoreError, OSError) as error:
        raise StorageUnavailable(str(error)) from error


def storage_save(*, name, data):
    """Store bytes under `name` (never overwriting) and answer the name actually used."""
    with storage_errors():
        return default_storage.save(name, ContentFile(data))


def storage_read(*, name):
    with storage_errors():
        if hasattr(default_storage, "read_bytes"):  # sightings.s3_storage.S3Storage: one GetObject
            return default_storage.read_bytes(name)
        with default_storage.open(name, "rb") as handle:
            return handle.read()


def storage_delete_quietly(*, name):
    """Best-effort removal of an object whose row could not be written."""
    try:
        with storage_errors():
            default_storage.delete(name)
    except (StorageUnavailable, FileNotFoundError):
        logger.warning("could not delete orphan photo %s", name, exc_info=True)
