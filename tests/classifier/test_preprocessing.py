import numpy as np
import pytest
from PIL import Image

from classifier.preprocessing import Preprocessing


def random_image(width=8, height=8, seed=0):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return pixels, Image.fromarray(pixels)


class TestFromSpec:
    def test_fills_defaults_and_round_trips(self):
        parsed = Preprocessing.from_spec({"size": [6, 10]})
        assert (parsed.height, parsed.width, parsed.draft_size) == (6, 10, (10, 6))
        assert (parsed.channel_order, parsed.layout, parsed.dtype, parsed.output) == (
            "RGB",
            "NCHW",
            "float32",
            "probabilities",
        )
        assert Preprocessing.from_spec(parsed.to_spec()) == parsed

    @pytest.mark.parametrize(
        ("spec", "key"),
        [
            ({}, "size"),
            ({"size": [224]}, "size"),
            ({"size": [0, 224]}, "size"),
            ({"size": ["224", 224]}, "size"),
            ({"size": [8, 8], "channel_order": "RBG"}, "channel_order"),
            ({"size": [8, 8], "layout": "CHW"}, "layout"),
            ({"size": [8, 8], "dtype": "float64"}, "dtype"),
            ({"size": [8, 8], "resize": "crop"}, "resize"),
            ({"size": [8, 8], "output": "softmax"}, "output"),
            ({"size": [8, 8], "scale": 0}, "scale"),
            ({"size": [8, 8], "scale": "1/255"}, "scale"),
            ({"size": [8, 8], "mean": [0, 0]}, "mean"),
            ({"size": [8, 8], "std": [1, 0, 1]}, "std"),
            ({"size": [8, 8], "input_name": ""}, "input_name"),
            ({"size": [8, 8], "dtype": "uint8", "scale": 1 / 255}, "dtype"),
            ({"size": [8, 8], "normalise": True}, "normalise"),
        ],
    )
    def test_a_bad_spec_names_its_key(self, spec, key):
        with pytest.raises(ValueError, match=key):
            Preprocessing.from_spec(spec)


class TestToTensor:
    @pytest.mark.parametrize("channel_order", ["RGB", "BGR"])
    @pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
    def test_scale_mean_and_std_apply_in_the_models_channel_order(self, channel_order, layout):
        spec = {
            "size": [8, 8],
            "channel_order": channel_order,
            "layout": layout,
            "scale": 1 / 255,
            "mean": [0.1, 0.2, 0.3],
            "std": [0.5, 0.25, 2.0],
        }
        pixels, image = random_image()
        tensor = Preprocessing.from_spec(spec).to_tensor([image])
        model_channels = [0, 1, 2] if channel_order == "RGB" else [2, 1, 0]
        for position, source in enumerate(model_channels):
            expected = (pixels[:, :, source] / 255 - spec["mean"][position]) / spec["std"][position]
            plane = tensor[0, position] if layout == "NCHW" else tensor[0, :, :, position]
            np.testing.assert_allclose(plane, expected, rtol=1e-5, atol=1e-5)

    def test_a_batch_has_one_row_per_image_in_order(self):
        images = [random_image(seed=seed)[1] for seed in range(3)]
        tensor = Preprocessing.from_spec({"size": [8, 8], "scale": 1}).to_tensor(images)
        assert tensor.shape == (3, 3, 8, 8) and tensor.flags.c_contiguous
        for index, image in enumerate(images):
            np.testing.assert_array_equal(tensor[index], np.asarray(image).transpose(2, 0, 1))

    def test_float16_and_uint8(self):
        pixels, image = random_image()
        half = Preprocessing.from_spec(
            {"size": [8, 8], "dtype": "float16", "scale": 1.0, "mean": [104, 117, 123]}
        )
        tensor = half.to_tensor([image])
        assert tensor.dtype == np.float16
        np.testing.assert_allclose(tensor[0, 0], pixels[:, :, 0] - 104.0, atol=0.1)
        raw = Preprocessing.from_spec({"size": [8, 8], "dtype": "uint8", "scale": 1, "layout": "NHWC"})
        tensor = raw.to_tensor([image])
        assert tensor.dtype == np.uint8
        np.testing.assert_array_equal(tensor[0], pixels)

    def test_resizes_to_height_by_width(self):
        tensor = Preprocessing.from_spec({"size": [5, 7]}).to_tensor([random_image(30, 20)[1]])
        assert tensor.shape == (1, 3, 5, 7)

    def test_stretch_keeps_the_edges_and_center_crop_cuts_them(self):
        # Red left quarter, green middle, blue right quarter, 32x8: a crop to square keeps only green.
        pixels = np.zeros((8, 32, 3), dtype=np.uint8)
        pixels[:, :8] = (255, 0, 0)
        pixels[:, 8:24] = (0, 255, 0)
        pixels[:, 24:] = (0, 0, 255)
        image = Image.fromarray(pixels)
        stretched = Preprocessing.from_spec({"size": [8, 8], "scale": 1}).to_tensor([image])[0]
        cropped = Preprocessing.from_spec(
            {"size": [8, 8], "scale": 1, "resize": "shorter_side_center_crop"}
        ).to_tensor([image])[0]
        assert stretched[0, :, 0].min() > 200  # red at the left edge
        assert cropped[0].max() < 60 and cropped[1].min() > 200  # only green remains

    def test_center_crop_of_an_extreme_strip_stays_small(self):
        strip = Image.new("RGB", (50_000, 1), (10, 20, 30))
        tensor = Preprocessing.from_spec(
            {"size": [8, 8], "scale": 1, "resize": "shorter_side_center_crop"}
        ).to_tensor([strip])
        assert tensor.shape == (1, 3, 8, 8)
        np.testing.assert_allclose(tensor[0, :, 4, 4], (10, 20, 30), atol=1)

    def test_converts_non_rgb_images(self):
        gray = Image.new("L", (8, 8), 90)
        tensor = Preprocessing.from_spec({"size": [8, 8], "scale": 1}).to_tensor([gray])
        assert np.all(tensor == 90)
