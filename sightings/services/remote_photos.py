"""Fetch a photo from an address an angler gave, without letting them reach inside our network.

Every hop (redirects are followed by hand) is resolved once, refused unless all its addresses
are public, and then connected to by that address, so a DNS answer cannot change in between.
"""

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError

MAX_REDIRECTS = 3
ALLOWED_SCHEMES = {"http": 80, "https": 443}


def _refuse(message):
    raise ValidationError({"photo_url": message})


def address_is_forbidden(address):
    return not address.is_global or address.is_multicast


def _public_address(host, port):
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        _refuse(f"The host {host!r} cannot be resolved.")
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    for address in addresses:
        if address_is_forbidden(address):
            _refuse("The address points at a private, loopback or reserved network; it is not fetched.")
    return str(sorted(addresses, key=lambda a: a.version)[0])


def _pool(scheme, host, address, port, timeout):
    common = {"port": port, "timeout": timeout, "retries": False, "maxsize": 1}
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address, server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED", **common
        )
    return urllib3.HTTPConnectionPool(address, **common)


def photo_download(url, *, max_bytes=None, timeout=None):
    """The bytes at `url`; ValidationError on `photo_url` for any address or answer we refuse."""
    max_bytes = max_bytes or settings.PHOTO_MAX_BYTES
    timeout = urllib3.Timeout(total=timeout or settings.PHOTO_URL_TIMEOUT_SECONDS)
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
            _refuse("Only http and https addresses are fetched.")
        if parts.username or parts.password:
            _refuse("Addresses with credentials are not fetched.")
        try:
            port = parts.port or ALLOWED_SCHEMES[parts.scheme]
        except ValueError:
            _refuse("The address has an invalid port.")
        host = parts.hostname
        address = _public_address(host, port)
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        try:
            response = _pool(parts.scheme, host, address, port, timeout).urlopen(
                "GET",
                path,
                headers={"Host": parts.netloc.rsplit("@", 1)[-1], "Accept": "image/*"},
                redirect=False,
                preload_content=False,
            )
        except urllib3.exceptions.HTTPError as error:
            _refuse(f"The photo could not be fetched: {error.__class__.__name__}.")
        try:
            if response.status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status != 200:
                _refuse(f"The address answered HTTP {response.status}.")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                _refuse(f"The photo is larger than {max_bytes} bytes.")
            chunks, total = [], 0
            for chunk in response.stream(64 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    _refuse(f"The photo is larger than {max_bytes} bytes.")
                chunks.append(chunk)
            return b"".join(chunks)
        except urllib3.exceptions.HTTPError as error:
            _refuse(f"The photo could not be fetched: {error.__class__.__name__}.")
        finally:
            response.release_conn()
    _refuse("Too many redirects.")
