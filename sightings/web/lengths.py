"""Lengths as anglers read them: in the unit the place's rules use (inches in the US), stored in cm."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms

from regulations.models import Regulation
from regulations.wording import INCH_CM, length_text

from ..services.submission import LENGTH_CM_MAX, LENGTH_CM_MIN

CM, IN = Regulation.LengthUnit.CM.value, Regulation.LengthUnit.IN.value
UNIT_CHOICES = [(CM, "cm"), (IN, "inches")]
TENTH = Decimal("0.1")


def place_length_unit(regulations: dict | None) -> str:
    """The unit the regulations of a place write lengths in (a regulations answer's), else cm."""
    return (regulations or {}).get("length_unit") or CM


def length_in_unit(length_cm: Decimal, unit: str) -> Decimal:
    value = Decimal(length_cm) / INCH_CM if unit == IN else Decimal(length_cm)
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def length_shown(length_cm, unit: str) -> str:
    """The length as the place's rules write it: "14 in (35.6 cm)" in inches, else "35.6 cm"."""
    return length_text(Decimal(str(length_cm)).quantize(TENTH), unit)


def rule_lengths_shown(rule: dict) -> dict[str, str]:
    """A rule's lengths in its own unit, as `<field>_text`: "14 in (35.56 cm)" for a rule in inches."""
    return {
        f"{name}_text": length_text(Decimal(str(rule[name])), rule["length_unit"])
        for name in ("min_length_cm", "max_length_cm", "slot_min_cm", "slot_max_cm")
        if rule[name] is not None
    }


def length_field() -> forms.DecimalField:
    """A catch's length in the unit of `length_unit_field` (`clean_length_cm` reads both)."""
    return forms.DecimalField(
        required=False,
        label="Length",
        max_digits=6,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal", "min": "0.1"}),
    )


def length_unit_field() -> forms.ChoiceField:
    return forms.ChoiceField(choices=UNIT_CHOICES, initial=CM, required=False, label="Unit")


def clean_length_cm(form: forms.BaseForm, data: dict) -> Decimal | None:
    """The length in centimetres (to the millimetre), or None; a length out of bounds is an error
    on the `length` field, in the unit the angler chose."""
    length, unit = data.get("length"), data.get("length_unit") or CM
    if length is None:
        return None
    length_cm = (length * INCH_CM if unit == IN else length).quantize(TENTH, rounding=ROUND_HALF_UP)
    if not LENGTH_CM_MIN <= length_cm <= LENGTH_CM_MAX:
        low, high = max(TENTH, length_in_unit(LENGTH_CM_MIN, unit)), length_in_unit(LENGTH_CM_MAX, unit)
        form.add_error("length", f"Give a length between {low:f} and {high:f} {dict(UNIT_CHOICES)[unit]}.")
        return None
    return length_cm
