"""ML dataset: images/<label>/<id>.jpg (the EXIF-free public copies), labels.csv and a README.

`split_seed` adds a train/val/test split column, the same for a sighting whatever else is
exported with it. Sightings without a public photo, or whose copy is missing or (against every
rule) carries metadata, are skipped and counted in the README.
"""

import csv
import hashlib
import io
import logging
import tempfile
from collections import Counter

import zipstream
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

from ..credits import Credits
from ..storage import storage_read
from .licences import LICENSE_URIS, REUSABLE_LICENSES
from .registry import Exporter, exporter_register
from .selectors import export_rows
from .values import local_moment_text, moment_text

logger = logging.getLogger(__name__)

SPLITS = (("train", 0.8), ("val", 0.9), ("test", 1.0))
LABEL_COLUMNS = [
    "path",
    "sighting_id",
    "project",
    "label",
    "scientific_name",
    "common_name",
    "quality_grade",
    "observed_at",
    "observed_at_local",
    "latitude",
    "longitude",
    "coordinate_uncertainty_m",
    "coordinates",
    "license",
    "license_url",
    "credit",
    "split",
]
COORDINATE_NOTES = {
    "true": (
        "labels.csv holds exact coordinates: this dataset was made for a viewer allowed to see true"
        " locations."
    ),
    "generalized": (
        "labels.csv holds generalized coordinates: obscured sightings and sensitive species are a stable"
        " random point in their 0.2-degree grid cell (coordinates=generalized), private ones have none"
        " (withheld)."
    ),
}


def split_of(*, sighting_id, seed):
    """train, val or test (80/10/10), decided by the seed and the sighting id alone."""
    digest = hashlib.sha256(f"{seed}:{sighting_id}".encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64
    return next(name for name, bound in SPLITS if unit < bound)


def carries_metadata(data):
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif()) or any(
            key in image.info for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment")
        )


@exporter_register
class DatasetExporter(Exporter):
    identifier = "dataset"
    label = "ML dataset (images and labels)"
    path = "dataset.zip"
    filename = "dataset.zip"
    content_type = "application/zip"

    @classmethod
    def narrow(cls, queryset):
        # Only photos whose licence lets a dataset carry them (the README says how many were left out).
        return queryset.filter(species__isnull=False, license__in=REUSABLE_LICENSES)

    @classmethod
    def options_clean(cls, options):
        seed = options.get("split_seed")
        if seed in (None, ""):
            return {}
        try:
            return {"split_seed": int(seed)}
        except (TypeError, ValueError):
            raise ValidationError({"split_seed": "Must be an integer."}) from None

    def chunks(self):
        seed = self.options.get("split_seed")
        self.reasons: Counter[str] = Counter()
        per_label: Counter[str] = Counter()
        licenses: Counter[str] = Counter()
        archive = zipstream.ZipStream()
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+", newline="") as labels:
            writer = csv.writer(labels, lineterminator="\n")
            writer.writerow(LABEL_COLUMNS if seed is not None else LABEL_COLUMNS[:-1])
            credits = Credits()
            for row in export_rows(selection=self.selection, people=True):
                data = self._photo(row)
                if data is None:
                    continue
                label = row.scientific_name.lower().replace(" ", "_")
                path = f"images/{label}/{row.id}.jpg"
                archive.add(data, path)
                yield from archive.all_files()
                values = [
                    path,
                    row.id,
                    row.project,
                    label,
                    row.scientific_name,
                    row.common_name,
                    row.quality_grade,
                    moment_text(row.observed_at),
                    local_moment_text(row.observed_at, row.utc_offset),
                    row.latitude,
                    row.longitude,
                    row.uncertainty_m,
                    row.coordinates,
                    row.license,
                    LICENSE_URIS[row.license],
                    credits.of(row.owner_id) or "a contributor",
                ]
                if seed is not None:
                    values.append(split_of(sighting_id=row.id, seed=seed))
                writer.writerow(["" if value is None else value for value in values])
                per_label[label] += 1
                licenses[row.license] += 1
                self.count_row()
            labels.seek(0)
            archive.add(_read_text(labels), "labels.csv")
            yield from archive.all_files()
        archive.add(self._readme(per_label=per_label, licenses=licenses, seed=seed), "README")
        yield from archive.finalize()
        self.finish()

    def _skip(self, reason):
        self.reasons[reason] += 1
        self.skip_row()

    def _photo(self, row):
        if not row.public_photo:
            self._skip("no public photo yet")
            return None
        try:
            data = storage_read(name=row.public_photo)
        except FileNotFoundError:
            self._skip("public photo missing from storage")
            return None
        try:
            if carries_metadata(data):
                logger.error(
                    "public photo %s of sighting %s carries metadata; left out", row.public_photo, row.id
                )
                self._skip("public photo carries metadata")
                return None
        except (UnidentifiedImageError, OSError):
            self._skip("public photo unreadable")
            return None
        return data

    def _readme(self, *, per_label, licenses, seed):
        lines = [
            "Catch log ML dataset",
            "",
            "images/<label>/<sighting id>.jpg: oriented JPEG copies without any EXIF, GPS or other metadata.",
            "labels.csv: one row per image; label is the snake_case scientific name.",
            f"Coordinates: {self.selection.coordinates}. {COORDINATE_NOTES[self.selection.coordinates]}",
            "",
            f"Images: {self.written}",
        ]
        lines += [f"  {label}: {count}" for label, count in sorted(per_label.items())]
        lines += [
            "",
            "Licences (each image keeps its own: see the license, license_url and credit columns; photos"
            " under all rights reserved are never included):",
        ]
        lines += [f"  {license}: {count}" for license, count in sorted(licenses.items())]
        lines += ["", f"Skipped sightings: {self.skipped}"]
        lines += [f"  {reason}: {count}" for reason, count in sorted(self.reasons.items())]
        if seed is not None:
            lines += [
                "",
                "Split: train 80 %, val 10 %, test 10 %, by sha256 of '<split_seed>:<sighting id>'"
                f" (seed {seed}).",
            ]
        return "\n".join(lines) + "\n"


def _read_text(handle, size=64 * 1024):
    while chunk := handle.read(size):
        yield chunk.encode()
