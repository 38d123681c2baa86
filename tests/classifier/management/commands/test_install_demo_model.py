import glob
import io
import urllib.error
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from classifier import demo_model
from classifier.demo_model import DEMO_CLASS_TAXA, DEMO_NEGATIVE_LABEL, demo_labels
from classifier.inference import classify_photo
from classifier.label_files import labels_parse
from classifier.models import ModelVersion
from classifier.selectors import model_version_active

from ...tiny_models import color_model


@pytest.fixture
def nowhere(tmp_path, monkeypatch, settings):
    """No backbone on disk anywhere and no network."""
    monkeypatch.setenv("CATCHLOG_SHARED_DIR", str(tmp_path / "shared"))
    settings.BASE_DIR = tmp_path / "project" / "main"
    attempts = []

    def offline(url, timeout):
        attempts.append(url)
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(demo_model.urllib.request, "urlopen", offline)
    return attempts


@pytest.mark.django_db
class TestWithoutTheBackbone:
    def test_says_no_model_is_installed_and_succeeds(self, nowhere, capsys):
        call_command("install_demo_model", activate=True)
        out, err = capsys.readouterr()
        assert "No model is installed" in out and "wait for a moderator" in out
        assert "network is unreachable" in err
        assert nowhere == [demo_model.DEMO_URL]
        assert not ModelVersion.objects.exists()

    def test_no_download_skips_the_network(self, nowhere, capsys):
        call_command("install_demo_model", no_download=True)
        assert nowhere == []
        assert "No model is installed" in capsys.readouterr().out

    def test_a_download_with_the_wrong_checksum_is_not_installed(self, nowhere, monkeypatch, capsys):
        monkeypatch.setattr(
            demo_model.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(color_model())
        )
        call_command("install_demo_model")
        out, err = capsys.readouterr()
        assert "expected " + demo_model.DEMO_SHA256 in err
        assert not ModelVersion.objects.exists()

    def test_a_backbone_dir_without_the_file_is_an_error(self, nowhere, tmp_path):
        with pytest.raises(CommandError, match="holds no SqueezeNet_fp16.onnx"):
            call_command("install_demo_model", backbone_dir=str(tmp_path))

    def test_another_file_under_the_backbones_name_is_refused(self, nowhere, tmp_path):
        (tmp_path / "SqueezeNet_fp16.onnx").write_bytes(color_model())
        with pytest.raises(CommandError, match="not the demo backbone"):
            call_command("install_demo_model", backbone_dir=str(tmp_path))
        assert not ModelVersion.objects.exists()

    def test_the_environment_folder_comes_before_the_project_neighbour(self, nowhere, tmp_path):
        candidates = demo_model.demo_backbone_candidates()
        assert candidates[0] == tmp_path / "shared" / "data" / "backbone" / "SqueezeNet_fp16.onnx"
        assert candidates[1] == tmp_path / "project" / "shared" / "data" / "backbone" / "SqueezeNet_fp16.onnx"


class TestLabelMap:
    def test_one_label_per_imagenet_class(self):
        labels = demo_labels()
        assert len(labels) == 1000
        assert {labels[index] for index in DEMO_CLASS_TAXA} == {taxon.label for taxon in demo_model.DEMO_TAXA}
        assert all(
            labels[index] == DEMO_NEGATIVE_LABEL for index in range(1000) if index not in DEMO_CLASS_TAXA
        )

    def test_labels_are_the_snake_case_scientific_names(self):
        for taxon in demo_model.DEMO_TAXA:
            assert taxon.label == taxon.scientific_name.lower().replace(" ", "_")
            assert taxon.rank in ("species", "genus", "family", "order")
            assert (taxon.rank == "species") == (" " in taxon.scientific_name)


@pytest.mark.shared
@pytest.mark.django_db
class TestWithTheRealBackbone:
    @pytest.fixture
    def backbone_dir(self, shared_data):
        path = shared_data / "backbone"
        if not (path / demo_model.DEMO_FILE_NAME).is_file():
            pytest.skip(f"no {demo_model.DEMO_FILE_NAME} in {path}")
        return path

    def test_the_fish_classes_are_imagenets_fish_lines(self, backbone_dir):
        names = labels_parse((backbone_dir / "Labels.txt").read_text())
        assert len(names) == 1000
        assert [names[index] for index in sorted(DEMO_CLASS_TAXA)] == [
            "tench",
            "goldfish",
            "great white shark",
            "tiger shark",
            "hammerhead",
            "electric ray",
            "stingray",
            "barracouta",
            "eel",
            "coho",
            "rock beauty",
            "anemone fish",
            "sturgeon",
            "gar",
            "lionfish",
            "puffer",
        ]

    def test_installs_once_and_recognises_fish(self, backbone_dir, shared_data, capsys):
        call_command("install_demo_model", backbone_dir=str(backbone_dir), activate=True)
        call_command("install_demo_model", backbone_dir=str(backbone_dir), activate=True)
        model_version = ModelVersion.objects.get()
        assert model_version_active() == model_version and model_version.source == "demo"
        assert "already installed" in capsys.readouterr().out

        def top_labels(pattern):
            files = sorted(glob.glob(str(shared_data / pattern)))
            assert files, f"no files match {pattern}"
            return [
                classify_photo(
                    model_version=model_version,
                    data=open(path, "rb").read(),
                    top_k=3,
                    max_pixels=settings.PHOTO_MAX_PIXELS,
                ).top_label
                for path in files
            ]

        bass = Counter(top_labels("fish/bass/*.jpg"))
        assert (
            sum(count for label, count in bass.items() if label != DEMO_NEGATIVE_LABEL)
            > sum(bass.values()) / 2
        )
        chairs = top_labels("not_fish/*chair__*.jpg")
        assert chairs.count(DEMO_NEGATIVE_LABEL) == len(chairs)
