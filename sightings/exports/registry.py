"""Exporters register themselves here by identifier: the URLs, the job formats and the views come
from this registry alone, so adding a format is adding one `<name>_export.py` module beside this one."""

import pkgutil
from importlib import import_module
from io import StringIO
from pathlib import Path

from django.db.models import Q, QuerySet

from ..visibility import seen_photo_url

EXPORTER_SUFFIX = "_export"
EXPORTERS: dict[str, type["Exporter"]] = {}


def exporter_register(cls):
    EXPORTERS[cls.identifier] = cls
    return cls


def exporters() -> list[type["Exporter"]]:
    """Every registered exporter, by module name."""
    import_exporters()
    return list(EXPORTERS.values())


class UnknownFormat(LookupError):
    pass


def exporter_get(identifier: str) -> type["Exporter"]:
    """The exporter of a format; raises UnknownFormat."""
    import_exporters()
    try:
        return EXPORTERS[identifier]
    except KeyError:
        raise UnknownFormat(identifier) from None


def exporter_choices() -> list[tuple[str, str]]:
    """(identifier, label) of every format: the choices of ExportJob.format and of the job API."""
    return [(cls.identifier, cls.label) for cls in exporters()]


class Exporter:
    """One export format: turns an ExportSelection into a stream of bytes.

    `path` is its URL under /api/v1/exports/; `narrow` restricts the rows the format can hold
    (before they are counted), and `beyond_grade` names rows it holds whatever their quality grade.
    `progress(written=, skipped=)` is called every `PROGRESS_EVERY` rows and at the end.
    """

    identifier = ""
    label = ""
    path = ""
    filename = ""
    content_type = "application/octet-stream"
    # The options `options_clean` takes, as JSON Schema by name (the OpenAPI schema documents them).
    option_schemas: dict[str, dict] = {}
    # The file's JSON Schema where it is JSON (else the schema says "binary").
    response_schema: dict | None = None
    PROGRESS_EVERY = 2000

    def __init__(self, *, selection, options=None, progress=None):
        self.selection = selection
        self.options = options or {}
        self._progress = progress
        self.written = 0
        self.skipped = 0

    @classmethod
    def narrow(cls, queryset: QuerySet, options: dict) -> QuerySet:
        return queryset

    @classmethod
    def beyond_grade(cls, options: dict) -> Q | None:
        return None

    @classmethod
    def options_clean(cls, options: dict) -> dict:
        """The options this format takes, validated; raises ValidationError naming the option."""
        return {}

    @classmethod
    def publishable(cls, options: dict) -> bool:
        """Whether this export is made to be published: then every row's place is as the public
        sees it, whoever asks (a format made for publication overrides this)."""
        return False

    @classmethod
    def filename_for(cls, options: dict) -> str:
        return cls.filename

    def chunks(self):
        raise NotImplementedError

    def count_row(self):
        self.written += 1
        if self._progress and self.written % self.PROGRESS_EVERY == 0:
            self._progress(written=self.written, skipped=self.skipped)

    def skip_row(self):
        self.skipped += 1

    def finish(self):
        if self._progress:
            self._progress(written=self.written, skipped=self.skipped)

    @staticmethod
    def photo_address(row):
        return seen_photo_url(name=row.public_photo)


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
    for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda module: module.name):
        if module.name.endswith(EXPORTER_SUFFIX):
            import_module(f"{__package__}.{module.name}")
