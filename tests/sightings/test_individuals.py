"""Individuals: the worker stores each photo's embedding, moderators see the nearest earlier
sightings of the species in their project and link them in one click; the history and the
export carry the individual."""

import csv
import io
import uuid
import zipfile
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from classifier.services import model_version_register
from projects.models import Membership, Project
from projects.services import project_member_set
from regulations.models import Species
from sightings import roles
from sightings.individuals import gallery
from sightings.individuals.gallery import Gallery, gallery_get, nearest
from sightings.individuals.selectors import sighting_candidates
from sightings.models import Individual, Sighting, SightingEmbedding
from sightings.services.individuals import sighting_individual_match
from sightings.services.submission import sighting_submit
from tests import factories
from tests.conftest import token_client

SHADES = [(220, 20, 20), (200, 60, 40), (230, 30, 60), (170, 20, 20)]


@pytest.fixture(autouse=True)
def fresh_galleries(settings):
    settings.GALLERY_RECHECK_SECONDS = 0  # every search sees what the test just wrote
    gallery.galleries_clear()
    yield
    gallery.galleries_clear()


def live(found):
    return {found.ids[row] for row in range(found.size) if found.alive[row]}


@pytest.fixture
def embedding_model(db, color_species):
    """The colour classifier with a second output, the mean colour, as the composed classifiers have."""
    return _embedding_model_register()


def _embedding_model_register(*, project=None):
    return model_version_register(
        onnx_bytes=factories.color_model_bytes(embedding=True),
        name="colour model with embeddings",
        labels=factories.COLOR_LABELS,
        preprocessing=factories.COLOR_PREPROCESSING,
        source="imported",
        project=project,
        activate=True,
    )


def _catch(owner, color, *, minutes=0, **fields):
    sighting = sighting_submit(
        owner=owner,
        photo=factories.photo_bytes(color),
        latitude=41.5,
        longitude=-81.69,
        observed_at=factories.aware(2026, 6, 1, 8, 0),
        geoprivacy="obscured",
        license="cc-by",
        **fields,
    )
    # Distinct creation times, so that "earlier" is well defined.
    Sighting.objects.filter(pk=sighting.pk).update(created_at=timezone.now() + timedelta(minutes=minutes))
    return Sighting.objects.select_related("species", "project", "individual").get(pk=sighting.pk)


def _unit(color):
    vector = np.array(color, dtype=np.float32) / 255.0
    return vector / np.linalg.norm(vector)


@pytest.fixture
def catches(embedding_model, angler, eager_tasks):
    return [_catch(angler, color, minutes=index) for index, color in enumerate(SHADES)]


@pytest.fixture
def project_moderator(db):
    user = factories.make_user("fish-mod")
    project_member_set(project=Project.objects.get(slug="fish"), user=user, role=Membership.Role.MODERATOR)
    return user


@pytest.mark.django_db(transaction=True)
class TestEmbeddingsAndCandidates:
    def test_the_worker_stores_the_photos_unit_embedding(self, catches, embedding_model):
        stored = SightingEmbedding.objects.get(sighting=catches[0])
        vector = np.frombuffer(bytes(stored.vector), dtype="<f4")
        assert stored.dimensions == 3 and stored.extractor == embedding_model.embedding_extractor
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
        assert float(vector @ _unit(SHADES[0])) > 0.999

    def test_a_model_without_an_embedding_output_stores_none(self, color_model, angler, eager_tasks):
        _catch(angler, SHADES[0])
        assert not SightingEmbedding.objects.exists()

    def test_candidates_are_the_earlier_sightings_nearest_by_cosine(self, catches, project_moderator):
        newest = catches[-1]
        found = sighting_candidates(sighting=newest, viewer=project_moderator)
        expected = sorted(
            catches[:-1],
            key=lambda earlier: -float(_unit(SHADES[catches.index(earlier)]) @ _unit(SHADES[-1])),
        )
        assert [candidate["id"] for candidate in found] == [earlier.pk for earlier in expected]
        assert found[0]["similarity"] == pytest.approx(float(_unit(SHADES[0]) @ _unit(SHADES[-1])), abs=1e-3)
        # The oldest sighting has nothing earlier to be compared with.
        assert sighting_candidates(sighting=catches[0], viewer=project_moderator) == []
        assert found[0]["place"].kind == "exact"  # a moderator of the project sees the true place

    def test_other_species_and_other_projects_are_never_candidates(self, catches, project_moderator, angler):
        walleye = _catch(angler, (20, 220, 20), minutes=10)
        other = Project.objects.create(name="Elsewhere", slug="elsewhere")
        _embedding_model_register(project=other)
        stranger = _catch(angler, SHADES[0], minutes=11, project="elsewhere")
        assert (
            stranger.species == catches[0].species
            and SightingEmbedding.objects.filter(sighting=stranger).exists()
        )
        found = {
            candidate["id"]
            for candidate in sighting_candidates(sighting=catches[-1], viewer=project_moderator)
        }
        assert walleye.pk not in found and stranger.pk not in found
        # Alone in its project: nothing earlier of its species there, whatever the fish project holds.
        assert (
            sighting_candidates(sighting=stranger, viewer=factories.make_user("admin", roles.MODERATORS))
            == []
        )


@pytest.mark.django_db(transaction=True)
class TestLinking:
    def test_one_click_makes_an_individual_and_the_next_joins_it(self, catches, project_moderator, client):
        first, second, third, newest = catches
        client.force_login(project_moderator)
        page = client.get(f"/sightings/{newest.pk}/").content.decode()
        assert "Have we met this one before?" in page and str(first.pk) in page
        assert (
            client.post(f"/sightings/{newest.pk}/individual/", {"same_as": str(first.pk)}).status_code == 302
        )
        individual = Individual.objects.get()
        assert set(individual.sightings.values_list("pk", flat=True)) == {first.pk, newest.pk}
        linked = Sighting.objects.get(pk=newest.pk)
        assert linked.individual_linked_by == project_moderator and linked.individual_linked_at is not None
        # The next match joins the same animal instead of making another one.
        sighting_individual_match(
            sighting=Sighting.objects.get(pk=third.pk), candidate=linked, user=project_moderator
        )
        assert Individual.objects.count() == 1 and individual.sightings.count() == 3

    def test_only_the_projects_moderators_see_candidates_and_link(self, catches, angler, project_moderator):
        newest = catches[-1]
        owner_api = token_client(angler)
        assert owner_api.get(f"/api/v1/sightings/{newest.pk}/candidates/").status_code == 403
        refused = owner_api.post(
            f"/api/v1/sightings/{newest.pk}/individual/", {"same_as": str(catches[0].pk)}
        )
        assert refused.status_code == 403 and not Individual.objects.exists()
        other_moderator = factories.make_user("whale-mod")
        whales = Project.objects.create(name="Whales", slug="whales")
        project_member_set(project=whales, user=other_moderator, role=Membership.Role.MODERATOR)
        assert (
            token_client(other_moderator).get(f"/api/v1/sightings/{newest.pk}/candidates/").status_code == 404
        )

        api = token_client(project_moderator)
        candidates = api.get(f"/api/v1/sightings/{newest.pk}/candidates/")
        assert candidates.status_code == 200 and candidates.json()[0]["id"] == str(catches[0].pk)
        linked = api.post(f"/api/v1/sightings/{newest.pk}/individual/", {"same_as": str(catches[0].pk)})
        assert linked.status_code == 200 and linked.json()["individual"]["name"]
        assert api.delete(f"/api/v1/sightings/{newest.pk}/individual/").json()["individual"] is None

    def test_the_history_shows_places_as_each_viewer_may_see_them(self, catches, project_moderator, client):
        first, _, _, newest = catches
        individual = sighting_individual_match(sighting=newest, candidate=first, user=project_moderator)
        public = (
            token_client(factories.make_user("passer-by")).get(f"/api/v1/individuals/{individual.pk}/").json()
        )
        assert [entry["id"] for entry in public["sightings"]] == [str(first.pk), str(newest.pk)]
        assert {entry["place"]["kind"] for entry in public["sightings"]} == {"generalized"}
        assert all(entry["place"]["latitude"] != 41.5 for entry in public["sightings"])
        moderated = token_client(project_moderator).get(f"/api/v1/individuals/{individual.pk}/").json()
        assert {entry["place"]["kind"] for entry in moderated["sightings"]} == {"exact"}
        page = client.get(f"/individuals/{individual.pk}/").content.decode()
        assert individual.name in page and "Seen 2 times" in page and "41.5000" not in page

    def test_the_export_carries_the_individual_as_organism_id(self, catches, project_moderator, researcher):
        first, _, _, newest = catches
        individual = sighting_individual_match(sighting=newest, candidate=first, user=project_moderator)
        api = token_client(researcher)
        response = api.get("/api/v1/exports/dwca.zip", {"quality_grade": "any"})
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        rows = list(csv.DictReader(io.StringIO(archive.read("occurrence.txt").decode()), delimiter="\t"))
        organism = {row["occurrenceID"]: row["organismID"] for row in rows}
        assert (
            organism[f"urn:uuid:{first.pk}"]
            == organism[f"urn:uuid:{newest.pk}"]
            == f"urn:uuid:{individual.pk}"
        )
        assert [value for key, value in organism.items() if key.endswith(str(catches[1].pk))] == [""]
        assert {row["datasetName"] for row in rows} == {"Fish"}


class TestGallery:
    def _gallery(self, vectors):
        found = Gallery(project_id=1, species_id=1, extractor="test")
        for vector in np.asarray(vectors, dtype=np.float32):
            found.put(uuid.uuid4(), vector)
        return found

    def test_nearest_is_the_exact_cosine_ranking(self):
        rng = np.random.default_rng(3)
        vectors = rng.normal(size=(500, 16)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        query = vectors[0] + rng.normal(scale=0.3, size=16).astype(np.float32)
        query /= np.linalg.norm(query)
        found = self._gallery(vectors)
        best = nearest(gallery=found, query=query, k=5, exclude=frozenset({found.ids[7]}))
        brute = [index for index in np.argsort(-(vectors @ query)) if index != 7][:5]
        assert [neighbour.sighting_id for neighbour in best] == [found.ids[index] for index in brute]

    def test_a_query_of_another_dimension_finds_nothing(self):
        assert nearest(gallery=self._gallery(np.eye(3)), query=np.ones(4, np.float32), k=3) == []

    @pytest.mark.django_db(transaction=True)
    def test_the_cached_gallery_follows_new_and_departed_rows(self, catches, embedding_model):
        key = dict(
            project_id=catches[0].project_id,
            species_id=catches[0].species_id,
            extractor=embedding_model.embedding_extractor,
        )
        assert live(gallery_get(**key)) == {catch.pk for catch in catches}
        walleye = Species.objects.get(scientific_name="Sander vitreus")
        bass = catches[0].species
        Sighting.objects.filter(pk=catches[1].pk).update(species=walleye, updated_at=timezone.now())
        assert live(gallery_get(**key)) == {catches[0].pk, catches[2].pk, catches[3].pk}
        newer = _catch(catches[0].owner, SHADES[0], minutes=20)
        assert live(gallery_get(**key)) == {catches[0].pk, catches[2].pk, catches[3].pk, newer.pk}
        # Corrected back into the gallery: its vector is read again.
        Sighting.objects.filter(pk=catches[1].pk).update(species=bass, updated_at=timezone.now())
        assert live(gallery_get(**key)) == {*(catch.pk for catch in catches), newer.pk}
        # A change stamped before the newest one seen but committed after it (a long transaction).
        found = gallery_get(**key)
        late = found.changed - timedelta(seconds=30)
        Sighting.objects.filter(pk=catches[2].pk).update(species=walleye, updated_at=late)
        assert catches[2].pk not in live(gallery_get(**key))

    @pytest.mark.django_db
    def test_within_the_recheck_interval_a_search_asks_the_database_nothing(self, settings):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        settings.GALLERY_RECHECK_SECONDS = 3600
        with CaptureQueriesContext(connection) as first:
            gallery_get(project_id=1, species_id=1, extractor="none")
        with CaptureQueriesContext(connection) as second:
            gallery_get(project_id=1, species_id=1, extractor="none")
        assert len(first) == 3 and len(second) == 0  # the change mark, the row count, the rows

    def test_growing_past_the_capacity_keeps_every_row(self):
        rng = np.random.default_rng(5)
        vectors = rng.normal(size=(2500, 8)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        found = self._gallery(vectors)
        assert found.size == 2500 and found.matrix.shape[0] >= 2500
        best = nearest(gallery=found, query=vectors[2400], k=1)
        assert best[0].sighting_id == found.ids[2400] and best[0].similarity == pytest.approx(1.0, abs=1e-5)


@pytest.mark.django_db(transaction=True)
def test_sightings_classified_before_embeddings_get_one_from_the_command(color_model, angler, eager_tasks):
    from django.core.management import call_command

    old = [_catch(angler, color, minutes=index) for index, color in enumerate(SHADES[:2])]
    # Verified ones: a newly active version re-classifies only those still needing an ID.
    Sighting.objects.update(quality_grade=Sighting.QualityGrade.VERIFIED)
    assert not SightingEmbedding.objects.exists()
    _embedding_model_register()
    output = io.StringIO()
    call_command("embed_sightings", stdout=output)
    assert "2 sightings embedded" in output.getvalue()
    assert set(SightingEmbedding.objects.values_list("sighting_id", flat=True)) == {catch.pk for catch in old}
    call_command("embed_sightings", stdout=output)
    assert "0 sightings embedded" in output.getvalue()
