"""Fetch a photo from an address an angler gave, without letting them reach inside our network.

Every hop (redirects are followed by hand) is resolved once, refused unless all its addresses
are public, and then connected to by that address, so a DNS answer cannot change in between.
The whole download, every hop included, has one deadline: a watchdog shuts the socket down when
it passes, so a server that drips bytes (each read well within any per-read timeout) cannot keep
the caller busy.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from typing import NoReturn
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

MAX_REDIRECTS = 3
ALLOWED_SCHEMES = {"http": 80, "https": 443}
CHUNK_BYTES = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 ranges refused whatever follows the prefix: deprecated or local translation schemes and
# site-local addresses, which Python 3.11 still calls global.
_REFUSED_V6 = [
    ipaddress.ip_network(network)
    for network in (
        "::/96",  # IPv4-compatible (deprecated), with :: and ::1
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b:1::/48",  # local-use NAT64
        "2001::/32",  # Teredo
        "fec0::/10",  # site-local (deprecated)
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _refuse(message: str) -> NoReturn:
    raise ValidationError({"photo_url": message})


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv4-mapped, NAT64 or 6to4 address leads to."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_is_forbidden(address: IPAddress) -> bool:
    """True unless `address` is a public unicast address, also through any IPv4 it embeds."""
    if address.version == 6:
        if any(address in network for network in _REFUSED_V6):
            return True
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_is_forbidden(embedded)
    return (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_link_local
        or address.is_loopback
        or address.is_private
    )


def _public_address(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        _refuse(f"The host {host!r} cannot be resolved.")
    addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    for address in addresses:
        if address_is_forbidden(address):
            _refuse("The address points at a private, loopback or reserved network; it is not fetched.")
    return str(sorted(addresses, key=lambda a: a.version)[0])


class _Deadline:
    """One deadline for the whole download: shuts down every socket still open when it passes."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            self._too_slow()
        return left

    def watch(self, sock: socket.socket) -> None:
        # A duplicate of the descriptor reaches the same connection after TLS has wrapped `sock`.
        with self._lock:
            self._watched.append(sock.dup())
            if self.expired:
                self._shut_all()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut_all()

    def _shut_all(self) -> None:
        for sock in self._watched:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()

    def _too_slow(self) -> NoReturn:
        _refuse(f"The photo could not be fetched within {self.seconds:g} seconds.")

    def check(self) -> None:
        if self.expired or time.monotonic() >= self.ends:
            self._too_slow()


def _connect(
    scheme: str, host: str, address: str, port: int, deadline: _Deadline
) -> http.client.HTTPConnection:
    sock = socket.create_connection((address, port), timeout=deadline.remaining())
    deadline.watch(sock)
    if scheme == "https":
        context = ssl.create_default_context()
        sock = context.wrap_socket(sock, server_hostname=host)
    connection = http.client.HTTPConnection(host, port, timeout=deadline.remaining())
    connection.sock = sock
    return connection


def _get(url: str, deadline: _Deadline) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """One hop: the answer to GET `url`, from the address its host was checked to have."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        _refuse("Only http and https addresses are fetched.")
    if parts.username or parts.password:
        _refuse("Addresses with credentials are not fetched.")
    try:
        port = parts.port or ALLOWED_SCHEMES[parts.scheme]
    except ValueError:
        _refuse("The address has an invalid port.")
    address = _public_address(parts.hostname, port)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    connection = _connect(parts.scheme, parts.hostname, address, port, deadline)
    try:
        connection.request("GET", path, headers={"Host": parts.netloc, "Accept": "image/*"})
        return connection, connection.getresponse()
    except BaseException:
        connection.close()
        raise


def _body(response: http.client.HTTPResponse, deadline: _Deadline, max_bytes: int) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        _refuse(f"The photo is larger than {max_bytes} bytes.")
    chunks, total = [], 0
    while chunk := response.read(CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            _refuse(f"The photo is larger than {max_bytes} bytes.")
        chunks.append(chunk)
    # A socket shut down by the deadline reads as an early end: never take it for the whole photo.
    deadline.check()
    return b"".join(chunks)


def photo_download(url: str, *, max_bytes: int | None = None, deadline_seconds: float | None = None) -> bytes:
    """The bytes at `url`; ValidationError on `photo_url` for any address or answer we refuse."""
    max_bytes = max_bytes or settings.PHOTO_MAX_BYTES
    deadline = _Deadline(deadline_seconds or settings.PHOTO_URL_DEADLINE_SECONDS)
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            connection = None
            try:
                connection, response = _get(url, deadline)
                if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                    url = urljoin(url, response.getheader("Location"))
                    continue
                if response.status != 200:
                    _refuse(f"The address answered HTTP {response.status}.")
                return _body(response, deadline, max_bytes)
            except (OSError, http.client.HTTPException) as error:
                deadline.check()
                _refuse(f"The photo could not be fetched: {error.__class__.__name__}.")
            finally:
                if connection is not None:
                    connection.close()
        _refuse("Too many redirects.")
    finally:
        deadline.close()
