"""Two projects with their own models, people and data: nothing crosses from one to the other."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from classifier.models import ModelVersion
from classifier.services import model_version_activate, model_version_register
from projects.models import Membership, Project
from projects.selectors import project_default
from projects.services import project_member_set
from regulations.models import Species
from sightings.admin import SightingAdmin
from sightings.models import Classification, Sighting
from sightings.selectors import sightings_visible_to
from sightings.services.classification import sighting_classify
from sightings.services.identifications import identification_set_species
from sightings.services.submission import sighting_submit
from sightings.visibility import SeenPlace, sightings_seen_by
from tests import factories
from tests.conftest import token_client

CETACEAN_LABELS = ["orcinus_orca", "tursiops_truncatus", "not_cetacean"]
EXPORT_CSV = "/api/v1/exports/sightings.csv"


@pytest.fixture
def cetaceans(db):
    """A second project: its own taxa, negative name and model (the colour model's file, read as whales)."""
    orca = Species.objects.create(scientific_name="Orcinus orca", common_name="Orca")
    dolphin = Species.objects.create(scientific_name="Tursiops truncatus", common_name="Bottlenose dolphin")
    project = Project.objects.create(
        name="Cetaceans of the Salish Sea", slug="cetaceans", negative_name="not a cetacean"
    )
    project.taxa.set([orca, dolphin])
    _cetacean_model_register(project=project, name="cetacean test model", activate=True)
    return project


def _cetacean_model_register(*, project, name, activate=False):
    return model_version_register(
        onnx_bytes=factories.color_model_bytes(),
        name=name,
        labels=CETACEAN_LABELS,
        preprocessing=factories.COLOR_PREPROCESSING,
        negative_label="not_cetacean",
        source="imported",
        project=project,
        activate=activate,
    )


@pytest.fixture
def both(color_model, cetaceans, angler, eager_tasks):
    """One red photo in each project, classified by the worker's code path, both obscured."""
    fish = _submit(angler, project=None)
    whale = _submit(angler, project="cetaceans")
    return fish, whale


def _submit(owner, *, project, **fields):
    sighting = sighting_submit(
        owner=owner,
        photo=factories.photo_bytes(factories.RED),
        latitude=48.5,
        longitude=-123.1,
        observed_at=factories.aware(2026, 6, 1, 8, 0),
        geoprivacy="obscured",
        license="cc-by",
        project=project,
        **fields,
    )
    sighting.refresh_from_db()
    return sighting


def _named(data):
    handle = io.BytesIO(data)
    handle.name = "catch.jpg"
    return handle


def _member(username, project, role):
    user = factories.make_user(username)
    project_member_set(project=project, user=user, role=role)
    return user


@pytest.mark.django_db(transaction=True)
class TestModels:
    def test_each_sighting_is_classified_by_its_own_projects_model(self, both, color_model, cetaceans):
        fish, whale = both
        assert fish.project == project_default() and whale.project == cetaceans
        assert fish.species.scientific_name == "Micropterus salmoides"
        assert whale.species.scientific_name == "Orcinus orca"
        [fish_answer] = Classification.objects.filter(sighting=fish)
        [whale_answer] = Classification.objects.filter(sighting=whale)
        assert fish_answer.model_version == color_model
        assert whale_answer.model_version.project == cetaceans

    def test_a_rejected_photo_is_named_by_its_project(
        self, color_model, cetaceans, angler, eager_tasks, client
    ):
        whale = sighting_submit(
            owner=angler,
            photo=factories.photo_bytes(factories.BLUE),
            latitude=48.5,
            longitude=-123.1,
            observed_at=factories.aware(2026, 6, 1, 8, 0),
            project="cetaceans",
        )
        client.force_login(angler)
        response = client.get(f"/sightings/{whale.pk}/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "Not a cetacean" in page and "Not a fish" not in page

    def test_activating_a_version_leaves_the_other_projects_model_active(self, color_model, cetaceans):
        newer = _cetacean_model_register(project=cetaceans, name="newer cetacean model")
        model_version_activate(model_version=newer)
        active = dict(ModelVersion.objects.filter(is_active=True).values_list("project__slug", "name"))
        assert active == {"fish": "colour test model", "cetaceans": "newer cetacean model"}

    def test_a_version_never_classifies_another_projects_sighting(self, both, color_model):
        fish, whale = both
        assert sighting_classify(sighting_id=whale.pk, model_version=color_model) is None
        assert not Classification.objects.filter(sighting=whale, model_version=color_model).exists()


@pytest.mark.django_db(transaction=True)
class TestPeople:
    def test_a_project_moderator_sees_exact_places_and_identifies_in_their_project_only(
        self, both, cetaceans
    ):
        fish, whale = both
        moderator = _member("whale-mod", cetaceans, Membership.Role.MODERATOR)
        seen = {row.pk: row.seen_place for row in sightings_seen_by(viewer=moderator)}
        assert seen == {fish.pk: SeenPlace.GENERALIZED, whale.pk: SeenPlace.EXACT}
        assert set(sightings_visible_to(user=moderator)) == {whale}
        dolphin = Species.objects.get(scientific_name="Tursiops truncatus")
        identification = identification_set_species(sighting=whale, species=dolphin, user=moderator)
        assert identification.source == "moderator"
        with pytest.raises(PermissionDenied):
            identification_set_species(sighting=fish, species=fish.species, user=moderator)

    def test_a_project_moderator_works_in_the_admin_on_their_projects_rows(self, both, cetaceans, client):
        fish, whale = both
        moderator = _member("whale-mod", cetaceans, Membership.Role.MODERATOR)
        moderator.refresh_from_db()
        assert moderator.is_staff
        client.force_login(moderator)
        listing = client.get("/admin/sightings/sighting/")
        assert listing.status_code == 200
        assert str(whale.pk)[:8] in listing.content.decode()
        assert str(fish.pk)[:8] not in listing.content.decode()
        assert client.get(f"/admin/sightings/sighting/{whale.pk}/change/").status_code == 200
        assert (
            client.get(f"/admin/sightings/sighting/{fish.pk}/change/").status_code == 302
        )  # "does not exist"
        assert SightingAdmin.has_moderate_permission  # the panel is offered by role, see above

    def test_a_trusted_researcher_of_one_project_sees_the_other_projects_places_generalized(
        self, both, cetaceans
    ):
        fish, whale = both
        trusted = _member("whale-trusted", cetaceans, Membership.Role.TRUSTED_RESEARCHER)
        seen = {row.pk: row.seen_place for row in sightings_seen_by(viewer=trusted)}
        assert seen == {fish.pk: SeenPlace.GENERALIZED, whale.pk: SeenPlace.EXACT}
        assert list(sightings_visible_to(user=trusted)) == []  # not a moderator: no queue

    def test_a_species_outside_the_projects_taxa_is_refused(self, both, angler):
        fish, whale = both
        bass = Species.objects.get(scientific_name="Micropterus salmoides")
        with pytest.raises(ValidationError) as refused:
            identification_set_species(sighting=whale, species=bass, user=angler)
        assert "not among the taxa" in str(refused.value)
        assert Sighting.objects.get(pk=whale.pk).species.scientific_name == "Orcinus orca"


@pytest.mark.django_db(transaction=True)
class TestExports:
    def _rows(self, user, **params):
        response = token_client(user).get(EXPORT_CSV, {"quality_grade": "any", **params})
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response.status_code, body

    def test_a_project_researcher_exports_their_project_only(self, both, cetaceans):
        fish, whale = both
        researcher = _member("whale-researcher", cetaceans, Membership.Role.RESEARCHER)
        status, body = self._rows(researcher)
        assert status == 200
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert [(row["id"], row["project"]) for row in rows] == [(str(whale.pk), "cetaceans")]
        assert rows[0]["coordinates"] == "generalized"
        status, body = self._rows(researcher, project="fish")
        assert status == 400 and b"project" in body

    def test_a_platform_researcher_exports_every_project_with_its_name(self, both, researcher):
        fish, whale = both
        status, body = self._rows(researcher)
        assert status == 200
        projects = {row["id"]: row["project"] for row in csv.DictReader(io.StringIO(body.decode()))}
        assert projects == {str(fish.pk): "fish", str(whale.pk): "cetaceans"}
        status, body = self._rows(researcher, project="cetaceans")
        assert [row["id"] for row in csv.DictReader(io.StringIO(body.decode()))] == [str(whale.pk)]

    def test_an_angler_without_a_role_exports_nothing(self, both, angler):
        status, _ = self._rows(angler)
        assert status == 403


@pytest.mark.django_db
class TestSubmission:
    def test_the_projects_an_angler_may_submit_to_are_listed(self, cetaceans, angler):
        closed = Project.objects.create(name="Closed", slug="closed", open_to_all=False)
        answer = token_client(angler).get("/api/v1/projects/")
        assert answer.status_code == 200
        slugs = [project["slug"] for project in answer.json()]
        assert "cetaceans" in slugs and "fish" in slugs and "closed" not in slugs
        project_member_set(project=closed, user=angler, role=Membership.Role.MEMBER)
        listed = {
            project["slug"]: project["your_role"]
            for project in token_client(angler).get("/api/v1/projects/").json()
        }
        assert listed["closed"] == "member" and listed["fish"] is None

    @pytest.mark.parametrize(
        "slug, reason",
        [
            ("nowhere", "No project has the slug"),
            ("closed", "for its members only"),
            ("archived", "no longer accepts"),
        ],
    )
    def test_a_submission_to_a_project_it_may_not_join_is_refused_with_the_reason(self, angler, slug, reason):
        Project.objects.create(name="Closed", slug="closed", open_to_all=False)
        Project.objects.create(name="Archived", slug="archived", accepts_submissions=False)
        answer = token_client(angler).post(
            "/api/v1/sightings/",
            {
                "photo": _named(factories.photo_bytes()),
                "latitude": "41.5",
                "longitude": "-81.69",
                "observed_at": "2026-06-01T08:30:00Z",
                "project": slug,
            },
            format="multipart",
        )
        assert answer.status_code == 400
        assert reason in str(answer.json()["project"])
        assert not Sighting.objects.exists()


@pytest.mark.django_db
def test_the_phone_page_offers_the_anglers_projects_and_stores_the_choice(cetaceans, angler, client):
    client.force_login(angler)
    page = client.get("/sightings/new/").content.decode()
    assert '<select name="project"' in page
    assert "Cetaceans of the Salish Sea" in page and ">Fish<" in page
    answer = client.post(
        "/sightings/new/",
        {
            "photo": _named(factories.photo_bytes()),
            "latitude": "48.5",
            "longitude": "-123.1",
            "observed_at": "2026-06-01T08:30",
            "geoprivacy": "obscured",
            "license": "cc-by",
            "project": "cetaceans",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert Sighting.objects.get().project == cetaceans


@pytest.mark.django_db
def test_a_project_with_regions_records_inside_them_only(cetaceans, angler):
    from tests.sightings.exports.helpers import region_make

    cetaceans.regions.set([region_make(code="salish-sea", bbox=(-125.5, 47.0, -122.0, 50.5))])
    with pytest.raises(ValidationError) as refused:
        sighting_submit(
            owner=angler,
            photo=factories.photo_bytes(),
            latitude=41.5,
            longitude=-81.69,
            observed_at=factories.aware(2026, 6, 1, 8, 0),
            project="cetaceans",
        )
    assert "outside the area" in str(refused.value) and "salish-sea" in str(refused.value)
    assert not Sighting.objects.exists()
    inside = _submit(angler, project="cetaceans")
    assert inside.project == cetaceans
