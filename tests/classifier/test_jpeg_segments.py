import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from classifier.imaging import public_jpeg
from classifier.jpeg_segments import jpeg_strip_metadata

from .photos import WHEN, encode, exif

XMP = b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>owner jane, 46.75 N</x:xmpmeta>"
SECRETS = (b"Exif", b"Pixel", b"jane", b"46.75", b"xmpmeta", b"trailer")


def textured(size=(96, 64)):
    """Noise, so that the entropy-coded data holds many 0xFF bytes (stuffed as FF 00)."""
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))


def with_metadata(**options):
    data = encode(
        textured(),
        "JPEG",
        exif=exif(gps=(46.75, -92.1), taken_at=WHEN, make="Pixel"),
        comment=b"owner: jane",
        **options,
    )
    # An APP1 XMP packet after the EXIF one, and bytes after the end of the image (a vendor trailer).
    return data[:2] + b"\xff\xe1" + (len(XMP) + 2).to_bytes(2, "big") + XMP + data[2:] + b"trailer 46.75"


def pixels(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize(
    "options",
    [{"quality": 90}, {"progressive": True}, {"restart_marker_blocks": 1}, {"subsampling": 0}],
    ids=["baseline", "progressive", "restart-markers", "4:4:4"],
)
def test_drops_every_metadata_segment_and_keeps_the_picture_bit_for_bit(options):
    original = with_metadata(**options)
    stripped = jpeg_strip_metadata(original)
    assert stripped is not None
    for secret in SECRETS:
        assert secret in original and secret not in stripped
    image = Image.open(io.BytesIO(stripped))
    assert not image.getexif()
    assert not {"exif", "xmp", "comment", "icc_profile", "jfif"} & set(image.info)
    assert np.array_equal(pixels(stripped), pixels(original))


@pytest.mark.parametrize(
    "data",
    [
        encode(
            textured(), "JPEG", icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        ),
        encode(Image.new("CMYK", (16, 16)), "JPEG"),  # an Adobe segment says how to read its components
        encode(textured(), "JPEG")[:-200],  # cut short
        encode(textured(), "PNG"),
        b"",
    ],
    ids=["icc-profile", "adobe-cmyk", "truncated", "png", "empty"],
)
def test_answers_none_where_a_copy_would_change_the_look_or_is_not_a_whole_jpeg(data):
    assert jpeg_strip_metadata(data) is None


def test_damaged_bytes_give_none_or_a_jpeg_never_an_exception():
    original = with_metadata()
    rng = np.random.default_rng(11)
    outcomes = set()
    for _ in range(300):
        damaged = bytearray(original)
        for position in rng.integers(0, len(damaged), rng.integers(1, 8)):
            damaged[position] = rng.integers(0, 256)
        result = jpeg_strip_metadata(bytes(damaged))
        outcomes.add(result is None)
        if result is not None:
            assert result.startswith(b"\xff\xd8") and result.endswith(b"\xff\xd9")
    assert outcomes == {True, False}


class TestPublicJpegCopiesAPlainJpeg:
    def test_an_upright_jpeg_that_fits_is_its_own_picture_without_metadata(self):
        original = with_metadata()
        public = public_jpeg(original, max_pixels=10**7)
        assert public == jpeg_strip_metadata(original)
        assert np.array_equal(pixels(public), pixels(original))

    def test_a_turned_photo_is_still_encoded_upright(self):
        original = encode(textured((60, 40)), "JPEG", exif=exif(orientation=6, make="Pixel"))
        public = public_jpeg(original, max_pixels=10**7)
        assert Image.open(io.BytesIO(public)).size == (40, 60)
        assert b"Pixel" not in public

    def test_damaged_picture_data_is_refused_as_before(self):
        from classifier.imaging import PhotoError

        original = encode(textured((400, 300)), "JPEG")
        damaged = original[:600] + b"\xff\xd9"  # a scan cut off, then an end-of-image marker
        with pytest.raises(PhotoError):
            public_jpeg(damaged, max_pixels=10**7)
