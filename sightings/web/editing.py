"""The angler's own catch on the web: correct its details, or delete it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from ..models import Sighting
from ..selectors import sightings_visible_to
from ..services.removal import sighting_delete
from .forms import geoprivacy_field, length_cm_field

LOGIN_URL = "sightings-web:login"


class SightingEditForm(forms.ModelForm):
    """What the API's PATCH changes: length, notes, who sees where, the photo's licence."""

    length_cm = length_cm_field()
    geoprivacy = geoprivacy_field()

    class Meta:
        model = Sighting
        fields = ["length_cm", "notes", "geoprivacy", "license"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"license": "Photo licence"}


def _own_sighting(request, pk) -> Sighting:
    sighting = get_object_or_404(sightings_visible_to(user=request.user), pk=pk)
    if sighting.owner_id != request.user.pk:
        raise PermissionDenied("Only the angler who submitted a catch may change or delete it.")
    return sighting


@login_required(login_url=LOGIN_URL)
def sighting_edit_page(request, pk):
    sighting = _own_sighting(request, pk)
    form = SightingEditForm(request.POST or None, instance=sighting)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect("sightings-web:detail", pk=sighting.pk)
    return render(
        request,
        "sightings/edit.html",
        {"form": form, "sighting": sighting},
        status=400 if form.errors else 200,
    )


@login_required(login_url=LOGIN_URL)
def sighting_delete_page(request, pk):
    """A page that asks first (no script needed); the POST deletes."""
    sighting = _own_sighting(request, pk)
    if request.method == "POST":
        sighting_delete(sighting=sighting, user=request.user)
        messages.success(request, "Your catch, its photo and its history are deleted.")
        return redirect("sightings-web:list")
    return render(request, "sightings/delete.html", {"sighting": sighting})
