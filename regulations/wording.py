"""Plain-words sentences for rules and warnings."""

from datetime import date
from decimal import Decimal

from regulations.models import Regulation, Season
from regulations.results import Rule

INCH_CM = Decimal("2.54")


def day_text(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def length_text(length_cm: Decimal, unit: str) -> str:
    cm = f"{Decimal(length_cm).normalize():f} cm"
    if unit == Regulation.LengthUnit.IN:
        inches = (Decimal(length_cm) / INCH_CM).quantize(Decimal("0.1")).normalize()
        return f"{inches:f} in ({cm})"
    return cm


def period_text(rule: Rule) -> str:
    season = rule.season
    if season.starts_on is None or season.ends_on is None:
        return ""
    return f" from {season.description} ({day_text(season.starts_on)} to {day_text(season.ends_on)})"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def rule_summary(rule: Rule, *, subject: str) -> str:
    where = f"{_capitalized(subject)} in {rule.region}"
    if rule.status == Regulation.Status.PROTECTED:
        return f"{where}: protected, keeping it is prohibited; release it at once."
    if rule.status == Regulation.Status.INVASIVE:
        action = rule.invasive_action or "report it"
        return f"{where}: invasive; {action}."
    parts = []
    if rule.season.kind == Season.Kind.CLOSED:
        parts.append("the season is closed on this date" + period_text(rule))
    elif rule.catch_and_release_only or rule.season.kind == Season.Kind.CATCH_AND_RELEASE:
        parts.append("catch and release only" + period_text(rule))
    elif rule.season.starts_on is None or (rule.season.start, rule.season.end) == ("01-01", "12-31"):
        parts.append("open all year")
    else:
        parts.append("open" + period_text(rule))
    if rule.daily_bag_limit is not None:
        parts.append(f"daily limit {rule.daily_bag_limit}")
    if rule.possession_limit is not None:
        parts.append(f"possession limit {rule.possession_limit}")
    if rule.min_length_cm is not None:
        parts.append(f"minimum length {length_text(rule.min_length_cm, rule.length_unit)}")
    if rule.max_length_cm is not None:
        parts.append(f"maximum length {length_text(rule.max_length_cm, rule.length_unit)}")
    if rule.slot_min_cm is not None and rule.slot_max_cm is not None:
        low = length_text(rule.slot_min_cm, rule.length_unit)
        high = length_text(rule.slot_max_cm, rule.length_unit)
        parts.append(f"fish from {low} to {high} must be released")
    return f"{where}: " + "; ".join(parts) + "."


def rule_warnings(rule: Rule, *, subject: str, on_date: date, length_cm: Decimal | None) -> list[dict]:
    name = _capitalized(subject)
    where = rule.region
    if rule.status == Regulation.Status.INVASIVE:
        action = rule.invasive_action or "report it"
        return [{"kind": "invasive", "message": f"{name} is invasive in {where}: {action}."}]
    if rule.status == Regulation.Status.PROTECTED:
        return [
            {
                "kind": "protected",
                "message": f"{name} is protected in {where}: keeping it is prohibited;"
                " release it at once, unharmed.",
            }
        ]
    if rule.season.kind == Season.Kind.CLOSED:
        return [
            {
                "kind": "closed_season",
                "message": f"The season for {subject} in {where} is closed on {day_text(on_date)}:"
                " release it.",
            }
        ]
    if rule.catch_and_release_only or rule.season.kind == Season.Kind.CATCH_AND_RELEASE:
        return [
            {
                "kind": "catch_and_release",
                "message": f"{name} in {where} is catch-and-release only{period_text(rule)}: release it.",
            }
        ]
    return _length_warnings(rule, name=name, length_cm=length_cm)


def _length_warnings(rule: Rule, *, name: str, length_cm: Decimal | None) -> list[dict]:
    if length_cm is None:
        return []
    unit, where, size = rule.length_unit, rule.region, length_text(length_cm, rule.length_unit)
    warnings = []
    if rule.min_length_cm is not None and length_cm < rule.min_length_cm:
        minimum = length_text(rule.min_length_cm, unit)
        warnings.append(
            {
                "kind": "undersize",
                "message": f"At {size}, this {name} is under the minimum length of {minimum}"
                f" in {where}: release it.",
            }
        )
    if rule.max_length_cm is not None and length_cm > rule.max_length_cm:
        maximum = length_text(rule.max_length_cm, unit)
        warnings.append(
            {
                "kind": "oversize",
                "message": f"At {size}, this {name} is over the maximum length of {maximum}"
                f" in {where}: release it.",
            }
        )
    if (
        rule.slot_min_cm is not None
        and rule.slot_max_cm is not None
        and rule.slot_min_cm <= length_cm <= rule.slot_max_cm
    ):
        low, high = length_text(rule.slot_min_cm, unit), length_text(rule.slot_max_cm, unit)
        warnings.append(
            {
                "kind": "slot",
                "message": f"At {size}, this {name} is in the protected slot from {low} to {high} "
                f"in {where}: release it.",
            }
        )
    return warnings


def venomous_warning(*, subject: str, danger_note: str) -> dict:
    name = _capitalized(subject)
    note = danger_note.rstrip(".") if danger_note else "do not handle it with bare hands"
    return {"kind": "venomous", "message": f"{name} is venomous: {note}."}
