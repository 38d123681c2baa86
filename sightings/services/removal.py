"""An angler removes their own catch (the row, everything recorded about it, and its photos), or
their whole account with all of it."""

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction

from ..models import ExportJob, Sighting
from ..storage import storage_delete_quietly


def sighting_delete(*, sighting: Sighting, user: User | AnonymousUser) -> None:
    """Delete the sighting (its classifications, identifications and embedding go with it) and,
    once that is committed, its original and public photos. Only its owner may.

    A photo the store fails to delete is left without a row, and the periodic sweep of orphaned
    photos removes it.
    """
    if not user.is_authenticated or sighting.owner_id != user.pk:
        raise PermissionDenied("Only the angler who submitted a sighting may delete it.")
    names = [
        name
        for name in Sighting.objects.filter(pk=sighting.pk).values_list("photo", "public_photo").first() or ()
        if name
    ]

    def photos_delete() -> None:
        for name in names:
            storage_delete_quietly(name=name)

    with transaction.atomic():
        Sighting.objects.filter(pk=sighting.pk).delete()
        transaction.on_commit(photos_delete)


def account_delete(*, user: User) -> None:
    """Delete the account and what is personal in it: every sighting with its photos, export files,
    API token, memberships and credit. Identifications the user made of others' catches stay in
    their history, no longer linked to anyone (who: a deleted account). Files go after the commit;
    a photo the store fails to delete is left to the orphan sweep.

    An administrator's account is not deleted here: another administrator removes it in the admin,
    so that a site never loses its last one by a click.
    """
    if user.is_superuser:
        raise PermissionDenied(
            "An administrator's account is removed by another administrator, in the admin."
        )
    sightings = Sighting.objects.filter(owner=user)
    names = [name for pair in sightings.values_list("photo", "public_photo") for name in pair if name] + [
        name for name in ExportJob.objects.filter(owner=user).values_list("file", flat=True) if name
    ]

    def files_delete() -> None:
        for name in names:
            storage_delete_quietly(name=name)

    with transaction.atomic():
        sightings.delete()
        User.objects.filter(pk=user.pk).delete()
        transaction.on_commit(files_delete)
