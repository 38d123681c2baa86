from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction

from .models import Membership, Project
from .selectors import ROLES_CACHE


@transaction.atomic
def project_member_set(*, project: Project, user: User, role: str) -> Membership:
    """Give `user` this role in `project` (one role per project; it replaces an earlier one).

    A moderator works in the Django admin, so a moderator membership makes the user staff.
    """
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    user.__dict__.pop(ROLES_CACHE, None)
    if role == Membership.Role.MODERATOR:
        project_moderators_make_staff(project=project)
        user.is_staff = True
    return membership


def project_moderators_make_staff(*, project: Project) -> int:
    """Let the project's moderators into the admin (where they see their projects' rows only)."""
    user_model = get_user_model()
    moderators = Membership.objects.filter(project=project, role=Membership.Role.MODERATOR).values("user_id")
    return user_model.objects.filter(pk__in=moderators, is_staff=False).update(is_staff=True)
