import json

import pytest
from django.core.management import CommandError, call_command

from classifier.models import ModelVersion

from ...tiny_models import RGB_LABELS, color_model, color_spec


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "colour.onnx"
    path.write_bytes(color_model())
    return path


@pytest.mark.django_db
class TestImportModel:
    @pytest.mark.parametrize(
        "labels_text",
        ["red\ngreen\nblue\n", "0,red, rouge\n1,green\n2,blue, bleu\n", json.dumps(RGB_LABELS)],
        ids=["lines", "indexed", "json"],
    )
    def test_imports_with_any_label_format(self, tmp_path, model_file, labels_text, capsys):
        labels = tmp_path / "labels.txt"
        labels.write_text(labels_text)
        call_command("import_model", str(model_file), labels=str(labels), preprocess=json.dumps(color_spec()))
        model_version = ModelVersion.objects.get()
        assert model_version.labels == RGB_LABELS
        assert model_version.name == "colour" and model_version.source == "imported"
        assert not model_version.is_active
        assert "Registered" in capsys.readouterr().out

    def test_preprocessing_from_a_file_and_every_option(self, tmp_path, model_file):
        labels = tmp_path / "labels.txt"
        labels.write_text("red\ngreen\nnot_fish\n")
        spec = tmp_path / "spec.json"
        spec.write_text(json.dumps(color_spec(channel_order="BGR")))
        call_command(
            "import_model",
            str(model_file),
            labels=str(labels),
            preprocess=str(spec),
            name="v2",
            negative_label="not_fish",
            threshold=0.4,
            activate=True,
        )
        model_version = ModelVersion.objects.get()
        assert (model_version.name, model_version.rejection_threshold, model_version.is_active) == (
            "v2",
            0.4,
            True,
        )
        assert model_version.preprocessing["channel_order"] == "BGR"

    def test_a_shape_mismatch_is_a_command_error(self, tmp_path, model_file):
        labels = tmp_path / "labels.txt"
        labels.write_text("red\ngreen\nblue\npurple\n")
        with pytest.raises(CommandError, match="3 class values per image, but 4 labels"):
            call_command(
                "import_model", str(model_file), labels=str(labels), preprocess=json.dumps(color_spec())
            )
        with pytest.raises(CommandError, match="height"):
            labels.write_text("red\ngreen\nblue\n")
            spec = json.dumps(color_spec(size=[16, 16]))
            call_command("import_model", str(model_file), labels=str(labels), preprocess=spec)
        assert not ModelVersion.objects.exists()

    @pytest.mark.parametrize(
        ("preprocess", "message"),
        [("{not json", "invalid JSON"), ("missing.json", "neither inline JSON nor a readable file")],
    )
    def test_bad_preprocessing_argument(self, tmp_path, model_file, preprocess, message):
        labels = tmp_path / "labels.txt"
        labels.write_text("red\ngreen\nblue\n")
        with pytest.raises(CommandError, match=message):
            call_command("import_model", str(model_file), labels=str(labels), preprocess=preprocess)

    def test_missing_files(self, tmp_path, model_file):
        with pytest.raises(CommandError, match="no such file"):
            call_command("import_model", str(tmp_path / "none.onnx"), labels="x", preprocess="{}")
        with pytest.raises(CommandError, match="labels.txt"):
            call_command(
                "import_model", str(model_file), labels=str(tmp_path / "labels.txt"), preprocess="{}"
            )
