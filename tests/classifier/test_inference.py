import math

import pytest
from PIL import Image

from classifier.imaging import PhotoError
from classifier.inference import classify_images, classify_photo

from .photos import HTML, solid

RED, GREEN, BLUE, GRAY = (255, 0, 0), (0, 255, 0), (0, 0, 255), (128, 128, 128)


def image(color, size=(20, 12)):
    return Image.new("RGB", size, color)


def softmax(values):
    exps = [math.exp(value) for value in values]
    return [value / sum(exps) for value in exps]


@pytest.mark.django_db
class TestClassifyImages:
    def test_pure_colours_give_their_class(self, register_color_model):
        model_version = register_color_model()
        results = classify_images(
            model_version=model_version, images=[image(RED), image(GREEN), image(BLUE)], top_k=3
        )
        assert [result.top_label for result in results] == ["red", "green", "blue"]
        assert all(not result.rejected and result.top_score > 0.99 for result in results)
        assert all(result.duration_ms >= 0 for result in results)

    def test_bgr_models_see_red_as_their_first_channel_reversed(self, register_color_model):
        model_version = register_color_model(spec={"channel_order": "BGR"})
        results = classify_images(model_version=model_version, images=[image(RED), image(BLUE)], top_k=1)
        assert [result.top_label for result in results] == ["blue", "red"]

    def test_nhwc_model(self, register_color_model):
        model_version = register_color_model(model={"layout": "NHWC"}, spec={"layout": "NHWC"})
        (result,) = classify_images(model_version=model_version, images=[image(GREEN)], top_k=1)
        assert result.top_label == "green"

    def test_float16_fixed_batch_model_like_squeezenet(self, register_color_model):
        model_version = register_color_model(
            model={"dtype": "float16", "batch": 1, "output_4d": True}, spec={"dtype": "float16"}
        )
        results = classify_images(
            model_version=model_version, images=[image(BLUE), image(RED), image(GREEN)], top_k=1
        )
        assert [result.top_label for result in results] == ["blue", "red", "green"]

    def test_logits_are_turned_into_probabilities(self, register_color_model):
        model_version = register_color_model(model={"softmax": False, "gain": 2.0}, spec={"output": "logits"})
        (result,) = classify_images(model_version=model_version, images=[image(RED)], top_k=3)
        expected = softmax([2.0, 0.0, 0.0])
        assert [score.score for score in result.scores] == pytest.approx(
            sorted(expected, reverse=True), abs=1e-5
        )

    def test_duplicate_labels_are_summed_into_one(self, register_color_model):
        model_version = register_color_model(labels=["bass", "not_fish", "not_fish"])
        (result,) = classify_images(model_version=model_version, images=[image(GRAY)], top_k=5)
        labels = [score.label for score in result.scores]
        assert labels == ["not_fish", "bass"]
        assert result.scores[0].score == pytest.approx(2 / 3, abs=1e-4)
        assert sum(score.score for score in result.scores) == pytest.approx(1, abs=1e-4)

    def test_rejected_when_the_top_label_is_the_negative_label(self, register_color_model):
        model_version = register_color_model(labels=["bass", "walleye", "not_fish"])
        fish, blue = classify_images(model_version=model_version, images=[image(RED), image(BLUE)], top_k=2)
        assert not fish.rejected
        assert blue.rejected and blue.top_label == "not_fish"

    @pytest.mark.parametrize(("threshold", "rejected"), [(0.5, True), (0.2, False)])
    def test_rejected_when_the_top_score_is_below_the_threshold(
        self, register_color_model, threshold, rejected
    ):
        model_version = register_color_model(rejection_threshold=threshold)
        (result,) = classify_images(model_version=model_version, images=[image(GRAY)], top_k=1)
        assert result.top_score == pytest.approx(1 / 3, abs=1e-4)
        assert result.rejected is rejected

    @pytest.mark.parametrize(("top_k", "count"), [(1, 1), (2, 2), (10, 3), (0, 1)])
    def test_top_k(self, register_color_model, top_k, count):
        (result,) = classify_images(model_version=register_color_model(), images=[image(RED)], top_k=top_k)
        assert len(result.scores) == count
        assert [score.score for score in result.scores] == sorted(
            (score.score for score in result.scores), reverse=True
        )

    def test_no_images_no_results(self, register_color_model):
        assert classify_images(model_version=register_color_model(), images=[], top_k=3) == []


@pytest.mark.django_db
class TestClassifyPhoto:
    def test_classifies_photo_bytes(self, register_color_model):
        model_version = register_color_model()
        result = classify_photo(
            model_version=model_version,
            data=solid(BLUE, size=(300, 200), fmt="JPEG"),
            top_k=2,
            max_pixels=10**6,
        )
        assert result.top_label == "blue" and len(result.scores) == 2 and result.duration_ms > 0

    def test_unreadable_bytes_raise_photo_error(self, register_color_model):
        with pytest.raises(PhotoError):
            classify_photo(model_version=register_color_model(), data=HTML, top_k=2, max_pixels=10**6)
