"""Labelled photos for training and evaluation: image folders, an optional group manifest.

An image folder holds one subfolder per class, named by its label (a scientific name in
snake_case, or the negative label for "none of the known classes"): DIR/<label>/<photo>. A folder
that is itself named by the negative label and holds photos directly (like the team data's
`not_fish/`) gives negative examples.

Groups keep near-duplicates (frames of one video track) on the same side of a split. A manifest
is a CSV with at least `path` and `group` columns (the team data's MANIFEST.csv), paths relative
to the manifest's folder; a photo missing from it is a group of its own.
"""

import csv
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})


@dataclass(frozen=True)
class Example:
    """One labelled photo. `load` gives its bytes; `sha256` is the bytes' digest when known."""

    label: str
    name: str
    load: Callable[[], bytes] = field(repr=False, compare=False)
    group: str | None = None
    sha256: str | None = None

    def digest(self) -> str:
        return self.sha256 or hashlib.sha256(self.load()).hexdigest()


def _file_loader(path: Path):
    return path.read_bytes


def _photos_in(folder: Path):
    return sorted(
        path for path in folder.iterdir() if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
    )


def image_folder_examples(
    *, roots: Iterable[str | Path], negative_label: str = "not_fish", groups: dict[Path, str] | None = None
) -> list[Example]:
    """The labelled photos under each root, in a stable order. Raises ValueError for a root that
    is not a folder or holds no photo."""
    groups = groups or {}
    examples = []
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            raise ValueError(f"{root}: not a folder")
        found = []
        if root.name == negative_label:
            found += [(negative_label, path) for path in _photos_in(root)]
        for folder in sorted(path for path in root.iterdir() if path.is_dir()):
            found += [(folder.name, path) for path in _photos_in(folder)]
        if not found:
            raise ValueError(f"{root}: no photos (expected {root}/<label>/<photo>)")
        for label, path in found:
            resolved = path.resolve()
            examples.append(
                Example(label=label, name=str(path), load=_file_loader(path), group=groups.get(resolved))
            )
    return examples


def groups_manifest_read(*, path: str | Path) -> dict[Path, str]:
    """Photo path (resolved) -> group, from a CSV with `path` and `group` columns."""
    path = Path(path)
    base = path.resolve().parent
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"path", "group"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        return {
            (base / row["path"]).resolve(): row["group"].strip()
            for row in reader
            if row.get("path") and row.get("group", "").strip()
        }


def examples_count(*, examples: Iterable[Example]) -> dict[str, int]:
    """Photos per label, labels sorted."""
    counts = Counter(example.label for example in examples)
    return dict(sorted(counts.items()))
