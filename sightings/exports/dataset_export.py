"""ML dataset in the layout image loaders read as it is (Hugging Face `imagefolder`, torchvision
`ImageFolder`): <split>/<label>/<sighting id>.jpg, the EXIF-free public copies, and
<split>/metadata.csv with each image's labels, licence and credit, plus a README.

Splits (train 80 %, validation 10 %, test 10 %) are drawn per group of near-duplicates: photos of
one individual, of one angler's catches of a species on one day, or with the same bytes share a
group, and a group never crosses splits. The draw depends on `split_seed` (default 0) and the
group alone. Labels are verified species by default (`ranks=any` adds genus and higher,
`quality_grade=any` unverified ones); `negatives=true` adds the photos the classifier rejected and
nobody identified, as NEGATIVE_LABEL. Sightings without a public photo, or whose copy is missing
or (against every rule) carries metadata, are skipped and counted in the README.
"""

import csv
import hashlib
import io
import logging
import tempfile
from collections import Counter, defaultdict
from datetime import timedelta

import zipstream
from django.core.exceptions import ValidationError
from django.db.models import Q
from PIL import Image, UnidentifiedImageError

from regulations.models import Species

from ..credits import Credits
from ..models import Sighting
from ..storage import storage_read
from .licences import LICENSE_URIS, REUSABLE_LICENSES
from .registry import Exporter, exporter_register
from .selectors import CHUNK_SIZE, export_rows
from .values import local_moment_text, moment_text

logger = logging.getLogger(__name__)

# The names Hugging Face `datasets` gives these splits when it reads the folders.
SPLITS = (("train", 0.8), ("validation", 0.9), ("test", 1.0))
# The label of "none of the known classes", as `manage.py train_classifier` reads a folder of them.
NEGATIVE_LABEL = "not_fish"
TRUE_WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
METADATA_COLUMNS = [
    "file_name",
    "sighting_id",
    "project",
    "label",
    "scientific_name",
    "common_name",
    "taxon_rank",
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
        "metadata.csv holds exact coordinates: this dataset was made for a viewer allowed to see true"
        " locations."
    ),
    "generalized": (
        "metadata.csv holds generalized coordinates: obscured sightings and sensitive species are a stable"
        " random point in their 0.2-degree grid cell (coordinates=generalized), private ones have none"
        " (withheld)."
    ),
}


def split_of(*, group: str, seed: int) -> str:
    """train, validation or test (80/10/10), decided by the seed and the group alone."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64
    return next(name for name, bound in SPLITS if unit < bound)


class Groups:
    """Union-find over the keys that make two photos near-duplicates; a group is named by its
    smallest key, so it does not depend on the order rows come in."""

    def __init__(self):
        self._parent: dict[str, str] = {}

    def _root(self, key: str) -> str:
        self._parent.setdefault(key, key)
        while self._parent[key] != key:
            self._parent[key] = self._parent[self._parent[key]]
            key = self._parent[key]
        return key

    def join(self, keys: list[str]) -> None:
        roots = sorted({self._root(key) for key in keys})
        for root in roots[1:]:
            self._parent[root] = roots[0]

    def of(self, key: str) -> str:
        return self._root(key)


def near_duplicate_keys(*, individual_id, owner_id, observed_at, utc_offset, species_id, photo_sha256):
    day = (observed_at + timedelta(minutes=utc_offset or 0)).date().isoformat() if observed_at else "undated"
    keys = [f"catch:{owner_id}:{day}:{species_id or NEGATIVE_LABEL}"]
    if individual_id:
        keys.append(f"individual:{individual_id}")
    if photo_sha256:
        keys.append(f"photo:{photo_sha256}")
    return keys


def sighting_groups(queryset) -> dict:
    """Sighting id -> its group of near-duplicates among the exported rows (never published: the
    keys name the angler)."""
    groups = Groups()
    first_key = {}
    fields = (
        "pk",
        "individual_id",
        "owner_id",
        "observed_at",
        "utc_offset_minutes",
        "species_id",
        "photo_sha256",
    )
    rows = queryset.order_by("pk").values_list(*fields).iterator(chunk_size=CHUNK_SIZE)
    for pk, individual_id, owner_id, observed_at, utc_offset, species_id, photo_sha256 in rows:
        keys = near_duplicate_keys(
            individual_id=individual_id,
            owner_id=owner_id,
            observed_at=observed_at,
            utc_offset=utc_offset,
            species_id=species_id,
            photo_sha256=photo_sha256,
        )
        groups.join(keys)
        first_key[pk] = keys[0]
    return {pk: groups.of(key) for pk, key in first_key.items()}


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
    option_schemas = {
        "split_seed": {
            "type": "integer",
            "description": "Seed of the train/validation/test draw (default 0).",
        },
        "ranks": {"type": "string", "enum": ["species", "any"], "description": "Default: species only."},
        "negatives": {
            "type": "boolean",
            "description": "Add the photos the classifier rejected, as not_fish.",
        },
    }

    @classmethod
    def narrow(cls, queryset, options):
        # Only photos whose licence lets a dataset carry them (the README says how many were left out).
        labelled = Q(species__isnull=False)
        if options.get("ranks") != "any":
            labelled &= Q(species__rank=Species.Rank.SPECIES)
        rows = labelled | cls.beyond_grade(options) if options.get("negatives") else labelled
        return queryset.filter(rows, license__in=REUSABLE_LICENSES)

    @classmethod
    def beyond_grade(cls, options):
        # The negative class: rejected by the classifier, named by nobody (so never verified).
        if not options.get("negatives"):
            return None
        return Q(status=Sighting.Status.REJECTED, species__isnull=True)

    @classmethod
    def options_clean(cls, options):
        cleaned: dict = {}
        if "split_seed" in options:
            try:
                cleaned["split_seed"] = int(options["split_seed"])
            except (TypeError, ValueError):
                raise ValidationError({"split_seed": "Must be an integer."}) from None
        if "ranks" in options:
            if options["ranks"] not in ("species", "any"):
                raise ValidationError({"ranks": "Give species (the default) or any."})
            cleaned["ranks"] = options["ranks"]
        if "negatives" in options:
            value = TRUE_WORDS.get(str(options["negatives"]).lower())
            if value is None:
                raise ValidationError({"negatives": "Give true or false."})
            cleaned["negatives"] = value
        return cleaned

    def chunks(self):
        seed = self.options.get("split_seed", 0)
        self.reasons: Counter[str] = Counter()
        per_split: defaultdict[str, Counter[str]] = defaultdict(Counter)
        licenses: Counter[str] = Counter()
        groups = sighting_groups(self.selection.queryset)
        archive = zipstream.ZipStream()
        credits = Credits()
        with tempfile.TemporaryDirectory() as folder:
            tables = {name: open(f"{folder}/{name}.csv", "w+", newline="") for name, _ in SPLITS}  # noqa: SIM115
            try:
                writers = {name: csv.writer(handle, lineterminator="\n") for name, handle in tables.items()}
                for writer in writers.values():
                    writer.writerow(METADATA_COLUMNS)
                for row in export_rows(selection=self.selection, people=True):
                    data = self._photo(row)
                    if data is None:
                        continue
                    label = (
                        row.scientific_name.lower().replace(" ", "_") if row.species_id else NEGATIVE_LABEL
                    )
                    split = split_of(group=groups[row.id], seed=seed)
                    file_name = f"{label}/{row.id}.jpg"
                    archive.add(data, f"{split}/{file_name}")
                    yield from archive.all_files()
                    writers[split].writerow(
                        self._values(row, file_name=file_name, label=label, split=split, credits=credits)
                    )
                    per_split[split][label] += 1
                    licenses[row.license] += 1
                    self.count_row()
                for name, handle in tables.items():
                    if per_split[name]:
                        handle.seek(0)
                        archive.add(_read_text(handle), f"{name}/metadata.csv")
                        yield from archive.all_files()
            finally:
                for handle in tables.values():
                    handle.close()
        archive.add(self._readme(per_split=per_split, licenses=licenses, seed=seed), "README")
        yield from archive.finalize()
        self.finish()

    def _values(self, row, *, file_name, label, split, credits):
        values = [
            file_name,
            row.id,
            row.project,
            label,
            row.scientific_name,
            row.common_name,
            row.rank,
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
            split,
        ]
        return ["" if value is None else value for value in values]

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

    def _readme(self, *, per_split, licenses, seed):
        options = self.options
        lines = [
            "Catch log ML dataset",
            "",
            "<split>/<label>/<sighting id>.jpg: oriented JPEG copies without EXIF, GPS or other metadata.",
            "<split>/metadata.csv: one row per image of the split (file_name is relative to it); label is the"
            " snake_case scientific name.",
            "Loads as it is with Hugging Face datasets: load_dataset('imagefolder',"
            " data_dir=<unzipped folder>), or per split with torchvision's ImageFolder('<folder>/train').",
            f"Coordinates: {self.selection.coordinates}. {COORDINATE_NOTES[self.selection.coordinates]}",
            "Labels: "
            + ("every rank" if options.get("ranks") == "any" else "species only")
            + "; the quality grade as filtered (default: verified)."
            + (
                f" {NEGATIVE_LABEL}: photos the classifier rejected as none of its known classes and that"
                " nobody identified (a machine's decision, not verified)."
                if options.get("negatives")
                else ""
            ),
            "",
            f"Images: {self.written}",
        ]
        for name, _ in SPLITS:
            counts = per_split.get(name, Counter())
            lines.append(f"  {name}: {sum(counts.values())}")
            lines += [f"    {label}: {count}" for label, count in sorted(counts.items())]
        lines += [
            "",
            "Split: train 80 %, validation 10 %, test 10 %, drawn per group of near-duplicates (one"
            " individual, one angler's catches of a species on one day, identical photos), by sha256 of"
            f" '<split_seed>:<group>' (seed {seed}): no group crosses splits.",
            "",
            "Licences (each image keeps its own: see the license, license_url and credit columns; photos"
            " under all rights reserved are never included):",
        ]
        lines += [f"  {license}: {count}" for license, count in sorted(licenses.items())]
        lines += ["", f"Skipped sightings: {self.skipped}"]
        lines += [f"  {reason}: {count}" for reason, count in sorted(self.reasons.items())]
        left_out = self._left_out()
        if left_out:
            lines += ["", "Matching the filters but left out by this format's rules:"]
            lines += [f"  {reason}: {count}" for reason, count in left_out.items()]
        return "\n".join(lines) + "\n"

    def _left_out(self) -> dict[str, int]:
        """How many rows the filters matched that the dataset's rules (and its options) left out."""
        matched = self.selection.matched
        if matched is None:
            return {}
        reusable = matched.filter(license__in=REUSABLE_LICENSES)
        counts = {
            "photos under all rights reserved": matched.exclude(license__in=REUSABLE_LICENSES).count(),
        }
        if self.options.get("ranks") != "any":
            above = reusable.filter(species__isnull=False).exclude(species__rank=Species.Rank.SPECIES)
            counts["identified above species rank (ranks=any adds them)"] = above.count()
        if not self.options.get("negatives"):
            rejected = reusable.filter(self.beyond_grade({"negatives": True}))
            counts["rejected by the classifier, named by nobody (negatives=true adds them)"] = (
                rejected.count()
            )
        return {reason: count for reason, count in counts.items() if count}


def _read_text(handle, size=64 * 1024):
    while chunk := handle.read(size):
        yield chunk.encode()
