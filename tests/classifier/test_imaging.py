import io
import json
from datetime import timedelta

import numpy as np
import pytest
from PIL import Image, ImageCms

from classifier.imaging import PhotoError, inspect_photo, load_rgb, public_jpeg

from .photos import HTML, SVG, WHEN, encode, exif, png_with_header_size, solid, zip_bytes

MAX_PIXELS = 50_000_000


def oriented_png(orientation):
    """A 4x2 PNG whose every pixel is distinct: red codes x, green codes y."""
    pixels = np.zeros((2, 4, 3), dtype=np.uint8)
    for y in range(2):
        for x in range(4):
            pixels[y, x] = (x * 60, y * 200, 100)
    return pixels, encode(Image.fromarray(pixels), "PNG", exif=exif(orientation=orientation))


class TestInspectPhoto:
    def test_reads_format_size_and_mime_type_of_a_jpeg(self):
        info = inspect_photo(solid(size=(30, 20), fmt="JPEG"), max_pixels=MAX_PIXELS)
        assert (info.format, info.width, info.height) == ("JPEG", 30, 20)
        assert (info.mime_type, info.extension) == ("image/jpeg", "jpg")
        assert info.gps is None and info.taken_at is None

    @pytest.mark.parametrize(
        ("fmt", "mime_type", "extension"),
        [("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp"), ("GIF", "image/gif", "gif")],
    )
    def test_accepts_the_other_allowed_formats(self, fmt, mime_type, extension):
        info = inspect_photo(solid(size=(9, 7), fmt=fmt), max_pixels=MAX_PIXELS)
        assert (info.format, info.mime_type, info.extension, info.width, info.height) == (
            fmt,
            mime_type,
            extension,
            9,
            7,
        )

    @pytest.mark.parametrize("orientation", [6, 8, 5, 7])
    def test_size_is_the_size_after_an_orientation_that_turns(self, orientation):
        data = solid(size=(4, 2), fmt="JPEG", exif=exif(orientation=orientation))
        info = inspect_photo(data, max_pixels=MAX_PIXELS)
        assert (info.width, info.height) == (2, 4)
        assert info.exif["Orientation"] == orientation

    def test_reads_gps_in_decimal_degrees_and_an_aware_time_with_its_offset(self):
        data = solid(
            fmt="JPEG",
            exif=exif(gps=(46.7501, -92.1), taken_at=WHEN, offset="-05:00", make="Pixel", model="7a"),
        )
        info = inspect_photo(data, max_pixels=MAX_PIXELS)
        assert info.gps == pytest.approx((46.7501, -92.1), abs=1e-6)
        assert info.taken_at.replace(tzinfo=None) == WHEN and info.taken_at.utcoffset() == timedelta(hours=-5)
        assert info.exif["Make"] == "Pixel" and info.exif["Model"] == "7a"
        assert info.exif["GPSLatitude"] == pytest.approx(46.7501, abs=1e-6)
        assert json.loads(json.dumps(info.exif)) == info.exif

    def test_southern_and_western_references_give_negative_degrees(self):
        info = inspect_photo(solid(fmt="JPEG", exif=exif(gps=(-33.86, -151.2))), max_pixels=MAX_PIXELS)
        assert info.gps[0] < 0 and info.gps[1] < 0

    def test_time_without_an_offset_stays_naive(self):
        info = inspect_photo(solid(fmt="JPEG", exif=exif(taken_at=WHEN)), max_pixels=MAX_PIXELS)
        assert info.taken_at == WHEN and info.taken_at.tzinfo is None

    @pytest.mark.parametrize(
        "position",
        [
            ((95, 0), (10, 0)),  # latitude beyond the pole
            ((10, 0), (200, 0)),  # longitude beyond the date line
            ((10, 0), (10, 0), (1, 0)),  # a rational with a zero denominator
        ],
    )
    def test_absurd_or_malformed_gps_is_ignored(self, position):
        from PIL.TiffImagePlugin import IFDRational

        def rationals(pair):
            return (IFDRational(*pair), IFDRational(0, 1), IFDRational(0, 1))

        latitude = rationals(position[0])
        longitude = (
            rationals(position[1])
            if len(position) == 2
            else (IFDRational(10, 1), IFDRational(1, 0), IFDRational(0, 1))
        )
        data = solid(fmt="JPEG", exif=exif(gps=(latitude, longitude), gps_refs=("N", "E")))
        info = inspect_photo(data, max_pixels=MAX_PIXELS)
        assert info.gps is None
        assert "GPSLatitude" not in info.exif

    def test_a_50000_by_1_image_is_accepted(self):
        info = inspect_photo(solid(size=(50_000, 1)), max_pixels=MAX_PIXELS)
        assert (info.width, info.height) == (50_000, 1)


class TestRefusals:
    @pytest.mark.parametrize(
        ("data", "code"),
        [
            (b"", "empty"),
            (HTML, "not_an_image"),
            (SVG, "not_an_image"),
            (zip_bytes(), "not_an_image"),
            (solid(fmt="BMP"), "unsupported_format"),
            (solid(fmt="TIFF"), "unsupported_format"),
            (solid(size=(64, 64), fmt="JPEG")[:-200], "truncated"),
        ],
        ids=["empty", "html", "svg", "zip", "bmp", "tiff", "truncated-jpeg"],
    )
    def test_refused_with_a_code_and_a_message(self, data, code):
        with pytest.raises(PhotoError) as caught:
            inspect_photo(data, max_pixels=MAX_PIXELS)
        assert caught.value.code == code
        assert isinstance(caught.value, ValueError) and len(str(caught.value)) > 10

    def test_a_truncated_png_is_refused(self):
        noisy = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
        data = encode(Image.fromarray(noisy), "PNG")
        with pytest.raises(PhotoError) as caught:
            inspect_photo(data[: len(data) // 2], max_pixels=MAX_PIXELS)
        assert caught.value.code in ("truncated", "corrupt")

    def test_a_polyglot_that_does_not_decode_is_refused(self):
        polyglot = solid(fmt="JPEG")[:20] + HTML * 4
        with pytest.raises(PhotoError) as caught:
            inspect_photo(polyglot, max_pixels=MAX_PIXELS)
        assert caught.value.code in ("truncated", "corrupt", "not_an_image")

    def test_a_header_announcing_a_bomb_is_refused_before_decoding(self):
        with pytest.raises(PhotoError) as caught:
            inspect_photo(png_with_header_size(60_000, 60_000), max_pixels=MAX_PIXELS)
        assert caught.value.code == "too_many_pixels"

    def test_more_pixels_than_the_limit_is_refused(self):
        with pytest.raises(PhotoError) as caught:
            load_rgb(png_with_header_size(8_000, 8_000), max_pixels=MAX_PIXELS)
        assert caught.value.code == "too_many_pixels"
        assert inspect_photo(solid(size=(10, 10)), max_pixels=100).width == 10
        with pytest.raises(PhotoError):
            inspect_photo(solid(size=(10, 11)), max_pixels=100)

    @pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
    def test_pillows_own_bomb_guard_stays_on_above_a_generous_limit(self):
        over_pillow = int((Image.MAX_IMAGE_PIXELS + 1) ** 0.5) + 1
        with pytest.raises(PhotoError) as caught:
            inspect_photo(png_with_header_size(over_pillow, over_pillow), max_pixels=10**12)
        assert caught.value.code == "too_many_pixels"

    def test_too_many_bytes_is_refused(self):
        data = solid(fmt="PNG")
        with pytest.raises(PhotoError) as caught:
            inspect_photo(data, max_pixels=MAX_PIXELS, max_bytes=len(data) - 1)
        assert caught.value.code == "too_large"
        assert inspect_photo(data, max_pixels=MAX_PIXELS, max_bytes=len(data)).format == "PNG"


class TestLoadRgb:
    def test_orientation_6_turns_a_4x2_image_into_2x4_clockwise(self):
        pixels, data = oriented_png(6)
        image = load_rgb(data, max_pixels=MAX_PIXELS)
        assert image.size == (2, 4)
        turned = np.asarray(image)
        # Orientation 6: the stored image is shown turned 90 degrees clockwise.
        assert np.array_equal(turned, np.rot90(pixels, k=-1))

    @pytest.mark.parametrize(
        ("mode", "color"),
        [
            ("CMYK", (0, 0, 0, 0)),
            ("L", 77),
            ("1", 1),
            ("P", 5),
            ("RGBA", (10, 20, 30, 255)),
            ("LA", (90, 255)),
        ],
    )
    def test_every_mode_becomes_rgb(self, mode, color):
        fmt = "JPEG" if mode == "CMYK" else "PNG"
        image = load_rgb(solid(size=(5, 3), mode=mode, color=color, fmt=fmt), max_pixels=MAX_PIXELS)
        assert image.mode == "RGB" and image.size == (5, 3)

    def test_cmyk_cyan_decodes_as_cyan(self):
        image = load_rgb(solid(mode="CMYK", color=(255, 0, 0, 0), fmt="JPEG"), max_pixels=MAX_PIXELS)
        red, green, blue = image.getpixel((8, 8))
        assert red < 40 and green > 215 and blue > 215

    def test_16_bit_grey_is_scaled_not_clipped(self):
        value = 0x8000
        image = Image.fromarray(np.full((4, 4), value, dtype=np.uint16))
        assert image.mode.startswith("I;16")
        rgb = load_rgb(encode(image, "PNG"), max_pixels=MAX_PIXELS)
        assert rgb.getpixel((0, 0)) == (value >> 8,) * 3

    def test_transparent_palette_pixels_become_white(self):
        image = Image.new("P", (4, 4), 0)
        image.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
        image.putpixel((0, 0), 1)
        rgb = load_rgb(encode(image, "PNG", transparency=0), max_pixels=MAX_PIXELS)
        assert rgb.getpixel((0, 0)) == (200, 0, 0)
        assert rgb.getpixel((3, 3)) == (255, 255, 255)

    def test_an_animated_gif_gives_its_first_frame(self):
        frames = [Image.new("RGB", (6, 6), color) for color in ((255, 0, 0), (0, 0, 255))]
        data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
        assert Image.open(io.BytesIO(data)).n_frames == 2
        red, green, blue = load_rgb(data, max_pixels=MAX_PIXELS).getpixel((3, 3))
        assert red > 200 and blue < 50

    def test_a_1x1_image(self):
        assert load_rgb(solid(size=(1, 1), fmt="WEBP"), max_pixels=MAX_PIXELS).size == (1, 1)


@pytest.fixture(scope="module")
def big_jpeg():
    return solid(size=(4000, 3000), fmt="JPEG", color=(30, 120, 200))


class TestDraft:
    @pytest.mark.parametrize("requested", [(224, 224), (700, 500), (1100, 900), (2100, 1600), (4000, 3000)])
    def test_decodes_smaller_but_never_below_the_requested_size(self, big_jpeg, requested):
        image = load_rgb(big_jpeg, max_pixels=MAX_PIXELS, draft_size=requested)
        assert image.width >= requested[0] and image.height >= requested[1]
        assert image.width <= 4000 and image.height <= 3000
        assert image.width / image.height == pytest.approx(4000 / 3000, rel=0.01)

    def test_a_small_requested_size_decodes_far_fewer_pixels(self, big_jpeg):
        image = load_rgb(big_jpeg, max_pixels=MAX_PIXELS, draft_size=(224, 224))
        assert image.width * image.height <= 4000 * 3000 / 16

    def test_the_requested_size_is_upright_size_when_the_photo_is_turned(self):
        data = solid(size=(4000, 1000), fmt="JPEG", exif=exif(orientation=6))
        image = load_rgb(data, max_pixels=MAX_PIXELS, draft_size=(400, 224))
        assert image.size[0] < image.size[1]
        assert image.width >= 400 and image.height >= 224


class TestPublicJpeg:
    def test_has_no_metadata_at_all(self):
        profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        data = solid(
            size=(40, 20),
            fmt="JPEG",
            exif=exif(gps=(46.75, -92.1), taken_at=WHEN, make="Pixel"),
            icc_profile=profile,
            comment=b"owner: jane",
        )
        public = public_jpeg(data, max_pixels=MAX_PIXELS)
        image = Image.open(io.BytesIO(public))
        assert image.format == "JPEG" and image.mode == "RGB"
        assert not image.getexif()
        assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
        for marker in (b"Exif", b"ICC_PROFILE", b"http://ns.adobe.com/xap", b"jane", b"Pixel"):
            assert marker not in public

    def test_is_upright_and_at_most_max_side(self):
        data = solid(size=(3000, 1000), fmt="JPEG", exif=exif(orientation=6))
        image = Image.open(io.BytesIO(public_jpeg(data, max_side=600, max_pixels=MAX_PIXELS)))
        assert image.size == (200, 600)

    def test_a_phone_photo_decodes_at_half_scale_and_keeps_most_of_max_side(self):
        data = solid(size=(4000, 3000), fmt="JPEG")
        image = Image.open(io.BytesIO(public_jpeg(data, max_side=2048, max_pixels=MAX_PIXELS)))
        assert image.size == (2000, 1500)

    def test_a_small_transparent_png_keeps_its_size(self):
        data = solid(size=(30, 10), mode="RGBA", color=(0, 0, 0, 0))
        image = Image.open(io.BytesIO(public_jpeg(data, max_pixels=MAX_PIXELS)))
        assert image.size == (30, 10)
        assert min(image.getpixel((15, 5))) > 240

    def test_refuses_what_inspect_refuses(self):
        with pytest.raises(PhotoError):
            public_jpeg(HTML, max_pixels=MAX_PIXELS)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_damaged_bytes_raise_only_photo_errors(fmt):
    rng = np.random.default_rng(7)
    metadata = (
        {} if fmt == "GIF" else {"exif": exif(orientation=6, gps=(46.7, -92.1), taken_at=WHEN, make="X")}
    )
    original = solid(size=(40, 30), fmt=fmt, **metadata)
    refused = 0
    for _ in range(150):
        damaged = bytearray(original)
        for position in rng.integers(0, len(damaged), rng.integers(1, 6)):
            damaged[position] = rng.integers(0, 256)
        try:
            inspect_photo(bytes(damaged), max_pixels=10**7)
            load_rgb(bytes(damaged), max_pixels=10**7, draft_size=(8, 8))
        except PhotoError:
            refused += 1
    assert refused > 0
