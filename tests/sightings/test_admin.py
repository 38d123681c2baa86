"""The moderation admin, used as a moderator who is staff and in the moderators group (no superuser)."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.urls import reverse

import sightings.admin
from regulations.models import Region, Species
from sightings.models import Identification, Sighting
from sightings.services.identifications import identification_set_species
from tests.sightings.factories_moderation import (
    OBSERVED_AT,
    classification_make,
    media_in_tmp,  # noqa: F401 (fixture)
    model_version_make,
    moderator_make,
    researcher_make,
    sighting_make,
    species_make,
    user_make,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp", "signed_photo_urls")]

CHANGELIST = "admin:sightings_sighting_changelist"
ACTION_CHECKBOX = "_selected_action"
# Session, user, two for permissions, one for project roles, project, species and region filter
# choices, count (on PostgreSQL preceded by the planner's estimate), page.
QUEUE_QUERIES = 11
NO_INLINE_FORMS = {"identifications-TOTAL_FORMS": "0", "identifications-INITIAL_FORMS": "0"}


@pytest.fixture
def signed_photo_urls(monkeypatch):
    """A stand-in for the signed photo URLs, so that pages can be checked for the exact address."""

    def seen_photo_url(*, name):
        return f"/signed/{name}" if name else ""

    monkeypatch.setattr(sightings.admin, "seen_photo_url", seen_photo_url)


@pytest.fixture
def bass():
    return species_make("Micropterus salmoides", "Largemouth bass")


@pytest.fixture
def walleye():
    return species_make("Sander vitreus", "Walleye")


@pytest.fixture
def owner():
    return user_make("owner")


@pytest.fixture
def moderator():
    user = moderator_make()
    assert not user.is_superuser
    return user


@pytest.fixture
def model_version():
    return model_version_make()


@pytest.fixture
def admin_client(client, moderator):
    client.force_login(moderator)
    return client


def suggested_sighting(owner, model_version, species, score, **fields):
    sighting = sighting_make(owner, **fields)
    classification_make(sighting, model_version, [(species, score), ("not_fish", round(1 - score, 3))])
    return sighting


def listed(response):
    return [sighting.pk for sighting in response.context["cl"].result_list]


def changelist(client, **params):
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return response


def change_url(sighting):
    return reverse("admin:sightings_sighting_change", args=[sighting.pk])


# --- The queue ----------------------------------------------------------------------------------


def test_moderator_sees_the_queue(admin_client, owner, model_version, bass):
    sighting = suggested_sighting(owner, model_version, bass, 0.73)
    without_photo = sighting_make(owner, photo=False)

    response = changelist(admin_client)

    html = response.content.decode()
    assert set(listed(response)) == {sighting.pk, without_photo.pk}
    assert f'src="/signed/{sighting.public_photo.name}"' in html
    assert html.count('src="/signed/') == 1
    assert '<td class="field-top_prediction">Micropterus salmoides</td>' in html
    assert '<td class="field-confidence">0.73</td>' in html
    assert "Merge species" in html
    assert "Confirm suggested species" in html


def test_queue_filters(admin_client, owner, model_version, bass, walleye):
    low = suggested_sighting(owner, model_version, bass, 0.3, notes="caught at dawn")
    medium = suggested_sighting(owner, model_version, walleye, 0.6, location=(-120.5, 47.3))
    high = suggested_sighting(
        user_make("second"), model_version, bass, 0.9, observed_at=OBSERVED_AT - timedelta(days=400)
    )
    unclassified = sighting_make(owner, photo=False)
    identification_set_species(sighting=high, species=bass, user=moderator_make("other-mod"))

    assert listed(changelist(admin_client, confidence="low")) == [low.pk]
    assert listed(changelist(admin_client, confidence="medium")) == [medium.pk]
    assert listed(changelist(admin_client, confidence="high")) == [high.pk]
    assert listed(changelist(admin_client, confidence="none")) == [unclassified.pk]
    assert listed(changelist(admin_client, quality_grade="verified")) == [high.pk]
    assert listed(changelist(admin_client, quality_grade="casual")) == [unclassified.pk]
    assert set(listed(changelist(admin_client, species__id__exact=bass.pk))) == {low.pk, high.pk}
    assert set(listed(changelist(admin_client, status="classified"))) == {
        low.pk,
        medium.pk,
        high.pk,
        unclassified.pk,
    }
    since = (OBSERVED_AT - timedelta(days=1)).isoformat()
    assert high.pk not in listed(changelist(admin_client, observed_at__gte=since))
    assert listed(changelist(admin_client, q="walleye")) == [medium.pk]
    assert listed(changelist(admin_client, q="second")) == [high.pk]
    assert listed(changelist(admin_client, q="dawn")) == [low.pk]


def test_region_filter(admin_client, owner, model_version, bass):
    erie = Region.objects.create(
        code="lake-erie",
        name="Lake Erie",
        kind=Region.Kind.LAKE,
        geometry=MultiPolygon(
            Polygon(((-83.5, 41.3), (-78.8, 41.3), (-78.8, 42.9), (-83.5, 42.9), (-83.5, 41.3))), srid=4326
        ),
    )
    inside = suggested_sighting(owner, model_version, bass, 0.5, location=(-81.5, 41.6))
    suggested_sighting(owner, model_version, bass, 0.5, location=(-120.5, 47.3))
    sighting_make(owner, location=None)

    response = changelist(admin_client, region=erie.pk)

    assert listed(response) == [inside.pk]
    assert "Lake Erie" in response.content.decode()
    assert admin_client.get(reverse(CHANGELIST), {"region": "x"}).status_code == 302


def test_sort_by_lowest_confidence(admin_client, owner, model_version, bass):
    scores = [0.9, 0.3, 0.6]
    sightings = {score: suggested_sighting(owner, model_version, bass, score) for score in scores}
    unclassified = sighting_make(owner)
    column = changelist(admin_client).context["cl"].list_display.index("confidence")

    response = changelist(admin_client, o=str(column))

    assert listed(response) == [sightings[0.3].pk, sightings[0.6].pk, sightings[0.9].pk, unclassified.pk]


def _queue(owner, model_version, species, count):
    other = moderator_make(f"helper-{count}")
    for number in range(count):
        sighting = suggested_sighting(owner, model_version, species[number % 2], 0.4 + number / 100)
        if number % 3 == 0:
            identification_set_species(sighting=sighting, species=species[(number + 1) % 2], user=other)


@pytest.mark.parametrize("rows", [10, 30])
def test_queue_queries_do_not_grow_with_rows(
    admin_client, owner, model_version, bass, walleye, rows, django_assert_max_num_queries
):
    _queue(owner, model_version, [bass, walleye], rows)
    box = Region.objects.create(
        code="box",
        name="Box",
        kind=Region.Kind.ZONE,
        geometry=MultiPolygon(Polygon(((-90, 40), (-80, 40), (-80, 45), (-90, 45), (-90, 40))), srid=4326),
    )

    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = admin_client.get(reverse(CHANGELIST))
    assert len(listed(response)) == rows

    with django_assert_max_num_queries(QUEUE_QUERIES):
        admin_client.get(reverse(CHANGELIST), {"confidence": "low", "o": "7", "region": box.pk})


# --- Bulk actions -------------------------------------------------------------------------------


def test_bulk_confirm_suggested_species(admin_client, moderator, owner, model_version, bass, walleye):
    first = suggested_sighting(owner, model_version, bass, 0.7)
    second = suggested_sighting(owner, model_version, walleye, 0.6)
    unsuggested = sighting_make(owner)
    identification_set_species(sighting=second, species=bass, user=owner)

    response = admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "confirm_suggested_species",
            ACTION_CHECKBOX: [first.pk, second.pk, unsuggested.pk],
            "index": "0",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "Confirmed the suggested species of 2 sightings" in response.content.decode()
    written = Identification.objects.filter(user=moderator)
    assert {(i.sighting_id, i.species_id, i.source, i.from_suggestion) for i in written} == {
        (first.pk, bass.pk, Identification.Source.MODERATOR, True),
        (second.pk, walleye.pk, Identification.Source.MODERATOR, True),
    }
    second.refresh_from_db()
    assert (second.species, second.quality_grade) == (walleye, Sighting.QualityGrade.VERIFIED)
    assert second.identifications.count() == 3  # machine, owner, moderator: nothing replaced
    assert LogEntry.objects.filter(user=moderator, object_id__in=[str(first.pk), str(second.pk)]).count() == 2


def test_bulk_set_species_with_an_intermediate_page(
    admin_client, moderator, owner, model_version, bass, walleye
):
    sightings = [suggested_sighting(owner, model_version, bass, 0.5) for _ in range(3)]
    selected = [sighting.pk for sighting in sightings[:2]]

    page = admin_client.post(
        reverse(CHANGELIST), {"action": "set_species", ACTION_CHECKBOX: selected, "index": "0"}
    )

    assert page.status_code == 200
    assert "set_species_action.html" in [template.name.rsplit("/", 1)[-1] for template in page.templates]
    assert 'name="apply"' in page.content.decode()
    assert not Identification.objects.filter(user=moderator).exists()

    refused = admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "set_species",
            ACTION_CHECKBOX: selected,
            "apply": "1",
            "species": "999999",
            "select_across": "0",
        },
    )
    assert refused.status_code == 200
    assert refused.context["form"].errors

    done = admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "set_species",
            ACTION_CHECKBOX: selected,
            "apply": "1",
            "species": walleye.pk,
            "comment": "fin shape",
            "select_across": "0",
        },
        follow=True,
    )

    assert done.status_code == 200
    assert "Set the species of 2 sightings" in done.content.decode()
    for sighting in sightings:
        sighting.refresh_from_db()
    assert [s.species for s in sightings] == [walleye, walleye, bass]
    assert [s.quality_grade for s in sightings[:2]] == [Sighting.QualityGrade.VERIFIED] * 2
    history = Identification.objects.filter(sighting=sightings[0]).order_by("created_at", "pk")
    assert [(i.source, i.previous_species_id, i.species_id) for i in history] == [
        (Identification.Source.MACHINE, None, bass.pk),
        (Identification.Source.MODERATOR, bass.pk, walleye.pk),
    ]
    assert history.last().comment == "fin shape"


def test_merged_species_cannot_be_chosen(admin_client, owner, model_version, bass, walleye):
    old = species_make("Stizostedion vitreum")
    old.merged_into = walleye
    old.save()
    sighting = suggested_sighting(owner, model_version, bass, 0.5)

    response = admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "set_species",
            ACTION_CHECKBOX: [sighting.pk],
            "apply": "1",
            "species": old.pk,
            "select_across": "0",
        },
    )

    assert "species" in response.context["form"].errors


# --- One sighting -------------------------------------------------------------------------------


def test_change_view_shows_photo_predictions_position_and_history(
    admin_client, owner, model_version, bass, walleye
):
    sighting = suggested_sighting(owner, model_version, bass, 0.81, location=(-81.25, 41.5))
    identification_set_species(sighting=sighting, species=walleye, user=owner)

    response = admin_client.get(change_url(sighting))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="/signed/{sighting.public_photo.name}"' in html
    assert 'id="top-predictions"' in html and "0.810" in html and "not_fish" in html
    assert "latitude 41.50000, longitude -81.25000" in html
    assert "Largemouth bass (Micropterus salmoides) → Walleye (Sander vitreus)" in html
    assert "test model" in html  # the machine identification's author
    form = response.context["adminform"].form
    assert set(form.fields) == {"confirm_suggestion", "set_species", "identification_comment"}


def test_history_says_which_rows_are_each_authors_latest(admin_client, owner, model_version, bass, walleye):
    sighting = suggested_sighting(owner, model_version, bass, 0.81)
    identification_set_species(sighting=sighting, species=walleye, user=owner)
    identification_set_species(sighting=sighting, species=bass, user=owner)

    html = admin_client.get(change_url(sighting)).content.decode().lower()
    # The machine's and the owner's second are each their author's latest: two rows, labelled so.
    assert "latest by its author" in html and "is current" not in html
    assert sighting.identifications.filter(is_current=True).count() == 2


def test_change_view_sets_species_through_the_service(
    admin_client, moderator, owner, model_version, bass, walleye
):
    sighting = suggested_sighting(owner, model_version, bass, 0.5)

    response = admin_client.post(
        change_url(sighting),
        {"set_species": walleye.pk, "identification_comment": "spots", "species": bass.pk, **NO_INLINE_FORMS},
    )

    assert response.status_code == 302
    sighting.refresh_from_db()
    assert (sighting.species, sighting.quality_grade) == (walleye, Sighting.QualityGrade.VERIFIED)
    identification = sighting.identifications.get(user=moderator)
    assert (identification.source, identification.comment, identification.previous_species) == (
        Identification.Source.MODERATOR,
        "spots",
        bass,
    )
    entry = LogEntry.objects.get(user=moderator, object_id=str(sighting.pk))
    assert "Identified as Walleye (Sander vitreus) (moderator)" in entry.get_change_message()


def test_change_view_confirms_the_suggestion(admin_client, moderator, owner, model_version, bass):
    sighting = suggested_sighting(owner, model_version, bass, 0.5)

    response = admin_client.post(change_url(sighting), {"confirm_suggestion": "on", **NO_INLINE_FORMS})

    assert response.status_code == 302
    identification = sighting.identifications.get(user=moderator)
    assert identification.from_suggestion
    assert identification.model_version == model_version


def test_change_view_refuses_both_and_missing_suggestions(admin_client, owner, walleye):
    sighting = sighting_make(owner)

    both = admin_client.post(
        change_url(sighting), {"confirm_suggestion": "on", "set_species": walleye.pk, **NO_INLINE_FORMS}
    )
    missing = admin_client.post(change_url(sighting), {"confirm_suggestion": "on", **NO_INLINE_FORMS})

    assert both.status_code == missing.status_code == 200
    assert both.context["adminform"].form.errors and missing.context["adminform"].form.errors
    assert not Identification.objects.exists()


def test_saving_without_identifying_writes_nothing(admin_client, owner, model_version, bass):
    sighting = suggested_sighting(owner, model_version, bass, 0.5)

    response = admin_client.post(change_url(sighting), {"notes": "rewritten", **NO_INLINE_FORMS})

    assert response.status_code == 302
    sighting.refresh_from_db()
    assert sighting.notes == ""
    assert sighting.identifications.count() == 1


def test_position_hidden_without_true_location_permission(client, owner, model_version, bass):
    viewer = user_make("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_sighting"))
    client.force_login(viewer)
    sighting = suggested_sighting(owner, model_version, bass, 0.5, location=(-81.25, 41.5))

    response = client.get(change_url(sighting))

    assert response.status_code == 200
    html = response.content.decode()
    assert "41.50000" not in html and "Hidden" in html
    assert "confirm_suggestion" not in response.context["adminform"].form.fields
    assert "Confirm suggested species" not in client.get(reverse(CHANGELIST)).content.decode()
    assert client.post(change_url(sighting), {"set_species": bass.pk, **NO_INLINE_FORMS}).status_code == 403


# --- Audit log and merge ----------------------------------------------------------------------


def test_identifications_are_a_read_only_audit_log(admin_client, owner, model_version, bass):
    sighting = suggested_sighting(owner, model_version, bass, 0.5)
    identification = sighting.identifications.get()

    listing = admin_client.get(
        reverse("admin:sightings_identification_changelist"), {"sighting": sighting.pk}
    )
    detail = admin_client.get(reverse("admin:sightings_identification_change", args=[identification.pk]))

    assert listing.status_code == 200 and list(listing.context["cl"].result_list) == [identification]
    assert detail.status_code == 200
    assert admin_client.get(reverse("admin:sightings_identification_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:sightings_identification_change", args=[identification.pk]), {}
        ).status_code
        == 403
    )
    assert (
        admin_client.post(
            reverse("admin:sightings_identification_delete", args=[identification.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert admin_client.get(reverse("admin:sightings_sighting_add")).status_code == 403
    assert Identification.objects.filter(pk=identification.pk).exists()


def test_merge_species_view(admin_client, owner, model_version, walleye):
    old = species_make("Stizostedion vitreum", "Walleye (old name)")
    sighting = suggested_sighting(owner, model_version, old, 0.8)
    url = reverse("admin:sightings_sighting_merge_species")

    assert admin_client.get(url).status_code == 200
    refused = admin_client.post(url, {"source": walleye.pk, "target": walleye.pk})
    assert refused.status_code == 200 and refused.context["form"].errors
    response = admin_client.post(url, {"source": old.pk, "target": walleye.pk})

    assert response.status_code == 302
    sighting.refresh_from_db()
    assert sighting.species == walleye
    history = admin_client.get(change_url(sighting)).content.decode()
    assert "Walleye (old name) (Stizostedion vitreum) (now Walleye (Sander vitreus))" in history


# --- Who may enter ----------------------------------------------------------------------------


def test_anglers_and_researchers_are_kept_out(client, owner, model_version, bass):
    sighting = suggested_sighting(owner, model_version, bass, 0.5)
    pages = [reverse(CHANGELIST), change_url(sighting), reverse("admin:sightings_sighting_merge_species")]

    client.force_login(owner)
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and "/login/" in response["Location"]

    client.force_login(researcher_make(is_staff=True))
    for page in pages:
        assert client.get(page).status_code == 403
    action = {"action": "confirm_suggested_species", ACTION_CHECKBOX: [sighting.pk], "index": "0"}
    assert client.post(reverse(CHANGELIST), action).status_code == 403
    assert client.post(change_url(sighting), {"set_species": bass.pk, **NO_INLINE_FORMS}).status_code == 403
    assert sighting.identifications.count() == 1


def test_moderator_group_has_what_the_admin_needs(moderator):
    for permission in [
        "sightings.view_sighting",
        "sightings.change_sighting",
        "sightings.moderate_sighting",
        "sightings.view_identification",
        "regulations.view_species",
    ]:
        assert moderator.has_perm(permission)
    assert not moderator.has_perm("sightings.delete_identification")
    assert Species.objects.count() == 0
