"""A person's API token: the key their scripts send as `Authorization: Token <key>`."""

from django.contrib.auth.models import User
from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def api_token_issue(*, user: User) -> Token:
    """A new token for `user`; the one they had stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def api_token_get(*, user: User) -> Token | None:
    return Token.objects.filter(user=user).first()
