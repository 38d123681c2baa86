"""Password guessing and user-name probing: log-in lockouts (django-axes) and the sign-up throttle."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from sightings.web.forms import SignUpForm
from sightings.web.limits import SignUpRateThrottle
from tests.conftest import token_client

pytestmark = pytest.mark.django_db

PASSWORD = "x-test-password-1"  # tests.factories.make_user's
LIMIT = 10  # AXES_FAILURE_LIMIT's default


def log_in(client, username, password, **headers):
    return client.post("/login/", {"username": username, "password": password}, headers=headers)


def logged_in(client):
    return "_auth_user_id" in client.session


def test_forty_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(angler):
    client = Client()
    codes = [log_in(client, "angler", f"guess-{attempt}").status_code for attempt in range(40)]
    assert codes[: LIMIT - 1] == [200] * (LIMIT - 1)
    assert set(codes[LIMIT - 1 :]) == {429}
    response = log_in(client, "angler", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()
    assert int(response["Retry-After"]) == 15 * 60
    assert not logged_in(client)


def test_the_account_is_locked_for_every_client(angler):
    for attempt in range(LIMIT):
        log_in(Client(REMOTE_ADDR=f"198.51.100.{attempt + 1}"), "angler", f"guess-{attempt}")
    fresh = Client(REMOTE_ADDR="203.0.113.99")
    assert log_in(fresh, "angler", PASSWORD).status_code == 429
    assert not logged_in(fresh)


def test_one_client_guessing_many_accounts_is_locked_out_of_all(angler, other_angler):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for attempt in range(LIMIT):
        log_in(client, f"someone-{attempt}", "guess")
    assert log_in(client, "other-angler", PASSWORD).status_code == 429
    assert not logged_in(client)
    elsewhere = Client(REMOTE_ADDR="203.0.113.8")
    assert log_in(elsewhere, "other-angler", PASSWORD).status_code == 302


def test_a_rotating_forwarded_for_header_does_not_reset_the_client_count(angler, other_angler):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for attempt in range(LIMIT):
        log_in(client, f"someone-{attempt}", "guess", x_forwarded_for=f"10.0.{attempt}.1")
    response = log_in(client, "other-angler", PASSWORD, x_forwarded_for="10.9.9.9")
    assert response.status_code == 429


def test_behind_one_proxy_the_client_is_the_last_forwarded_address(angler, other_angler, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for attempt in range(LIMIT):
        log_in(proxy, f"someone-{attempt}", "guess", x_forwarded_for=f"spoofed-{attempt}, 198.51.100.7")
    assert log_in(proxy, "other-angler", PASSWORD, x_forwarded_for="1.2.3.4, 198.51.100.7").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert log_in(proxy, "other-angler", PASSWORD, x_forwarded_for="203.0.113.8").status_code == 302


def test_a_locked_out_name_looks_the_same_whether_or_not_it_exists(angler):
    def page(response, username):
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return response.status_code, html.replace(username, "NAME")

    answers = {}
    for number, username in enumerate(["angler", "nobody-of-that-name"]):
        client = Client(REMOTE_ADDR=f"198.51.100.{number + 1}")
        wrong = [page(log_in(client, username, "guess"), username) for _ in range(LIMIT)]
        answers[username] = (wrong[0], wrong[-1], page(log_in(client, username, PASSWORD), username))
    assert answers["angler"][0][0] == 200 and answers["angler"][1][0] == 429
    assert answers["angler"] == answers["nobody-of-that-name"]


def test_token_api_use_session_log_in_and_test_logins_still_work_for_a_locked_account(angler):
    for attempt in range(LIMIT):
        log_in(Client(), "angler", f"guess-{attempt}")
    assert token_client(angler).get("/api/v1/sightings/").status_code == 200
    forced = Client()
    forced.force_login(angler)
    assert forced.get("/sightings/").status_code == 200
    assert Client().login(username="angler", password=PASSWORD)


@pytest.fixture
def signup_rate(monkeypatch):
    cache.clear()
    monkeypatch.setattr(SignUpRateThrottle, "rate", "3/hour", raising=False)
    yield
    cache.clear()


def sign_up(client, username, **headers):
    return client.post(
        "/signup/",
        {"username": username, "password1": "walleye-at-dawn-42", "password2": "walleye-at-dawn-42"},
        headers=headers,
    )


def test_sign_up_is_throttled_per_client_with_a_clear_message(signup_rate):
    client = Client(REMOTE_ADDR="198.51.100.7")
    codes = [sign_up(client, f"angler-{n}", x_forwarded_for=f"10.0.0.{n}").status_code for n in range(3)]
    assert codes == [302, 302, 302]
    response = sign_up(Client(REMOTE_ADDR="198.51.100.7"), "angler-4", x_forwarded_for="10.0.0.99")
    assert response.status_code == 429
    assert "Too many sign-up attempts from your network" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(username="angler-4").exists()
    assert sign_up(Client(REMOTE_ADDR="203.0.113.8"), "angler-5").status_code == 302


def test_probing_taken_user_names_counts_against_the_throttle(angler, signup_rate):
    client = Client(REMOTE_ADDR="198.51.100.7")
    codes = [sign_up(client, name).status_code for name in ["angler", "Angler", "ANGLER", "angler"]]
    assert codes == [200, 200, 200, 429]


def test_a_taken_user_name_gets_generic_words(angler):
    page = sign_up(Client(), "Angler").content.decode()
    assert SignUpForm.UNAVAILABLE in page
    assert "already exists" not in page
