"""The platform's roles, and what each may do where.

Platform-wide roles are Django groups with the permissions below: their members act in every
project. Project roles are `projects.Membership` rows: a project moderator, trusted researcher or
researcher acts in that project only (see projects.roles for what each role includes). Anglers are
ordinary users without a group. Trusted researchers are researchers who also hold
`sightings.view_true_location`, given one by one.

Each `*_projects` function answers with the ids of the projects where the user may act, or
EVERY_PROJECT (None) for a platform-wide role.
"""

from django.contrib.auth.backends import ModelBackend

from projects.models import Membership
from projects.selectors import project_ids_with_role, user_project_roles

EVERY_PROJECT = None

MODERATORS = "moderators"
RESEARCHERS = "researchers"
TRUSTED_RESEARCHERS = "trusted researchers"

GROUP_PERMISSIONS = {
    MODERATORS: [
        "sightings.view_sighting",
        "sightings.change_sighting",
        "sightings.moderate_sighting",
        "sightings.view_true_location",
        "sightings.export_sightings",
        "sightings.view_identification",
        "sightings.add_identification",
        "sightings.view_classification",
        "sightings.view_prediction",
        "regulations.view_species",
        "regulations.add_species",
        "regulations.change_species",
        "regulations.view_authority",
        "regulations.add_authority",
        "regulations.change_authority",
        "regulations.view_region",
        "regulations.add_region",
        "regulations.change_region",
        "regulations.view_regulation",
        "regulations.add_regulation",
        "regulations.change_regulation",
        "regulations.delete_regulation",
        "regulations.view_season",
        "regulations.add_season",
        "regulations.change_season",
        "regulations.delete_season",
        "classifier.view_modelversion",
        "classifier.change_modelversion",
    ],
    RESEARCHERS: ["sightings.export_sightings"],
    TRUSTED_RESEARCHERS: ["sightings.export_sightings", "sightings.view_true_location"],
}


# What a project moderator may do in the admin, scoped to their projects' sightings there. The
# permissions that decide the scope (moderate_sighting, view_true_location, export_sightings) are
# never granted by a project role.
PROJECT_MODERATOR_PERMISSIONS = frozenset(
    {
        "sightings.view_sighting",
        "sightings.change_sighting",
        "sightings.view_identification",
        "sightings.add_identification",
        "sightings.view_classification",
        "sightings.view_prediction",
        "regulations.view_species",
        "projects.view_project",
    }
)


def user_is_moderator(user):
    """A platform-wide moderator."""
    return user.is_authenticated and user.has_perm("sightings.moderate_sighting")


def _scope(user, *, permission: str, role: str) -> frozenset[int] | None:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.has_perm(permission):
        return EVERY_PROJECT
    return project_ids_with_role(roles=user_project_roles(user=user), wanted=role)


def moderated_projects(user) -> frozenset[int] | None:
    return _scope(user, permission="sightings.moderate_sighting", role=Membership.Role.MODERATOR)


def true_location_projects(user) -> frozenset[int] | None:
    return _scope(user, permission="sightings.view_true_location", role=Membership.Role.TRUSTED_RESEARCHER)


def export_projects(user) -> frozenset[int] | None:
    return _scope(user, permission="sightings.export_sightings", role=Membership.Role.RESEARCHER)


def in_scope(scope: frozenset[int] | None, project_id: int) -> bool:
    return scope is EVERY_PROJECT or project_id in scope


def admin_sighting_projects(user) -> frozenset[int] | None:
    """The projects whose sightings `user` finds in the admin: every project for a superuser and for
    anyone granted sightings.view_sighting platform-wide (a group or their own permissions), else
    the projects they moderate."""
    if user.is_superuser or "sightings.view_sighting" in ModelBackend().get_all_permissions(user):
        return EVERY_PROJECT
    return moderated_projects(user)


def user_moderates(user, *, project_id: int) -> bool:
    """A moderator of this project, or of every project."""
    return in_scope(moderated_projects(user), project_id)


def user_moderates_any(user) -> bool:
    return moderated_projects(user) != frozenset()


def user_may_export(user):
    """A researcher (or moderator) of at least one project."""
    return export_projects(user) != frozenset()


def groups_ensure(*, group_model, permission_model):
    """Create the role groups with their permissions (used by a migration and by tests)."""
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
