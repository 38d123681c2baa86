"""How a model version wants its input: parsed from the JSON spec in ModelVersion.preprocessing."""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

CHANNEL_ORDERS = ("RGB", "BGR")
LAYOUTS = ("NCHW", "NHWC")
DTYPES = ("float32", "float16", "uint8")
RESIZE_MODES = ("stretch", "shorter_side_center_crop")
OUTPUTS = ("probabilities", "logits")

_DEFAULTS = {
    "input_name": None,
    "channel_order": "RGB",
    "scale": 1 / 255,
    "mean": (0.0, 0.0, 0.0),
    "std": (1.0, 1.0, 1.0),
    "layout": "NCHW",
    "dtype": "float32",
    "resize": "stretch",
    "output": "probabilities",
}


@dataclass(frozen=True)
class Preprocessing:
    """`size` is (height, width). `mean` and `std` are in the model's channel order and apply after
    `scale`: value = (pixel * scale - mean) / std, pixel in 0-255."""

    size: tuple[int, int]
    input_name: str | None = None
    channel_order: str = "RGB"
    scale: float = 1 / 255
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    layout: str = "NCHW"
    dtype: str = "float32"
    resize: str = "stretch"
    output: str = "probabilities"

    @classmethod
    def from_spec(cls, spec: Mapping) -> "Preprocessing":
        """Parse and validate a spec; a ValueError names the offending key."""
        if not isinstance(spec, Mapping):
            raise ValueError("preprocessing: expected a JSON object")
        unknown = sorted(set(spec) - set(_DEFAULTS) - {"size"})
        if unknown:
            raise ValueError(f"preprocessing: unknown key(s) {', '.join(map(repr, unknown))}")
        values = {**_DEFAULTS, **spec}
        if "size" not in spec:
            raise ValueError("preprocessing 'size': required, [height, width]")
        size = values["size"]
        if (
            not isinstance(size, (list, tuple))
            or len(size) != 2
            or not all(_is_int(side) and 1 <= side <= 8192 for side in size)
        ):
            raise ValueError(
                "preprocessing 'size': expected [height, width], two whole numbers from 1 to 8192"
            )
        input_name = values["input_name"]
        if input_name is not None and (not isinstance(input_name, str) or not input_name):
            raise ValueError("preprocessing 'input_name': expected a non-empty string")
        for key, allowed in (
            ("channel_order", CHANNEL_ORDERS),
            ("layout", LAYOUTS),
            ("dtype", DTYPES),
            ("resize", RESIZE_MODES),
            ("output", OUTPUTS),
        ):
            if values[key] not in allowed:
                raise ValueError(
                    f"preprocessing {key!r}: expected one of {', '.join(allowed)}, got {values[key]!r}"
                )
        scale = values["scale"]
        if not _is_number(scale) or scale <= 0:
            raise ValueError("preprocessing 'scale': expected a positive number")
        mean, std = values["mean"], values["std"]
        for key, triple in (("mean", mean), ("std", std)):
            if not isinstance(triple, (list, tuple)) or len(triple) != 3 or not all(map(_is_number, triple)):
                raise ValueError(
                    f"preprocessing {key!r}: expected three numbers, in the model's channel order"
                )
        if any(value <= 0 for value in std):
            raise ValueError("preprocessing 'std': every value must be positive")
        if values["dtype"] == "uint8" and (scale != 1 or any(mean) or any(value != 1 for value in std)):
            raise ValueError("preprocessing 'dtype': uint8 input takes raw pixels: scale 1, mean 0, std 1")
        return cls(
            size=(int(size[0]), int(size[1])),
            input_name=input_name,
            channel_order=values["channel_order"],
            scale=float(scale),
            mean=(float(mean[0]), float(mean[1]), float(mean[2])),
            std=(float(std[0]), float(std[1]), float(std[2])),
            layout=values["layout"],
            dtype=values["dtype"],
            resize=values["resize"],
            output=values["output"],
        )

    def to_spec(self) -> dict:
        spec = asdict(self)
        spec["size"], spec["mean"], spec["std"] = list(self.size), list(self.mean), list(self.std)
        return spec

    @property
    def height(self) -> int:
        return self.size[0]

    @property
    def width(self) -> int:
        return self.size[1]

    @property
    def draft_size(self) -> tuple[int, int]:
        """(width, height) below which a JPEG must not be decoded."""
        return self.width, self.height

    def resize_image(self, image: Image.Image) -> Image.Image:
        """An RGB image at exactly the input size."""
        target = (self.width, self.height)
        if image.mode != "RGB":
            image = image.convert("RGB")
        if image.size == target:
            return image
        box = None
        if self.resize == "shorter_side_center_crop":
            # The crop is taken in source pixels, so a 50,000x1 image never becomes a huge one.
            scale = max(self.width / image.width, self.height / image.height)
            crop_width, crop_height = self.width / scale, self.height / scale
            left, top = (image.width - crop_width) / 2, (image.height - crop_height) / 2
            box = (left, top, left + crop_width, top + crop_height)
        return image.resize(target, Image.Resampling.BILINEAR, box=box)

    def to_tensor(self, images: list[Image.Image]) -> np.ndarray:
        """A batch tensor in the model's layout and dtype."""
        if not images:
            raise ValueError("to_tensor: no images")
        pixels = np.stack([np.asarray(self.resize_image(image)) for image in images])  # N, H, W, RGB
        if self.channel_order == "BGR":
            pixels = pixels[..., ::-1]
        if self.dtype == "uint8":
            batch = pixels
        else:
            # (pixel * scale - mean) / std in one multiply-add.
            factor = np.float32(self.scale) / np.asarray(self.std, dtype=np.float32)
            offset = np.asarray(self.mean, dtype=np.float32) / np.asarray(self.std, dtype=np.float32)
            batch = pixels.astype(np.float32) * factor - offset
        if self.layout == "NCHW":
            batch = batch.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(batch, dtype=np.dtype(self.dtype))


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)
