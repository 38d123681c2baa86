"""Small test data the tests make themselves: users, photos and a tiny ONNX classifier."""

import io
from datetime import UTC, datetime

import numpy as np
import onnx
from django.contrib.auth.models import Group, Permission, User
from onnx import TensorProto, helper
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from sightings import roles

COLOR_LABELS = ["micropterus_salmoides", "sander_vitreus", "not_fish"]
COLOR_PREPROCESSING = {
    "size": [8, 8],
    "channel_order": "RGB",
    "scale": 1 / 255,
    "mean": [0.0, 0.0, 0.0],
    "std": [1.0, 1.0, 1.0],
    "layout": "NCHW",
    "dtype": "float32",
    "resize": "stretch",
    "output": "probabilities",
}
RED, GREEN, BLUE = (220, 20, 20), (20, 220, 20), (20, 20, 220)


def color_model_bytes(*, embedding=False):
    """An ONNX model that answers by the dominant colour: red -> bass, green -> walleye, blue -> not_fish.

    `embedding=True` also gives the mean colour as a second output, "embedding", as the classifiers
    the platform composes do."""
    weights = (np.eye(3, dtype=np.float32) * 12.0).astype(np.float32)
    nodes = [
        helper.make_node("ReduceMean", ["input", "axes"], ["pooled"], keepdims=0),
        helper.make_node("MatMul", ["pooled", "weights"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    outputs = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])]
    if embedding:
        nodes.append(helper.make_node("Identity", ["pooled"], ["embedding"]))
        outputs.append(helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 3]))
    graph = helper.make_graph(
        nodes,
        "color",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
        outputs,
        initializer=[
            helper.make_tensor("axes", TensorProto.INT64, [2], [2, 3]),
            helper.make_tensor("weights", TensorProto.FLOAT, [3, 3], weights.flatten().tolist()),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def photo_bytes(color=RED, size=(64, 48), fmt="JPEG", exif=None):
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def exif_with_gps(*, latitude, longitude, taken_at=None):
    """EXIF carrying a GPS position (and optionally DateTimeOriginal), as a phone writes it."""
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)

    def dms(value):
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = ((value - degrees) * 60 - minutes) * 60
        return (IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(round(seconds * 100), 100))

    gps[1] = "N" if latitude >= 0 else "S"
    gps[2] = dms(latitude)
    gps[3] = "E" if longitude >= 0 else "W"
    gps[4] = dms(longitude)
    if taken_at is not None:
        exif.get_ifd(0x8769)[0x9003] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    return exif


def make_user(username, *groups):
    if groups:
        # A transactional test's flush removes the groups the migration made.
        roles.groups_ensure(group_model=Group, permission_model=Permission)
    user = User.objects.create_user(username=username, password="x-test-password-1")
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def angler(username="angler"):
    return make_user(username)


def moderator(username="moderator"):
    user = make_user(username, roles.MODERATORS)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


def researcher(username="researcher"):
    return make_user(username, roles.RESEARCHERS)


def trusted_researcher(username="trusted"):
    return make_user(username, roles.TRUSTED_RESEARCHERS)


def aware(*args):
    return datetime(*args, tzinfo=UTC)
