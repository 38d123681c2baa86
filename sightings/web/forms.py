from datetime import timedelta
from datetime import timezone as dt_timezone

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from regulations.models import Species

from ..models import Sighting
from .lengths import clean_length_cm, length_field, length_unit_field

GEOPRIVACY_EXPLAINED = {
    Sighting.Geoprivacy.OPEN: "Open: everyone sees the exact place.",
    Sighting.Geoprivacy.OBSCURED: (
        "Obscured (recommended): others see only a random point in a square of about 20 km; "
        "you and the moderators see the exact place."
    ),
    Sighting.Geoprivacy.PRIVATE: "Private: others see no place at all; you and the moderators see it.",
}


def geoprivacy_field(**options) -> forms.ChoiceField:
    """Who may see where, each choice explained in plain words."""
    return forms.ChoiceField(
        choices=[(choice.value, GEOPRIVACY_EXPLAINED[choice]) for choice in Sighting.Geoprivacy],
        widget=forms.RadioSelect,
        label="Who may see where",
        **options,
    )


class SignUpForm(UserCreationForm):
    """A new account. A taken user name gets the same words as any unavailable one, and sign-up
    attempts are throttled per client (sightings.web.limits), so names cannot be listed at scale."""

    UNAVAILABLE = "This user name is not available. Choose another one."

    email = forms.EmailField(
        required=False,
        label="E-mail address (optional)",
        help_text="Only to send you a link if you forget your password; nobody else sees it.",
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and User.objects.filter(username__iexact=username).exists():
            raise ValidationError(self.UNAVAILABLE, code="unavailable")
        return username


class SightingSubmitForm(forms.Form):
    """The catch form. Its field names are the API's, so that the page can post it to either.

    `projects`: those the angler may submit to, the default one first (a choice only when there
    are several)."""

    project = forms.ChoiceField(
        required=False,
        label="Project",
        help_text="Which project records this catch (blank: the default one).",
    )

    photo = forms.FileField(
        required=False,
        label="Take a photo",
        widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    photo_gallery = forms.FileField(
        required=False,
        label="Or choose one from your gallery",
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.NumberInput(attrs={"step": "any"})
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.NumberInput(attrs={"step": "any"})
    )
    location_accuracy_m = forms.FloatField(
        required=False, min_value=0, max_value=1_000_000, widget=forms.HiddenInput
    )
    observed_at = forms.DateTimeField(
        required=False,
        label="When",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    # Minutes east of UTC of the time typed in `observed_at`, filled in by the page's script.
    utc_offset_minutes = forms.IntegerField(
        required=False, min_value=-16 * 60, max_value=16 * 60, widget=forms.HiddenInput
    )
    length = length_field()
    length_unit = length_unit_field()
    notes = forms.CharField(required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    geoprivacy = geoprivacy_field(initial=Sighting.Geoprivacy.OBSCURED)
    license = forms.ChoiceField(
        choices=Sighting.License.choices, initial=Sighting.License.CC_BY_NC, label="Photo licence"
    )

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        field.choices = [(project.slug, project.name) for project in projects]  # type: ignore[attr-defined]
        if field.choices:  # type: ignore[attr-defined]
            field.initial = field.choices[0][0]  # type: ignore[attr-defined]
        if len(field.choices) <= 1:  # type: ignore[attr-defined]
            field.widget = forms.HiddenInput()

    def clean(self):
        data = super().clean() or {}
        uploads = [upload for upload in (data.get("photo"), data.get("photo_gallery")) if upload]
        if not uploads:
            self.add_error("photo", "Take a photo or choose one from your gallery.")
        elif len(uploads) > 1:
            self.add_error("photo", "Send one photo: either from the camera or from the gallery.")
        observed_at, offset = data.get("observed_at"), data.get("utc_offset_minutes")
        if observed_at is not None and offset is not None:
            local = timezone.make_naive(observed_at)
            data["observed_at"] = local.replace(tzinfo=dt_timezone(timedelta(minutes=offset)))
        data["length_cm"] = clean_length_cm(self, data)
        return data

    def submission(self):
        """The keyword arguments of `sighting_submit` (but the owner)."""
        data = self.cleaned_data
        return {
            "photo": data["photo"] or data["photo_gallery"],
            "latitude": data["latitude"],
            "longitude": data["longitude"],
            "location_accuracy_m": data["location_accuracy_m"],
            "observed_at": data["observed_at"],
            "length_cm": data["length_cm"],
            "notes": data["notes"],
            "geoprivacy": data["geoprivacy"],
            "license": data["license"],
            "project": data["project"],
        }

    def add_service_errors(self, error: ValidationError):
        """Show the service's errors (keyed by field) next to the fields they name."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class IdentifyForm(forms.Form):
    """Confirm the machine's suggestion, or name another species."""

    CONFIRM, NAME = "confirm", "name"

    action = forms.ChoiceField(choices=[(CONFIRM, "confirm"), (NAME, "name")], widget=forms.HiddenInput)
    species = forms.ModelChoiceField(
        queryset=Species.objects.filter(merged_into__isnull=True),
        required=False,
        label="Species",
        empty_label="Choose a species",
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("action") == self.NAME and not data.get("species"):
            self.add_error("species", "Choose the species you caught.")
        return data
