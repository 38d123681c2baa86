"""Writes: how a person wants to be credited in published data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from ..models import Contributor

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def contributor_credit_set(*, user: User, credit: str, credit_name: str = "") -> Contributor:
    """Record the person's choice; a name is required when they choose to be credited by name."""
    credit_name = credit_name.strip()
    if credit not in Contributor.Credit.values:
        raise ValidationError({"credit": f"Choose one of {', '.join(Contributor.Credit.values)}."})
    if credit == Contributor.Credit.NAME and not credit_name:
        raise ValidationError({"credit_name": "Give the name to be credited with."})
    if credit != Contributor.Credit.NAME:
        credit_name = ""
    contributor, _ = Contributor.objects.update_or_create(
        user=user, defaults={"credit": credit, "credit_name": credit_name}
    )
    return contributor


def contributor_get(*, user: User) -> Contributor:
    """The person's choice, or the default (not credited) when they never made one."""
    return Contributor.objects.filter(user=user).first() or Contributor(user=user)
