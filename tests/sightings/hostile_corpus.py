"""Bad files and requests, generated on the fly (no committed binaries).

Each case is (name, photo bytes or None, extra form fields, the field the 400 must name).
"""

import io
import struct
import zipfile
import zlib

from PIL import Image

from tests import factories


def _image(fmt, size=(64, 48), mode="RGB", **save):
    buffer = io.BytesIO()
    Image.new(mode, size, 128 if mode in ("L", "I;16", "I") else (200, 30, 30)).save(buffer, fmt, **save)
    return buffer.getvalue()


def _png_with_header_size(width, height):
    """A tiny PNG whose header claims a huge canvas: a decompression bomb as seen from the header."""
    data = bytearray(_image("PNG", size=(1, 1)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def _compressed_bomb():
    buffer = io.BytesIO()
    Image.new("1", (15_000, 15_000)).save(buffer, "PNG")
    return buffer.getvalue()


def _gif_bomb():
    data = bytearray(_image("GIF"))
    data[6:10] = struct.pack("<HH", 65_000, 65_000)
    return bytes(data)


def _zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("fish.jpg", _image("JPEG"))
    return buffer.getvalue()


def _polyglot():
    """Starts like a JPEG, continues as HTML: no decoder can finish it."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<html><script>alert(document.cookie)</script></html>" * 20


def _corrupt_jpeg_tables(data):
    start = data.index(b"\xff\xc4") + 4
    return data[:start] + b"\xff" * 40 + data[start + 40 :]


def _corrupt_middle(data):
    middle = len(data) // 2
    return data[:middle] + bytes(255 - b for b in data[middle : middle + 200]) + data[middle + 200 :]


def _absurd_gps_exif_without_fields():
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    from PIL.TiffImagePlugin import IFDRational

    gps[1], gps[2] = "N", (IFDRational(500, 1), IFDRational(0, 1), IFDRational(0, 1))
    gps[3], gps[4] = "E", (IFDRational(900, 1), IFDRational(0, 1), IFDRational(0, 1))
    return factories.photo_bytes(exif=exif)


JPEG = _image("JPEG", size=(400, 300))
PNG = _image("PNG", size=(400, 300))
GIF = _image("GIF", size=(400, 300))
WEBP = _image("WEBP", size=(400, 300))
NO_LOCATION = {"latitude": None, "longitude": None}

CASES = [
    ("truncated jpeg", JPEG[: len(JPEG) // 3], {}, "photo"),
    ("truncated png", PNG[: len(PNG) // 2], {}, "photo"),
    ("truncated gif", GIF[: len(GIF) // 2], {}, "photo"),
    ("truncated webp", WEBP[: len(WEBP) // 2], {}, "photo"),
    ("jpeg header only", JPEG[:20], {}, "photo"),
    ("corrupt jpeg huffman tables", _corrupt_jpeg_tables(JPEG), {}, "photo"),
    ("corrupt png body", _corrupt_middle(PNG), {}, "photo"),
    ("corrupt gif body", GIF[:13] + b"\x00" * 40 + GIF[53:], {}, "photo"),
    ("corrupt webp body", WEBP[:12] + b"VP8 " + b"\xff" * 60, {}, "photo"),
    ("png header bomb", _png_with_header_size(100_000, 100_000), {}, "photo"),
    ("compressed png bomb", _compressed_bomb(), {}, "photo"),
    ("gif header bomb", _gif_bomb(), {}, "photo"),
    ("1x1 image", _image("PNG", size=(1, 1)), {}, "photo"),
    ("50000 px wide image", _image("PNG", size=(50_000, 1), mode="L"), {}, "photo"),
    ("html renamed jpg", b"<!doctype html><html><body>fish</body></html>", {}, "photo"),
    ("svg renamed jpg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', {}, "photo"),
    ("polyglot jpeg html", _polyglot(), {}, "photo"),
    ("zip archive", _zip(), {}, "photo"),
    ("pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", {}, "photo"),
    ("tiff", _image("TIFF"), {}, "photo"),
    ("bmp", _image("BMP"), {}, "photo"),
    ("zero bytes", b"", {}, "photo"),
    ("random bytes", bytes(range(256)) * 40, {}, "photo"),
    ("absurd exif gps, no fields", _absurd_gps_exif_without_fields(), NO_LOCATION, "latitude"),
    ("latitude 1e308", None, {"latitude": "1e308"}, "latitude"),
    ("latitude infinity", None, {"latitude": "Infinity"}, "latitude"),
    ("longitude -inf", None, {"longitude": "-inf"}, "longitude"),
    ("latitude sql injection", None, {"latitude": "41.5; DROP TABLE sightings_sighting;--"}, "latitude"),
    ("observed_at sql injection", None, {"observed_at": "2026-06-01' OR '1'='1"}, "observed_at"),
    ("observed_at year 9999", None, {"observed_at": "9999-12-31T23:59:59Z"}, "observed_at"),
    ("observed_at year 1066", None, {"observed_at": "1066-10-14T09:00:00Z"}, "observed_at"),
    ("length absurd", None, {"length_cm": "100000"}, "length_cm"),
    ("length not a number", None, {"length_cm": "<script>"}, "length_cm"),
    ("notes too long", None, {"notes": "x" * 5001}, "notes"),
    ("license unknown", None, {"license": "public'; --"}, "license"),
    ("geoprivacy injection", None, {"geoprivacy": "<img src=x onerror=alert(1)>"}, "geoprivacy"),
    ("photo url javascript", False, {"photo_url": "javascript:alert(1)"}, "photo_url"),
    ("photo url loopback v6", False, {"photo_url": "http://[::1]/fish.jpg"}, "photo_url"),
    ("photo url localhost name", False, {"photo_url": "http://localhost:8000/fish.jpg"}, "photo_url"),
    ("photo url decimal ip", False, {"photo_url": "http://2130706433/fish.jpg"}, "photo_url"),
    ("photo url metadata", False, {"photo_url": "http://169.254.169.254/latest/meta-data/"}, "photo_url"),
    ("photo url with credentials", False, {"photo_url": "http://user:pw@example.com/fish.jpg"}, "photo_url"),
    ("photo url gopher", False, {"photo_url": "gopher://127.0.0.1:6379/_FLUSHALL"}, "photo_url"),
    ("photo url too long", False, {"photo_url": "https://example.com/" + "a" * 2100}, "photo_url"),
    ("photo url ipv4-compatible loopback", False, {"photo_url": "http://[::127.0.0.1]/"}, "photo_url"),
    ("photo url ipv6 site-local", False, {"photo_url": "http://[fec0::1]/fish.jpg"}, "photo_url"),
    ("photo url nat64 loopback", False, {"photo_url": "http://[64:ff9b::7f00:1]/fish.jpg"}, "photo_url"),
    ("photo url nat64 metadata", False, {"photo_url": "http://[64:ff9b::a9fe:a9fe]/latest/"}, "photo_url"),
    ("photo url 6to4 private", False, {"photo_url": "http://[2002:a00:1::1]/fish.jpg"}, "photo_url"),
    ("photo url ipv4-mapped private", False, {"photo_url": "http://[::ffff:192.168.0.1]/"}, "photo_url"),
    ("length negative", None, {"length_cm": "-5"}, "length_cm"),
    ("length zero", None, {"length_cm": "0"}, "length_cm"),
    ("length above 20 m", None, {"length_cm": "2000.1"}, "length_cm"),
]

# Odd but real photos: accepted, classified, never crash the worker.
ACCEPTED = [
    ("cmyk jpeg", _image("JPEG", mode="CMYK")),
    ("16-bit png", _image("PNG", mode="I;16")),
    ("grayscale jpeg", _image("JPEG", mode="L")),
    ("palette png with transparency", _image("PNG", mode="P", transparency=0)),
    ("rgba webp", _image("WEBP", mode="RGBA")),
    ("animated gif", _image("GIF", save_all=True, append_images=[Image.new("RGB", (64, 48), (10, 200, 10))])),
]

# JSON bodies for POST /api/v1/sightings/ and PATCH /api/v1/sightings/{id}/: (name, raw body, the key
# the 400 must name). "detail" is the parser's refusal of the body as a whole.
JSON_BODIES = [
    ("arrays nested 100000 deep", "[" * 100_000 + "]" * 100_000, "detail"),
    ("objects nested 5000 deep", '{"a": ' * 5000 + "1" + "}" * 5000, "detail"),
    ("notes nested 40 deep", '{"notes": ' + "[" * 40 + "]" * 40 + "}", "detail"),
    ("length negative", '{"length_cm": -5}', "length_cm"),
    ("length zero", '{"length_cm": 0}', "length_cm"),
    ("length above 20 m", '{"length_cm": 2000.1}', "length_cm"),
    ("length 1e400", '{"length_cm": 1e400}', "length_cm"),
    ("length NaN", '{"length_cm": NaN}', "detail"),
    ("length with 5000 digits", '{"length_cm": 1' + "0" * 5000 + "}", "detail"),
    ("length as a list", '{"length_cm": [1]}', "length_cm"),
    ("notes as an object", '{"notes": {"x": 1}}', "notes"),
    ("notes with a NUL", '{"notes": "a\\u0000b"}', "notes"),
    ("notes with a lone surrogate", '{"notes": "\\ud800"}', "notes"),
    ("notes too long", '{"notes": "' + "x" * 5001 + '"}', "notes"),
    ("geoprivacy as a list", '{"geoprivacy": ["open"]}', "geoprivacy"),
    ("license as a number", '{"license": 7}', "license"),
    ("body is a list", "[1, 2]", "non_field_errors"),
    ("single quotes", "{'notes': 'x'}", "detail"),
    ("truncated", '{"notes": "x"', "detail"),
]
