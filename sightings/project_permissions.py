"""The Django permissions a project role brings: an authentication backend that logs nobody in."""

from django.contrib.auth.backends import BaseBackend

from projects.models import Membership
from projects.selectors import user_project_roles

from .roles import PROJECT_MODERATOR_PERMISSIONS


class ProjectRoleBackend(BaseBackend):
    """A project moderator holds PROJECT_MODERATOR_PERMISSIONS; the admin narrows the rows to
    their projects. authenticate() is BaseBackend's: it answers None for everyone."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if Membership.Role.MODERATOR in user_project_roles(user=user_obj).values():
            return set(PROJECT_MODERATOR_PERMISSIONS)
        return set()

    def has_module_perms(self, user_obj, app_label):
        return any(
            permission.startswith(f"{app_label}.") for permission in self.get_all_permissions(user_obj)
        )
