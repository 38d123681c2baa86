"""Parsing and checking the rows of the species and regulations CSV files.

Row numbers count the header as row 1, as a spreadsheet shows them: the first data row is 2.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from regulations.dayspecs import DaySpecError, day_spec_parse
from regulations.models import Regulation, Season, Species

INCH_CM = Decimal("2.54")
TRUE = {"true", "yes", "y", "1", "x"}
FALSE = {"false", "no", "n", "0", ""}

SPECIES_COLUMNS = [
    "scientific_name",
    "common_name",
    "rank",
    "kingdom",
    "family",
    "gbif_taxon_key",
    "venomous",
]
SPECIES_OPTIONAL = ["danger_note", "merged_into"]
REGULATION_COLUMNS = ["region_code", "rule_code", "species", "status", "source_url", "last_checked"]
REGULATION_OPTIONAL = [
    "group_name",
    "daily_bag_limit",
    "possession_limit",
    "length_unit",
    "min_length",
    "max_length",
    "slot_min",
    "slot_max",
    "catch_and_release_only",
    "invasive_action",
    "sensitive",
    "seasons",
    "notes",
]


class RowError(ValueError):
    def __init__(self, row: int, column: str, reason: str):
        self.row, self.column, self.reason = row, column, reason
        super().__init__(f"Row {row}, column {column}: {reason}")


@dataclass
class SeasonRow:
    kind: str
    start: str
    end: str
    daily_bag_limit: int | None = None
    min_length_cm: Decimal | None = None


@dataclass
class RegulationRow:
    row: int
    region_code: str
    code: str
    species: list[str]
    values: dict
    seasons: list[SeasonRow] = field(default_factory=list)


def csv_rows(
    handle: Iterable[str], *, required: list[str], optional: list[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, dict) for each data row; raises RowError for a missing or unknown column."""
    reader = csv.DictReader(handle)
    header = [name.strip() for name in (reader.fieldnames or [])]
    for column in required:
        if column not in header:
            raise RowError(1, column, "this required column is missing from the header.")
    for column in header:
        if column not in required and column not in optional:
            raise RowError(1, column, "unknown column.")
    reader.fieldnames = header
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            raise RowError(number, "(end)", "more cells than columns in the header.")
        row = {key: (value or "").strip() for key, value in raw.items()}
        if any(row.values()) and not row.get(required[0], "").startswith("#"):
            yield number, row


def _boolean(row: int, column: str, text: str) -> bool:
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise RowError(row, column, f'"{text}" is not yes/no (true, false, yes, no, 1, 0).')


def _count(row: int, column: str, text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise RowError(row, column, f'"{text}" is not a whole number of 0 or more.')
    return int(text)


def _length_cm(row: int, column: str, text: str, unit: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RowError(row, column, f'"{text}" is not a number.') from None
    if not value.is_finite() or value < 0:
        raise RowError(row, column, f'"{text}": a length must be 0 or more.')
    return (value * INCH_CM if unit == "in" else value).quantize(Decimal("0.01"))


def _choice(row: int, column: str, text: str, choices) -> str:
    if text not in choices:
        raise RowError(row, column, f'"{text}" is not one of {", ".join(choices)}.')
    return text


def species_row_parse(number: int, row: dict) -> dict:
    name = row["scientific_name"]
    if not name:
        raise RowError(number, "scientific_name", "is empty.")
    key = row["gbif_taxon_key"]
    if key and not key.isdigit():
        raise RowError(number, "gbif_taxon_key", f'"{key}" is not a GBIF taxon key (digits).')
    return {
        "scientific_name": name,
        "common_name": row["common_name"],
        "rank": _choice(number, "rank", row["rank"] or "species", Species.Rank.values),
        "kingdom": row["kingdom"] or "Animalia",
        "family": row["family"],
        "gbif_taxon_key": int(key) if key else None,
        "venomous": _boolean(number, "venomous", row["venomous"]),
        "danger_note": row.get("danger_note", ""),
        "merged_into": row.get("merged_into", ""),
    }


def _seasons_parse(number: int, text: str, unit: str) -> list[SeasonRow]:
    """'open 01-01..12-31; catch_and_release 05-01..fourth-sat-06 bag=1 min=18'"""
    seasons = []
    for part in filter(None, (piece.strip() for piece in text.split(";"))):
        words = part.split()
        if len(words) < 2 or ".." not in words[1]:
            raise RowError(number, "seasons", f'"{part}" is not "KIND START..END [bag=N] [min=L]".')
        kind = _choice(number, "seasons", words[0], Season.Kind.values)
        start, end = words[1].split("..", 1)
        for spec in (start, end):
            try:
                day_spec_parse(spec)
            except DaySpecError as error:
                raise RowError(number, "seasons", str(error)) from None
        season = SeasonRow(kind=kind, start=start.lower(), end=end.lower())
        for option in words[2:]:
            name, _, value = option.partition("=")
            if name == "bag":
                season.daily_bag_limit = _count(number, "seasons", value)
            elif name == "min":
                season.min_length_cm = _length_cm(number, "seasons", value, unit)
            else:
                raise RowError(number, "seasons", f'"{option}": only bag=N and min=L are known.')
        seasons.append(season)
    return seasons


def regulation_row_parse(number: int, row: dict) -> RegulationRow:
    for column in REGULATION_COLUMNS:
        if not row[column]:
            raise RowError(number, column, "is empty.")
    unit = _choice(number, "length_unit", row.get("length_unit") or "cm", Regulation.LengthUnit.values)
    try:
        last_checked = date.fromisoformat(row["last_checked"])
    except ValueError:
        raise RowError(number, "last_checked", f'"{row["last_checked"]}" is not a date YYYY-MM-DD.') from None
    if not row["source_url"].startswith(("https://", "http://")):
        raise RowError(number, "source_url", "must be the source document's http(s) address.")
    values = {
        "status": _choice(number, "status", row["status"], Regulation.Status.values),
        "group_name": row.get("group_name", ""),
        "daily_bag_limit": _count(number, "daily_bag_limit", row.get("daily_bag_limit", "")),
        "possession_limit": _count(number, "possession_limit", row.get("possession_limit", "")),
        "length_unit": unit,
        "catch_and_release_only": _boolean(
            number, "catch_and_release_only", row.get("catch_and_release_only", "")
        ),
        "invasive_action": row.get("invasive_action", ""),
        "sensitive": _boolean(number, "sensitive", row.get("sensitive", "")),
        "notes": row.get("notes", ""),
        "source_url": row["source_url"],
        "last_checked": last_checked,
    }
    for column, field_name in (
        ("min_length", "min_length_cm"),
        ("max_length", "max_length_cm"),
        ("slot_min", "slot_min_cm"),
        ("slot_max", "slot_max_cm"),
    ):
        values[field_name] = _length_cm(number, column, row.get(column, ""), unit)
    if (values["slot_min_cm"] is None) != (values["slot_max_cm"] is None):
        raise RowError(
            number, "slot_max" if values["slot_max_cm"] is None else "slot_min", "a slot needs both ends."
        )
    for low, high, column in (
        ("min_length_cm", "max_length_cm", "max_length"),
        ("slot_min_cm", "slot_max_cm", "slot_max"),
    ):
        if values[low] is not None and values[high] is not None and values[low] > values[high]:
            raise RowError(number, column, "is smaller than the lower end.")
    if values["status"] == Regulation.Status.INVASIVE and not values["invasive_action"]:
        raise RowError(
            number, "invasive_action", "an invasive species needs the action the authority asks for."
        )
    return RegulationRow(
        row=number,
        region_code=row["region_code"],
        code=row["rule_code"],
        species=[name.strip() for name in row["species"].split(";") if name.strip()],
        values=values,
        seasons=_seasons_parse(number, row.get("seasons", ""), unit),
    )
