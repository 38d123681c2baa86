"""Exporters register themselves here by identifier; views and tasks look them up."""

from io import StringIO

from ..photo_links import storage_signed_url

EXPORTERS = {}


def exporter_register(cls):
    EXPORTERS[cls.identifier] = cls
    return cls


def exporter_get(identifier):
    return EXPORTERS.get(identifier)


class Exporter:
    """One export format: turns an ExportSelection into a stream of bytes.

    `progress(written=, skipped=)` is called every `PROGRESS_EVERY` rows and at the end.
    """

    identifier = ""
    filename = ""
    content_type = "application/octet-stream"
    PROGRESS_EVERY = 2000

    def __init__(self, *, selection, options=None, progress=None):
        self.selection = selection
        self.options = options or {}
        self._progress = progress
        self.written = 0
        self.skipped = 0

    def chunks(self):
        raise NotImplementedError

    def count_row(self):
        self.written += 1
        if self._progress and self.written % self.PROGRESS_EVERY == 0:
            self._progress(written=self.written, skipped=self.skipped)

    def skip_row(self, row=None):
        self.skipped += 1

    def finish(self):
        if self._progress:
            self._progress(written=self.written, skipped=self.skipped)

    @staticmethod
    def photo_address(row):
        # photo_url(public=True) without a model instance: the signed URL of the EXIF-free copy.
        return storage_signed_url(name=row.public_photo) if row.public_photo else ""


class TextBuffer:
    """Collects text and hands it back as UTF-8 bytes in chunks of about `size` characters."""

    def __init__(self, size=64 * 1024):
        self.size = size
        self._buffer = StringIO()

    def write(self, text):
        return self._buffer.write(text)

    def full(self):
        return self._buffer.tell() >= self.size

    def take(self):
        data = self._buffer.getvalue().encode()
        self._buffer = StringIO()
        return data


def import_exporters():
    from . import csv_export, dataset_export, dwca_export, geojson_export  # noqa: F401
