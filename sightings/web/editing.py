"""The angler's own catch on the web: correct its details, or delete it."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render

from ..models import Sighting
from ..selectors import sightings_visible_to
from ..services.removal import sighting_delete
from ..visibility import sighting_regulations
from .forms import geoprivacy_field
from .lengths import CM, clean_length_cm, length_field, length_in_unit, length_unit_field, place_length_unit

LOGIN_URL = "sightings-web:login"


class SightingEditForm(forms.ModelForm):
    """What the API's PATCH changes: length, notes, who sees where, the photo's licence."""

    length = length_field()
    length_unit = length_unit_field()
    geoprivacy = geoprivacy_field()

    class Meta:
        model = Sighting
        fields = ["notes", "geoprivacy", "license"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"license": "Photo licence"}

    def __init__(self, *args, unit: str = CM, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["length_unit"].initial = unit
        if self.instance.length_cm is not None:
            self.fields["length"].initial = length_in_unit(self.instance.length_cm, unit)

    def clean(self):
        data = super().clean() or {}
        data["length_cm"] = clean_length_cm(self, data)
        return data

    def save(self, commit=True):
        # Untouched, the length keeps its centimetres: shown in inches and read back it could move.
        if {"length", "length_unit"} & set(self.changed_data):
            self.instance.length_cm = self.cleaned_data["length_cm"]
        return super().save(commit=commit)


def _own_sighting(request, pk) -> Sighting:
    sighting = get_object_or_404(sightings_visible_to(user=request.user), pk=pk)
    if sighting.owner_id != request.user.pk:
        raise PermissionDenied("Only the angler who submitted a catch may change or delete it.")
    return sighting


@login_required(login_url=LOGIN_URL)
def sighting_edit_page(request, pk):
    sighting = _own_sighting(request, pk)
    unit = place_length_unit(sighting_regulations(sighting=sighting))
    form = SightingEditForm(request.POST or None, instance=sighting, unit=unit)
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
