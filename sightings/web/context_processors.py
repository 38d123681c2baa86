"""What every page's navigation needs to know of the person."""

from django.utils.functional import SimpleLazyObject

from ..roles import user_may_export


def roles(request):
    """`may_export`: a researcher or moderator of a project (asked only when a page uses it)."""
    user = getattr(request, "user", None)
    return {
        "may_export": SimpleLazyObject(lambda: bool(user and user.is_authenticated and user_may_export(user)))
    }
