import hashlib

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from classifier.model_files import ModelFileError
from classifier.models import ModelVersion
from classifier.selectors import model_version_active, model_version_find
from classifier.services import model_version_activate, model_version_register
from classifier.signals import model_version_activated

from .tiny_models import RGB_LABELS, color_model, color_spec


def stored_models():
    try:
        return set(default_storage.listdir("models")[1])
    except FileNotFoundError:
        return set()


@pytest.mark.django_db
class TestRegister:
    def test_stores_the_file_and_its_sha256(self, register_color_model):
        model_version = register_color_model(metrics={"top1_accuracy": 0.9})
        data = color_model()
        with default_storage.open(model_version.onnx_file.name, "rb") as handle:
            assert handle.read() == data
        assert model_version.sha256 == hashlib.sha256(data).hexdigest()
        saved = ModelVersion.objects.get(pk=model_version.pk)
        assert saved.labels == RGB_LABELS and saved.metrics == {"top1_accuracy": 0.9}
        assert saved.preprocessing["channel_order"] == "RGB" and saved.preprocessing["mean"] == [
            0.0,
            0.0,
            0.0,
        ]
        assert not saved.is_active

    def test_from_a_path(self, db, tmp_path):
        path = tmp_path / "model.onnx"
        path.write_bytes(color_model())
        model_version = model_version_register(
            path=path, name="from disk", labels=RGB_LABELS, preprocessing=color_spec(), source="imported"
        )
        assert model_version.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()

    def test_dynamic_height_and_width_fit_any_size(self, register_color_model):
        model_version = register_color_model(model={"size": ("H", "W")}, spec={"size": [32, 24]})
        assert model_version.preprocessing["size"] == [32, 24]

    @pytest.mark.parametrize(
        ("model", "spec", "labels", "message"),
        [
            ({}, {}, ["red", "green"], "3 class values per image, but 2 labels"),
            ({"classes": 4}, {}, RGB_LABELS, "4 class values per image, but 3 labels"),
            ({"channels": 4}, {}, RGB_LABELS, "4 channels"),
            ({"channels": 1}, {}, RGB_LABELS, "1 channels"),
            ({}, {"layout": "NHWC"}, RGB_LABELS, "channels"),
            ({"size": (16, 8)}, {}, RGB_LABELS, "height is 16"),
            ({}, {"dtype": "float16"}, RGB_LABELS, "float32"),
            ({}, {"input_name": "pixels"}, RGB_LABELS, "no input named 'pixels'"),
        ],
    )
    def test_refuses_a_model_that_does_not_fit(self, register_color_model, model, spec, labels, message):
        before = stored_models()
        with pytest.raises(ModelFileError, match=message):
            register_color_model(model=model, spec=spec, labels=labels)
        assert ModelVersion.objects.count() == 0
        assert stored_models() == before

    @pytest.mark.parametrize("data", [b"", b"not a protobuf at all \xff\xfe", b"\x08\x03"])
    def test_refuses_what_is_not_an_onnx_model(self, db, data):
        with pytest.raises(ModelFileError):
            model_version_register(
                onnx_bytes=data, name="x", labels=RGB_LABELS, preprocessing=color_spec(), source="imported"
            )

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"labels": []}, "labels"),
            ({"labels": ["red", "", "blue"]}, r"labels\[1\]"),
            ({"labels": ["red", " green", "blue"]}, "spaces"),
            ({"preprocessing": {"size": [8, 8], "layout": "HWC"}}, "layout"),
            ({"rejection_threshold": 1.5}, "rejection_threshold"),
            ({"source": "stolen"}, "source"),
            ({"name": " "}, "name"),
        ],
    )
    def test_refuses_bad_arguments(self, db, options, message):
        arguments = {
            "onnx_bytes": color_model(),
            "name": "x",
            "labels": RGB_LABELS,
            "preprocessing": color_spec(),
            "source": "imported",
        }
        with pytest.raises(ValueError, match=message):
            model_version_register(**{**arguments, **options})
        assert ModelVersion.objects.count() == 0

    def test_register_and_activate(self, register_color_model, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            model_version = register_color_model(activate=True)
        assert model_version_active() == model_version


@pytest.mark.django_db
class TestActivate:
    @pytest.fixture
    def activations(self):
        received = []

        def receiver(sender, model_version, **kwargs):
            received.append((sender, model_version.pk))

        model_version_activated.connect(receiver)
        yield received
        model_version_activated.disconnect(receiver)

    def test_exactly_one_version_is_active(
        self, register_color_model, activations, django_capture_on_commit_callbacks
    ):
        first, second = register_color_model(name="first"), register_color_model(name="second")
        assert model_version_active() is None
        with django_capture_on_commit_callbacks(execute=True):
            model_version_activate(model_version=first)
        with django_capture_on_commit_callbacks(execute=True):
            model_version_activate(model_version=second)
        assert list(ModelVersion.objects.filter(is_active=True)) == [second]
        assert model_version_active() == second
        assert activations == [(ModelVersion, first.pk), (ModelVersion, second.pk)]

    def test_activating_the_active_version_again_sends_nothing(
        self, register_color_model, activations, django_capture_on_commit_callbacks
    ):
        model_version = register_color_model()
        with django_capture_on_commit_callbacks(execute=True):
            model_version_activate(model_version=model_version)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            model_version_activate(model_version=model_version)
        assert callbacks == [] and len(activations) == 1

    def test_the_signal_waits_for_the_commit(
        self, register_color_model, activations, django_capture_on_commit_callbacks
    ):
        model_version = register_color_model()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            model_version_activate(model_version=model_version)
        assert activations == [] and len(callbacks) == 1
        callbacks[0]()
        assert activations == [(ModelVersion, model_version.pk)]

    def test_the_database_refuses_two_active_versions(self, register_color_model):
        first, second = register_color_model(), register_color_model()
        model_version_activate(model_version=first)
        with pytest.raises(IntegrityError), transaction.atomic():
            ModelVersion.objects.filter(pk=second.pk).update(is_active=True)


@pytest.mark.django_db
class TestSelectors:
    def test_find_matches_file_and_labels(self, register_color_model):
        model_version = register_color_model()
        assert model_version_find(sha256=model_version.sha256, labels=RGB_LABELS) == model_version
        assert model_version_find(sha256=model_version.sha256, labels=["a", "b", "c"]) is None
        assert model_version_find(sha256="0" * 64, labels=RGB_LABELS) is None
