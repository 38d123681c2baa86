import math
import mimetypes
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST, require_safe

from classifier.selectors import model_version_active
from projects.selectors import project_default, projects_open_to
from regulations.models import Species

from ..errors import StorageUnavailable
from ..individuals.selectors import individual_history, sighting_candidates
from ..models import Individual
from ..photo_links import photo_name_from_token, storage_signed_url
from ..published_photos import published_photo_name
from ..roles import user_moderates
from ..selectors import (
    map_left_out_own,
    map_points,
    region_outlines,
    sighting_detail,
    sightings_visible_to,
    species_known_near,
    species_summary,
)
from ..services.identifications import identification_confirm_suggestion, identification_set_species
from ..services.individuals import sighting_individual_match
from ..services.submission import sighting_submit
from ..visibility import seen_photo_url, sighting_place
from .forms import IdentifyForm, SightingSubmitForm, SignUpForm
from .lengths import length_shown, place_length_unit, rule_lengths_shown
from .limits import signup_wait

LOGIN_URL = "sightings-web:login"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"
WARNING_TITLES = {
    "invasive": "Invasive",
    "protected": "Protected",
    "closed_season": "Closed season",
    "catch_and_release": "Catch and release only",
    "undersize": "Undersize",
    "oversize": "Oversize",
    "slot": "Protected slot",
    "venomous": "Venomous",
}
STORAGE_DOWN = "The photo store is unavailable right now; nothing was saved. Try again shortly."
TILE_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
SEASON_LABELS = {"open": "open", "catch_and_release": "catch and release only", "closed": "closed"}


def home(request):
    return render(request, "home.html")


def signup(request):
    if request.method == "POST":
        wait = signup_wait(request)
        if wait is not None:
            return _signup_throttled(request, wait)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Submit your first catch.")
        return redirect("sightings-web:submit")
    return render(request, "registration/signup.html", {"form": form})


def _signup_throttled(request, wait):
    minutes = max(1, math.ceil(wait / 60))
    unit = "minute" if minutes == 1 else "minutes"
    refusal = f"Too many sign-up attempts from your network. Try again in {minutes} {unit}."
    context = {"form": SignUpForm(), "refusal": refusal}
    response = render(request, "registration/signup.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


@login_required(login_url=LOGIN_URL)
def sighting_submit_page(request):
    """The catch form. With JavaScript the page posts to the API (with a progress bar); without, here."""
    projects = list(projects_open_to(user_id=request.user.pk)) or [project_default()]
    if request.method == "POST":
        form = SightingSubmitForm(request.POST, request.FILES, projects=projects)
        if form.is_valid():
            try:
                sighting = sighting_submit(owner=request.user, **form.submission())
            except ValidationError as error:
                form.add_service_errors(error)
            except StorageUnavailable:
                form.add_error(None, STORAGE_DOWN)
            else:
                return redirect("sightings-web:detail", pk=sighting.pk)
    else:
        # No time filled in: a blank one is the photo's own (EXIF), which "now" would override.
        form = SightingSubmitForm(projects=projects)
    return render(
        request,
        "sightings/submit.html",
        {
            "form": form,
            "api_url": reverse("sighting-list"),
            "regulations_url": reverse("regulations"),
            "map_settings": _map_settings(),
        },
        status=400 if form.errors else 200,
    )


@login_required(login_url=LOGIN_URL)
def sighting_list(request):
    sightings = sightings_visible_to(user=request.user).filter(owner=request.user).order_by("-created_at")
    page = Paginator(sightings, 20).get_page(request.GET.get("page"))
    # Thumbnails from the EXIF-free public copy (at most 2,048 pixels), not the phone's original.
    rows = [
        {"sighting": sighting, "thumbnail": seen_photo_url(name=sighting.public_photo.name)}
        for sighting in page.object_list
    ]
    return render(request, "sightings/list.html", {"page": page, "rows": rows})


def _detail_context(request, pk):
    sighting = get_object_or_404(sightings_visible_to(user=request.user), pk=pk)
    detail = sighting_detail(sighting=sighting, viewer=request.user)
    awaits_moderator = (
        detail["status"] == "pending" and model_version_active(project=sighting.project) is None
    )
    known = species_known_near(place=sighting_place(sighting=sighting)) if detail["predictions"] else None
    return {
        "sighting": sighting,
        "detail": detail,
        # The classifier's species that nothing records in the regions of the shown place.
        "known_here": known,
        "warnings": [
            {**warning, "title": WARNING_TITLES.get(warning["kind"], "Warning")}
            for warning in detail["warnings"]
        ],
        "predictions": [
            {
                **prediction,
                "percent": _percent(prediction["score"]),
                "unexpected": _unexpected_here(prediction, known),
            }
            for prediction in detail["predictions"]
        ],
        "rules": [
            {
                **rule,
                "season_label": SEASON_LABELS.get(rule["season"]["kind"], rule["season"]["kind"]),
                **rule_lengths_shown(rule),
            }
            for rule in (detail["regulations"] or {}).get("rules", [])
        ],
        "length_text": (
            length_shown(detail["length_cm"], place_length_unit(detail["regulations"]))
            if detail["length_cm"] is not None
            else None
        ),
        "suggestion": _marked(_suggestion(detail), known),
        "candidates": [_marked(candidate, known) for candidate in _candidates(detail)],
        # Pending with no classifier in its project: a moderator will name it, and so may the angler.
        "awaits_moderator": awaits_moderator,
        "settled": detail["status"] != "pending" or awaits_moderator,
        "identify_form": IdentifyForm(initial={"action": IdentifyForm.NAME}),
        "may_identify": sighting.owner_id == request.user.pk
        or user_moderates(request.user, project_id=sighting.project_id),
    }


@login_required(login_url=LOGIN_URL)
def sighting_detail_page(request, pk):
    context = _detail_context(request, pk)
    sighting = context["sighting"]
    moderates = user_moderates(request.user, project_id=sighting.project_id)
    context["individual_candidates"] = (
        sighting_candidates(sighting=sighting, viewer=request.user) if moderates else None
    )
    return render(request, "sightings/detail.html", context)


@login_required(login_url=LOGIN_URL)
@require_POST
def sighting_individual_match_page(request, pk):
    """The moderator's one click: this sighting shows the same animal as an earlier one."""
    visible = sightings_visible_to(user=request.user)
    sighting = get_object_or_404(visible, pk=pk)
    candidate = visible.filter(pk=_uuid_or_none(request.POST.get("same_as"))).first()
    if candidate is None:
        messages.error(request, "Choose one of the earlier sightings.")
        return redirect("sightings-web:detail", pk=sighting.pk)
    try:
        individual = sighting_individual_match(sighting=sighting, candidate=candidate, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Linked: this sighting shows {individual.name}.")
    return redirect("sightings-web:detail", pk=sighting.pk)


def individual_detail(request, pk):
    individual = get_object_or_404(Individual.objects.select_related("project", "species"), pk=pk)
    history = individual_history(individual=individual, viewer=request.user)
    return render(request, "individuals/detail.html", {"individual": individual, "history": history})


@login_required(login_url=LOGIN_URL)
@require_GET
def sighting_panel(request, pk):
    """The result panel alone: the detail page's script polls it until the sighting is classified."""
    response = render(request, "sightings/_result.html", _detail_context(request, pk))
    response["Cache-Control"] = "no-store"
    return response


@login_required(login_url=LOGIN_URL)
@require_POST
def sighting_identify(request, pk):
    sighting = get_object_or_404(sightings_visible_to(user=request.user), pk=pk)
    form = IdentifyForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect("sightings-web:detail", pk=sighting.pk)
    try:
        if form.cleaned_data["action"] == IdentifyForm.CONFIRM:
            identification = identification_confirm_suggestion(sighting=sighting, user=request.user)
        else:
            identification = identification_set_species(
                sighting=sighting, species=form.cleaned_data["species"], user=request.user
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Thank you: recorded as {identification.species}.")
    return redirect("sightings-web:detail", pk=sighting.pk)


def sightings_map(request):
    return render(request, "sightings/map.html", {"map_settings": _map_settings(points=True)})


@require_GET
def sightings_map_points(request):
    response = JsonResponse(
        {"points": map_points(viewer=request.user), "left_out_own": map_left_out_own(viewer=request.user)}
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@cache_control(public=True, max_age=600)
def regions_geojson(request):
    return JsonResponse(region_outlines())


def species_detail(request, pk):
    species = get_object_or_404(Species.objects.select_related("merged_into"), pk=pk)
    return render(
        request,
        "species/detail.html",
        {"species": species, **species_summary(species=species, viewer=request.user)},
    )


@require_GET
@cache_control(private=True, max_age=300)
def photo(request, token):
    """Serve a stored photo to whoever holds a valid, unexpired signed token (filesystem storage)."""
    name = photo_name_from_token(token)
    if not name or not default_storage.exists(name):
        raise Http404("This photo address is invalid or has expired.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        content_type = "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), content_type=content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def published_photo(request, pk):
    """The permanent address of a photo published under an open licence: a redirect to a fresh
    short-lived address of its EXIF-free copy (see sightings.published_photos)."""
    name = published_photo_name(sighting_id=pk)
    if name is None:
        raise Http404("No photo is published at this address.")
    response = redirect(storage_signed_url(name=name))
    # Shorter than the signed address lives, so that a cached redirect never leads to an expired one.
    response["Cache-Control"] = f"public, max-age={settings.SIGNED_URL_MAX_AGE // 2}"
    return response


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _unexpected_here(prediction, known) -> bool:
    return bool(known and prediction["species"] and prediction["species"]["id"] not in known.species_ids)


def _marked(prediction, known):
    return None if prediction is None else {**prediction, "unexpected": _unexpected_here(prediction, known)}


def _percent(score):
    return "<1%" if score < 0.005 else f"{score * 100:.0f}%"


def _suggestion(detail):
    """The machine's top species when the sighting was classified, the answer is not uncertain and
    nobody named another species since, else None."""
    if detail["status"] != "classified" or not detail["predictions"] or detail["uncertain"]:
        return None
    top = detail["predictions"][0]
    if not top["species"]:
        return None
    # Once someone named another species, "yes" would undo it with one tap.
    named = detail["species"]
    return top if named is None or named["id"] == top["species"]["id"] else None


def _candidates(detail):
    """The species of an uncertain answer, for one-tap choices."""
    uncertain = detail["uncertain"]
    return [candidate for candidate in uncertain["candidates"] if candidate["species"]] if uncertain else []


def _map_settings(*, points=False):
    return {
        "regions_url": reverse("sightings-web:regions"),
        "basemap_url": static("vendor/world-atlas/countries-50m.json"),
        "points_url": reverse("sightings-web:map-points") if points else "",
        "species_url": reverse("sightings-web:species", kwargs={"pk": 0}),
        "sighting_url": reverse("sightings-web:detail", kwargs={"pk": ZERO_UUID}),
        "tile_url": settings.TILE_URL,
        "tile_attribution": TILE_ATTRIBUTION,
    }
