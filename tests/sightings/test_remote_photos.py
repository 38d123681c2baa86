"""photo_url: one deadline for the whole download, and no address that is not public, IPv6 included."""

import ipaddress
import socket
import threading
import time

import pytest
from django.core.exceptions import ValidationError

from sightings.models import Sighting
from sightings.services import remote_photos, submission
from sightings.services.remote_photos import address_is_forbidden, photo_download
from sightings.services.submission import sighting_submit
from tests import factories
from tests.sightings.test_submission import submit

TEST_HOST = "127.0.0.2"
DEADLINE = 1.0


@pytest.fixture
def test_host_allowed(monkeypatch):
    """Lets the downloader reach the local test servers on 127.0.0.2, and nothing else private."""
    original = remote_photos.address_is_forbidden
    monkeypatch.setattr(
        remote_photos, "address_is_forbidden", lambda address: str(address) != TEST_HOST and original(address)
    )


class DripServer:
    """A real server on 127.0.0.2 that answers each path with a head at once, then one byte at a time.

    Each byte comes well within any per-read timeout; the server gives up by itself after `limit_s`.
    """

    def __init__(self, routes, *, interval=0.2, limit_s=8.0):
        self.routes, self.interval, self.limit_s = routes, interval, limit_s
        self.stopped = threading.Event()
        self.listener = socket.create_server((TEST_HOST, 0))
        self.listener.settimeout(0.1)
        self.url = f"http://{TEST_HOST}:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection):
        with connection:
            request = connection.recv(65536).decode("latin-1")
            path = request.split(" ", 2)[1] if request.count(" ") >= 2 else "/"
            head, drip = self.routes.get(path, (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", b""))
            started = time.monotonic()
            try:
                connection.sendall(head)
                for byte in drip:
                    if self.stopped.is_set() or time.monotonic() - started > self.limit_s:
                        break
                    connection.sendall(bytes([byte]))
                    time.sleep(self.interval)
            except OSError:
                pass  # the client hung up: what the deadline is for

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=2)
        self.listener.close()


PHOTO = factories.photo_bytes()
BODY_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(PHOTO)


@pytest.fixture
def drip_server(test_host_allowed):
    server = DripServer(
        {
            "/drip-body": (BODY_HEAD, PHOTO),
            "/drip-headers": (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"),
            "/to-drip": (b"HTTP/1.1 302 Found\r\nLocation: /drip-body\r\nContent-Length: 0\r\n\r\n", b""),
            "/fast": (BODY_HEAD + PHOTO, b""),
        }
    )
    yield server
    server.stop()


@pytest.mark.parametrize("path", ["/drip-body", "/drip-headers", "/to-drip"])
def test_a_dripping_server_is_cut_off_at_the_one_deadline(drip_server, settings, path):
    settings.PHOTO_URL_DEADLINE_SECONDS = DEADLINE
    started = time.monotonic()
    with pytest.raises(ValidationError) as refused:
        photo_download(f"{drip_server.url}{path}")
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + 1.0, elapsed
    assert "within 1 seconds" in refused.value.message_dict["photo_url"][0]


@pytest.mark.django_db
def test_a_dripping_photo_url_answers_400_quickly_and_stores_nothing(api, drip_server, settings):
    settings.PHOTO_URL_DEADLINE_SECONDS = DEADLINE
    started = time.monotonic()
    response = submit(api, None, photo_url=f"{drip_server.url}/drip-body")
    assert time.monotonic() - started < DEADLINE + 1.5
    assert response.status_code == 400, response.content
    assert "within" in response.json()["photo_url"][0]
    assert Sighting.objects.count() == 0


def test_a_prompt_server_is_fetched_whole(drip_server, settings):
    settings.PHOTO_URL_DEADLINE_SECONDS = DEADLINE
    assert photo_download(f"{drip_server.url}/fast") == PHOTO


@pytest.mark.django_db
def test_the_submission_service_downloads_the_photo_url(angler, drip_server, settings):
    settings.PHOTO_URL_DEADLINE_SECONDS = DEADLINE
    sighting = sighting_submit(
        owner=angler,
        photo_url=f"{drip_server.url}/fast",
        latitude=41.5,
        longitude=-81.7,
        observed_at=factories.aware(2026, 6, 1, 8, 30),
    )
    assert Sighting.objects.get(pk=sighting.pk).photo_sha256 == submission.hashlib.sha256(PHOTO).hexdigest()


@pytest.mark.django_db
def test_the_api_view_leaves_the_download_to_the_service(api, monkeypatch):
    fetched = []

    def fake_download(url, *, max_bytes):
        fetched.append((url, max_bytes))
        return PHOTO

    monkeypatch.setattr(submission, "photo_download", fake_download)
    response = submit(api, None, photo_url="https://photos.example.org/fish.jpg")
    assert response.status_code == 201, response.content
    assert fetched == [("https://photos.example.org/fish.jpg", submission.settings.PHOTO_MAX_BYTES)]


# --- Which addresses may be fetched -----------------------------------------------------------

FORBIDDEN = [
    "127.0.0.1",
    "10.0.0.8",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "240.0.0.1",
    "255.255.255.255",
    "224.0.0.1",
    "233.252.0.1",
    "198.18.0.1",
    "192.0.2.1",
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "fec0:0:0:1::1",
    "ff02::1",
    "ff0e::1",
    "100::1",
    "2001:db8::1",
    # IPv4-compatible, IPv4-mapped and IPv4-translated forms of inner addresses
    "::127.0.0.1",
    "::10.0.0.1",
    "::8.8.8.8",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:0:a00:1",
    # NAT64 (well-known and local-use), 6to4 and Teredo
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::a00:1",
    "64:ff9b:1::808:808",
    "2002:7f00:1::1",
    "2002:a00:1::",
    "2002:a9fe:a9fe::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
]
ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_non_global_addresses_are_forbidden(address):
    assert address_is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    assert not address_is_forbidden(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "host", ["[::127.0.0.1]", "[fec0::1]", "[64:ff9b::7f00:1]", "[::ffff:127.0.0.1]", "[2002:7f00:1::1]"]
)
def test_photo_url_at_an_ipv6_form_of_an_inner_address_is_refused_before_connecting(host, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("connected to a forbidden address")

    monkeypatch.setattr(remote_photos.socket, "create_connection", no_connection)
    with pytest.raises(ValidationError) as refused:
        photo_download(f"http://{host}/fish.jpg")
    assert "private, loopback or reserved" in refused.value.message_dict["photo_url"][0]
