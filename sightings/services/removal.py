"""An angler removes their own catch: the row, everything recorded about it, and its photos."""

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction

from ..models import Sighting
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
