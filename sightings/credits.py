"""Reads: the name under which each person is credited in published data (Darwin Core)."""

import hashlib
import hmac

from django.conf import settings

from .models import Contributor

PSEUDONYM_PREFIX = "contributor-"


def pseudonym_of(*, user_id: int) -> str:
    """A stable pseudonym: the same for one person in every export, and not reversible without the secret."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"credit:{user_id}".encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:12]


class Credits:
    """The credit of every person who chose one, loaded in one query; everyone else is credited as ""."""

    def __init__(self):
        self._credits: dict[int, str] = {}
        chosen = Contributor.objects.exclude(credit=Contributor.Credit.NONE)
        for user_id, credit, name in chosen.values_list("user_id", "credit", "credit_name"):
            if credit == Contributor.Credit.NAME and name.strip():
                self._credits[user_id] = name.strip()
            else:
                self._credits[user_id] = pseudonym_of(user_id=user_id)

    def of(self, user_id: int | None) -> str:
        return self._credits.get(user_id, "") if user_id is not None else ""
