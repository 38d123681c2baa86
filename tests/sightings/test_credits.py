"""How people are credited in published data: chosen by each person, linkable only if they choose."""

import pytest

from sightings.credits import Credits, pseudonym_of
from sightings.models import Contributor
from tests.conftest import token_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/account/credit/"


def test_nobody_is_credited_until_they_choose(angler):
    assert token_client(angler).get(URL).json() == {"credit": "none", "credit_name": ""}
    assert Credits().of(angler.pk) == ""


def test_a_person_chooses_a_pseudonym_or_a_name(angler, other_angler):
    client = token_client(angler)
    answer = client.put(URL, {"credit": "pseudonym"}, format="json")
    assert answer.status_code == 200 and answer.json()["credit"] == "pseudonym"
    assert Credits().of(angler.pk) == pseudonym_of(user_id=angler.pk) != pseudonym_of(user_id=other_angler.pk)
    assert angler.username not in Credits().of(angler.pk)
    assert (
        client.put(URL, {"credit": "name", "credit_name": "  Ada Angler "}, format="json").status_code == 200
    )
    assert Credits().of(angler.pk) == "Ada Angler"
    assert Contributor.objects.get(user=angler).credit_name == "Ada Angler"
    assert Credits().of(other_angler.pk) == ""


def test_a_name_is_required_to_be_credited_by_name(angler):
    answer = token_client(angler).put(URL, {"credit": "name"}, format="json")
    assert answer.status_code == 400 and "credit_name" in answer.json()
    assert not Contributor.objects.exists()


def test_only_the_signed_in_person_sets_their_credit(angler):
    assert token_client(None).put(URL, {"credit": "pseudonym"}, format="json").status_code in (401, 403)
    assert not Contributor.objects.exists()
