"""The user's own account: e-mail at sign-up, password reset and change, deleting it with all its data."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.storage import default_storage
from rest_framework.authtoken.models import Token

from sightings.models import Identification, Sighting

from .test_views import client_for

PASSWORD = "a-long-test-password-1"
RESET_LINK = re.compile(r"https?://[^/\s]+(/password-reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def member(db):
    return User.objects.create_user("member", email="member@example.org", password=PASSWORD)


def test_sign_up_takes_an_optional_email_address(client, db):
    response = client.post(
        "/signup/",
        {"username": "new-angler", "email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(username="new-angler").email == "new@example.org"


def test_a_forgotten_password_is_reset_through_a_link_that_works_once(client, member):
    assert "Forgot your password?" in client.get("/login/").content.decode()
    response = client.post("/password-reset/", {"email": "member@example.org"})
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["member@example.org"]
    link = RESET_LINK.search(mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new_password = "another-long-password-2"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"
    member.refresh_from_db()
    assert member.check_password(new_password)
    assert "expired or was used already" in client.get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, member):
    response = client.post("/password-reset/", {"email": "nobody@example.org"}, follow=True)
    assert "If an account has that address" in response.content.decode()
    assert mail.outbox == []


def test_the_account_page_saves_the_email_and_changes_the_password(member):
    client = client_for(member)
    assert client.post("/account/", {"email": "changed@example.org"}).status_code == 302
    member.refresh_from_db()
    assert member.email == "changed@example.org"
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "third-long-password-3",
            "new_password2": "third-long-password-3",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("third-long-password-3")


def test_deleting_the_account_takes_its_catches_photos_and_token_but_keeps_others_history(
    member, other_angler, color_species, make_sighting, django_capture_on_commit_callbacks
):
    own = make_sighting(member)
    names = [name for name in (own.photo.name, own.public_photo.name) if name]
    assert names
    Token.objects.create(user=member)
    others = make_sighting(other_angler)
    # As a moderator of the default project might have: named the other angler's catch.
    identification = Identification.objects.create(
        sighting=others, species=color_species["sander_vitreus"], source="community", user=member
    )
    client = client_for(member)
    page = client.get("/account/delete/").content.decode()
    assert "your 1 catch," in page
    wrong = client.post("/account/delete/", {"password": "not-it"})
    assert wrong.status_code == 400 and "That is not your password." in wrong.content.decode()
    assert User.objects.filter(pk=member.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/delete/", {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Sighting.objects.filter(pk=own.pk).exists()
    assert not Token.objects.filter(user_id=member.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    identification.refresh_from_db()
    assert identification.user is None and Sighting.objects.filter(pk=others.pk).exists()
    assert client.get("/account/").status_code == 302  # logged out


def test_an_administrator_account_is_not_deleted_by_a_click(db):
    admin = User.objects.create_superuser("admin", password=PASSWORD)
    response = client_for(admin).post("/account/delete/", {"password": PASSWORD})
    assert response.status_code == 403 and "another administrator" in response.content.decode()
    assert User.objects.filter(pk=admin.pk).exists()
