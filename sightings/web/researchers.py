"""What a researcher uses without a shell: the export page and the API token page."""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from projects.models import Project
from regulations.models import Region, Species

from ..exports.filters import ANY_GRADE, DayField
from ..exports.registry import exporters
from ..models import Sighting
from ..roles import EVERY_PROJECT, export_projects, user_may_export
from ..services.api_tokens import api_token_get, api_token_issue

LOGIN_URL = "sightings-web:login"


class ExportRequestForm(forms.Form):
    """The export API's filters as a form; blank fields are left out of the request."""

    format = forms.ChoiceField(label="Format")
    project = forms.ChoiceField(required=False, label="Project")
    species = forms.ModelChoiceField(
        queryset=Species.objects.filter(merged_into__isnull=True).order_by("common_name", "scientific_name"),
        required=False,
        empty_label="every species",
    )
    quality_grade = forms.ChoiceField(
        choices=[
            ("", "verified (researchers' default)"),
            (ANY_GRADE, "any grade"),
            *Sighting.QualityGrade.choices,
        ],
        required=False,
        label="Quality grade",
    )
    observed_from = DayField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    observed_to = DayField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.ModelChoiceField(
        queryset=Region.objects.order_by("name"), required=False, empty_label="anywhere", to_field_name="code"
    )
    license = forms.ChoiceField(
        choices=[("", "any licence"), *Sighting.License.choices], required=False, label="Photo licence"
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        format_field = self.fields["format"]
        project_field = self.fields["project"]
        assert isinstance(format_field, forms.ChoiceField) and isinstance(project_field, forms.ChoiceField)
        format_field.choices = [(exporter.identifier, exporter.label) for exporter in exporters()]
        project_field.choices = [("", "every project you may export")] + [
            (project.slug, project.name) for project in projects
        ]

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("observed_from"), data.get("observed_to")
        if start and end and start > end:
            self.add_error("observed_to", "The last day comes before the first.")
        return data

    def download_url(self) -> str:
        data = self.cleaned_data
        filters = {
            "project": data["project"],
            "species": data["species"].pk if data["species"] else "",
            "quality_grade": data["quality_grade"],
            "observed_from": data["observed_from"].isoformat() if data["observed_from"] else "",
            "observed_to": data["observed_to"].isoformat() if data["observed_to"] else "",
            "region": data["region"].code if data["region"] else "",
            "license": data["license"],
        }
        query = urlencode({name: value for name, value in filters.items() if value not in ("", None)})
        url = reverse(f"exports:{data['format']}")
        return f"{url}?{query}" if query else url


def _exportable_projects(user):
    scope = export_projects(user)
    projects = Project.objects.order_by("name")
    return projects if scope is EVERY_PROJECT else projects.filter(pk__in=sorted(scope))


@login_required(login_url=LOGIN_URL)
def exports_page(request):
    """Researchers choose a format and filters; the download is the export API's own answer."""
    if not user_may_export(request.user):
        raise PermissionDenied("Exports are for the researchers and moderators of a project.")
    form = ExportRequestForm(request.GET or None, projects=_exportable_projects(request.user))
    if request.GET and form.is_valid():
        return redirect(form.download_url())
    context = {
        "form": form,
        "jobs_url": reverse("exports:export-job-list"),
        "max_rows": f"{settings.EXPORT_SYNC_MAX_ROWS:,}",
    }
    return render(request, "exports/index.html", context, status=400 if form.errors else 200)


@login_required(login_url=LOGIN_URL)
def api_token_page(request):
    return render(request, "account/token.html", {"token": api_token_get(user=request.user)})


@login_required(login_url=LOGIN_URL)
@require_POST
def api_token_new(request):
    api_token_issue(user=request.user)
    messages.success(request, "Your new API token is below. The one you had before no longer works.")
    return redirect("sightings-web:api-token")
