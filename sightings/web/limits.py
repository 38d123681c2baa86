"""Limits on guessing passwords and probing user names, keyed by the client as the API throttles see it.

Log-ins are limited by django-axes (failures per user name and per client, then a cool-off); sign-ups
by a cache-counted throttle per client. Both find the client the way DRF's throttles do:
REMOTE_ADDR, or the address that the last of REST_FRAMEWORK["NUM_PROXIES"] trusted proxies wrote in
X-Forwarded-For, so that a client cannot pick its own key by sending that header.
"""

import math

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

# DRF's throttles read only request.META of the request they are given, so a Django HttpRequest does.


def client_ip(request: HttpRequest) -> str:
    """The client's address (django-axes calls this through AXES_CLIENT_IP_CALLABLE)."""
    return BaseThrottle().get_ident(request)  # type: ignore[arg-type]


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a locked-out log-in (AXES_LOCKOUT_CALLABLE): 429, the same for every user name."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class SignUpRateThrottle(SimpleRateThrottle):
    """Sign-up attempts per client (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["signup"]), each POST counted."""

    scope = "signup"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def signup_wait(request: HttpRequest) -> float | None:
    """None while this client may try to sign up (the attempt is counted), else the seconds to wait."""
    throttle = SignUpRateThrottle()
    if throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    return throttle.wait() or 60.0


class LoginLockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check on every log-in a client makes, first of AUTHENTICATION_BACKENDS.

    authenticate() without a request comes from server-side code (the test client's login(), a
    shell), where there is no client to count; every client-facing log-in passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
