"""Photos made in memory, including hostile ones."""

import io
import struct
import zipfile
import zlib
from datetime import datetime

from PIL import ExifTags, Image
from PIL.TiffImagePlugin import IFDRational


def encode(image, fmt="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def solid(color=(255, 0, 0), size=(16, 16), fmt="PNG", mode="RGB", **options):
    return encode(Image.new(mode, size, color), fmt, **options)


def dms(value):
    """Degrees, minutes and seconds as EXIF rationals."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 1000)
    return (IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 1000))


def exif(*, orientation=None, gps=None, gps_refs=None, taken_at=None, offset=None, make=None, model=None):
    """EXIF as a phone writes it. `gps` is (latitude, longitude) in decimal degrees, or raw
    (latitude rationals, longitude rationals) when `gps_refs` gives the N/S and E/W references."""
    data = Image.Exif()
    if orientation is not None:
        data[ExifTags.Base.Orientation] = orientation
    if make:
        data[ExifTags.Base.Make] = make
    if model:
        data[ExifTags.Base.Model] = model
    if gps is not None:
        ifd = data.get_ifd(ExifTags.IFD.GPSInfo)
        latitude, longitude = gps
        if gps_refs is None:
            gps_refs = ("N" if latitude >= 0 else "S", "E" if longitude >= 0 else "W")
            latitude, longitude = dms(latitude), dms(longitude)
        ifd[ExifTags.GPS.GPSLatitudeRef], ifd[ExifTags.GPS.GPSLatitude] = gps_refs[0], latitude
        ifd[ExifTags.GPS.GPSLongitudeRef], ifd[ExifTags.GPS.GPSLongitude] = gps_refs[1], longitude
    if taken_at is not None:
        details = data.get_ifd(ExifTags.IFD.Exif)
        details[ExifTags.Base.DateTimeOriginal] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
        if offset is not None:
            details[ExifTags.Base.OffsetTimeOriginal] = offset
    return data


def png_with_header_size(width, height):
    """A tiny valid PNG whose IHDR announces width x height: a decompression bomb's header."""
    data = bytearray(solid(size=(1, 1), mode="L", color=0))
    ihdr = 8  # after the signature: length (4), "IHDR" (4), data (13), CRC (4)
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 21])) & 0xFFFFFFFF
    data[ihdr + 21 : ihdr + 25] = struct.pack(">I", crc)
    return bytes(data)


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.jpg", solid(fmt="JPEG"))
    return buffer.getvalue()


HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
WHEN = datetime(2024, 6, 1, 7, 30, 15)
