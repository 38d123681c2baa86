"""Untrusted photo bytes in, verified facts and safe pixels out (Pillow).

Every function here opens the bytes with an allow-list of decoders, refuses an image whose header
already announces too many pixels, and turns every decoder failure into a PhotoError.
"""

import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from .jpeg_segments import jpeg_strip_metadata

# The JPEG decoder also opens MPO files (camera JPEGs with extra frames).
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# What each allowed decoder's format is reported as: an MPO is a JPEG with extra frames.
_REPORTED = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "MPO": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "GIF": ("GIF", "image/gif", "gif"),
}
# Images the platform does not take, recognised to say so rather than "not an image".
_OTHER_IMAGE_SIGNATURES = (
    (0, b"BM", "BMP"),
    (0, b"II*\x00", "TIFF"),
    (0, b"MM\x00*", "TIFF"),
    (0, b"8BPS", "PSD"),
    (0, b"\x00\x00\x01\x00", "ICO"),
    (0, b"\xff\x0a", "JPEG XL"),
    (0, b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
)
_ORIENTATION_TAG = 0x0112
_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}
_MAX_TEXT = 200
# A public copy of a larger JPEG may come out this much below its max side, so that it decodes at
# a smaller DCT scale.
_PUBLIC_DRAFT_SLACK = 0.9
_METADATA_KEYS = frozenset({"exif", "icc_profile", "xmp", "comment", "photoshop", "adobe", "mp", "jfif"})


class PhotoError(ValueError):
    """A photo the platform cannot take. `code` is a short machine string, str() a sentence."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PhotoInfo:
    format: str
    width: int
    height: int
    mime_type: str
    extension: str
    gps: tuple[float, float] | None
    taken_at: datetime | None
    exif: dict


def inspect_photo(data: bytes, *, max_pixels: int, max_bytes: int | None = None) -> PhotoInfo:
    """Verify that `data` is a whole, decodable photo of an allowed format and read its metadata.

    Width and height are those after EXIF orientation. `taken_at` is aware when the camera recorded
    its UTC offset (OffsetTimeOriginal) and naive otherwise: only the caller knows the place.
    """
    if max_bytes is not None and len(data) > max_bytes:
        raise PhotoError("too_large", f"The photo is larger than {max_bytes // (1024 * 1024)} MB.")
    with _decoding_errors():
        image = _open(data, max_pixels=max_pixels)
        reported_format, mime_type, extension = _REPORTED[image.format]
        width, height = image.size
        raw_exif = image.getexif()
        if reported_format == "JPEG":
            # Decoding at 1/8 scale still reads every entropy-coded byte, so truncation shows.
            image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
        image.load()
    orientation = _orientation(raw_exif)
    if orientation in _SWAPPING_ORIENTATIONS:
        width, height = height, width
    exif, gps, taken_at = _exif_summary(raw_exif, orientation)
    return PhotoInfo(
        format=reported_format,
        width=width,
        height=height,
        mime_type=mime_type,
        extension=extension,
        gps=gps,
        taken_at=taken_at,
        exif=exif,
    )


def load_rgb(data: bytes, *, max_pixels: int, draft_size: tuple[int, int] | None = None) -> Image.Image:
    """Decode a photo for inference: upright RGB, a JPEG decoded at the smallest scale whose both
    sides are still at least `draft_size` (width, height, after orientation)."""
    with _decoding_errors():
        image = _open(data, max_pixels=max_pixels)
        if draft_size is not None and image.format in ("JPEG", "MPO"):
            width, height = draft_size
            if _orientation(image.getexif()) in _SWAPPING_ORIENTATIONS:
                width, height = height, width
            image.draft("RGB", (max(1, width), max(1, height)))
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return _to_rgb(image)


def public_jpeg(data: bytes, *, max_side: int = 2048, max_pixels: int, quality: int = 85) -> bytes:
    """An upright RGB JPEG copy at most `max_side` pixels on its longer side (a larger photo at
    least 90% of it), without any metadata: no EXIF, GPS, XMP, comment or ICC profile. The only
    copy others may see."""
    with _decoding_errors():
        image = _open(data, max_pixels=max_pixels)
        stripped = _plain_jpeg_copy(image, data, max_side=max_side)
        if stripped is not None:
            return stripped
        if image.format in ("JPEG", "MPO"):
            # A 4000-pixel phone photo decodes at half scale (2000 pixels) instead of in full and
            # then resampled: a quarter of the work.
            ratio = _PUBLIC_DRAFT_SLACK * max_side / max(image.size)
            if ratio < 1:
                image.draft("RGB", (max(1, int(image.width * ratio)), max(1, int(image.height * ratio))))
        image.load()
        icc_profile = image.info.get("icc_profile")
        ImageOps.exif_transpose(image, in_place=True)
        image = _to_srgb(image, icc_profile) if icc_profile else _to_rgb(image)
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # A fresh image carries no info dictionary, so nothing from the upload can be written back.
    clean = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    # Baseline with optimized tables: a progressive file is about 6% smaller but takes twice as
    # long to encode, on every sighting in the worker.
    clean.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _plain_jpeg_copy(image: Image.Image, data: bytes, *, max_side: int) -> bytes | None:
    """An upright RGB JPEG that fits needs no new pixels: its picture's segments, copied without
    the metadata (see classifier.jpeg_segments), once the whole picture decodes (at 1/8 scale,
    which still reads every entropy-coded byte). None when it needs turning, scaling or colour
    conversion, or the copy would not be a plain JPEG of the same size."""
    if image.format not in ("JPEG", "MPO") or image.mode != "RGB" or max(image.size) > max_side:
        return None
    if _orientation(image.getexif()) != 1 or "icc_profile" in image.info:
        return None
    stripped = jpeg_strip_metadata(data)
    if stripped is None:
        return None
    copy = Image.open(io.BytesIO(stripped), formats=("JPEG",))
    if copy.size != image.size or copy.mode != "RGB" or copy.getexif() or _METADATA_KEYS & set(copy.info):
        return None
    image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
    image.load()
    return stripped


# --- Opening and decoding ------------------------------------------------------------------------


class _decoding_errors:
    """Turns whatever a decoder raises on hostile bytes into a PhotoError."""

    def __enter__(self):
        if ImageFile.LOAD_TRUNCATED_IMAGES:
            raise RuntimeError(
                "PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False: truncated photos are refused."
            )
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc is None or isinstance(exc, PhotoError):
            return False
        if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            raise PhotoError("too_many_pixels", "The photo has too many pixels.") from exc
        if isinstance(exc, UnidentifiedImageError):
            raise PhotoError("not_an_image", "The file is not a photo in a supported format.") from exc
        if isinstance(exc, OSError) and "truncated" in str(exc).lower():
            raise PhotoError("truncated", "The photo is incomplete: the file was cut short.") from exc
        if isinstance(exc, (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError)):
            raise PhotoError("corrupt", "The photo is damaged and cannot be decoded.") from exc
        return False


def _open(data, *, max_pixels):
    if not data:
        raise PhotoError("empty", "The photo is empty (0 bytes).")
    try:
        image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        other = _other_image_format(data)
        if other:
            raise PhotoError(
                "unsupported_format", f"{other} photos are not accepted: send a JPEG, PNG, WebP or GIF."
            ) from None
        raise
    if image.format not in _REPORTED:
        raise PhotoError("unsupported_format", f"{image.format} photos are not accepted.")
    width, height = image.size
    if width < 1 or height < 1:
        raise PhotoError("corrupt", "The photo has no pixels.")
    limit = max_pixels if Image.MAX_IMAGE_PIXELS is None else min(max_pixels, Image.MAX_IMAGE_PIXELS)
    if width * height > limit:
        raise PhotoError(
            "too_many_pixels", f"The photo has {width}x{height} pixels; at most {max_pixels:,} are accepted."
        )
    return image


def _other_image_format(data):
    for offset, signature, name in _OTHER_IMAGE_SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return name
    return None


def _to_rgb(image):
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # Pillow's own conversion clips 16-bit values at 255; scale them down instead.
        values = np.asarray(image, dtype=np.uint32) >> 8
        gray = Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), mode="L")
        return gray.convert("RGB")
    if mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float32))
        return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), mode="L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in image.info):
        # Transparent areas become white, as a viewer would show them.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _to_srgb(image, icc_profile):
    if image.mode in ("RGB", "CMYK"):
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImportError, OSError, ValueError, TypeError, ImageCms.PyCMSError):
            pass
    return _to_rgb(image)


# --- EXIF ------------------------------------------------------------------------------------------


def _orientation(exif):
    value = exif.get(_ORIENTATION_TAG)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _exif_summary(exif, orientation):
    summary = {}
    for tag in (ExifTags.Base.Make, ExifTags.Base.Model, ExifTags.Base.Software):
        text = _text(exif.get(tag))
        if text:
            summary[tag.name] = text
    if orientation != 1:
        summary["Orientation"] = orientation

    details = _ifd(exif, ExifTags.IFD.Exif)
    taken_text = _text(details.get(ExifTags.Base.DateTimeOriginal))
    offset_text = _text(details.get(ExifTags.Base.OffsetTimeOriginal))
    taken_at = _exif_datetime(taken_text, offset_text)
    if taken_at is not None:
        summary["DateTimeOriginal"] = taken_at.replace(tzinfo=None).isoformat()
        if taken_at.tzinfo is not None:
            summary["OffsetTimeOriginal"] = offset_text

    gps_ifd = _ifd(exif, ExifTags.IFD.GPSInfo)
    gps = _gps_position(gps_ifd)
    if gps is not None:
        summary["GPSLatitude"], summary["GPSLongitude"] = gps
        altitude = _rational(gps_ifd.get(ExifTags.GPS.GPSAltitude))
        if altitude is not None and abs(altitude) < 100_000:
            below_sea = gps_ifd.get(ExifTags.GPS.GPSAltitudeRef) in (1, b"\x01")
            summary["GPSAltitude"] = round(-altitude if below_sea else altitude, 2)
    return summary, gps, taken_at


def _ifd(exif, ifd):
    try:
        return exif.get_ifd(ifd) or {}
    except (KeyError, ValueError, TypeError, OSError, SyntaxError, EOFError):
        return {}


def _text(value):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ch.isprintable()).strip()[:_MAX_TEXT]


def _exif_datetime(text, offset_text):
    try:
        taken = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = _utc_offset(offset_text)
    return taken.replace(tzinfo=offset) if offset is not None else taken


def _utc_offset(text):
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _rational(value):
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _degrees(value):
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    parts = [_rational(part) for part in value]
    if any(part is None or part < 0 for part in parts):
        return None
    return parts[0] + parts[1] / 60 + parts[2] / 3600


def _gps_position(gps):
    latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude))
    longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude))
    if latitude is None or longitude is None:
        return None
    if _text(gps.get(ExifTags.GPS.GPSLatitudeRef)).upper() == "S":
        latitude = -latitude
    if _text(gps.get(ExifTags.GPS.GPSLongitudeRef)).upper() == "W":
        longitude = -longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return round(latitude, 7), round(longitude, 7)
