"""The platform's roles as Django groups, and the permissions each holds.

Anglers are ordinary users without a group. Trusted researchers are researchers who also hold
`sightings.view_true_location`, given one by one.
"""

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


def user_is_moderator(user):
    return user.is_authenticated and user.has_perm("sightings.moderate_sighting")


def user_may_export(user):
    return user.is_authenticated and user.has_perm("sightings.export_sightings")


def user_sees_true_locations(user):
    return user.is_authenticated and user.has_perm("sightings.view_true_location")


def groups_ensure(*, group_model, permission_model):
    """Create the role groups with their permissions (used by a migration and by tests)."""
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
