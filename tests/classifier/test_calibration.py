"""Temperature scaling and the expected calibration error, on data whose calibration is known."""

import numpy as np
import pytest

from classifier.calibration import reliability, softmax, temperature_fit
from classifier.inference import LabelScore, answer_uncertain
from classifier.onnx_compose import LinearHead


def sampled(*, temperature, count=4000, classes=5, seed=1):
    """Logits, and labels drawn from softmax(logits / temperature): that temperature calibrates them."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=4.0, size=(count, classes))
    truth = softmax(logits / temperature)
    labels = np.array([rng.choice(classes, p=row) for row in truth])
    return logits, labels


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 2.5])
def test_the_fitted_temperature_is_the_one_that_made_the_labels(true_temperature):
    logits, labels = sampled(temperature=true_temperature)
    assert temperature_fit(logits=logits, targets=labels) == pytest.approx(true_temperature, rel=0.1)


def test_calibration_error_is_small_for_calibrated_scores_and_large_for_overconfident_ones():
    logits, labels = sampled(temperature=2.0)
    calibrated = softmax(logits / 2.0)
    overconfident = softmax(logits)
    right = calibrated.argmax(axis=1) == labels
    assert reliability(probabilities=calibrated, correct=right)["ece"] < 0.03
    assert reliability(probabilities=overconfident, correct=right)["ece"] > 0.1
    fitted = temperature_fit(logits=logits, targets=labels)
    assert reliability(probabilities=softmax(logits / fitted), correct=right)["ece"] < 0.03


def test_reliability_bins_cover_every_photo_and_a_perfect_score_lands_in_the_last_bin():
    scores = np.array([[1.0, 0.0], [0.55, 0.45], [0.95, 0.05], [0.65, 0.35]])
    report = reliability(probabilities=scores, correct=[True, False, True, True], bins=10)
    assert sum(row["count"] for row in report["bins"]) == 4
    last = report["bins"][-1]
    assert last["count"] == 2 and last["accuracy"] == 1.0 and last["confidence"] == pytest.approx(0.975)
    assert report["bins"][5] == {"lower": 0.5, "upper": 0.6, "count": 1, "confidence": 0.55, "accuracy": 0.0}
    # |0.975 - 1| * 2 + |0.55 - 0| + |0.65 - 1|, over 4 photos
    assert report["ece"] == pytest.approx((0.05 + 0.55 + 0.35) / 4, abs=1e-4)
    with pytest.raises(ValueError):
        reliability(probabilities=scores, correct=[True])


def test_a_tempered_head_keeps_its_ranking_and_divides_its_logits():
    rng = np.random.default_rng(3)
    head = LinearHead(
        classes=("a", "b", "c"),
        mean=np.zeros(4, np.float32),
        std=np.ones(4, np.float32),
        weights=rng.normal(size=(4, 3)).astype(np.float32),
        bias=rng.normal(size=3).astype(np.float32),
    )
    vectors = rng.normal(size=(20, 4)).astype(np.float32)
    tempered = head.tempered(2.0)
    np.testing.assert_allclose(tempered.logits(vectors), head.logits(vectors) / 2.0, rtol=1e-5)
    assert (tempered.probabilities(vectors).argmax(1) == head.probabilities(vectors).argmax(1)).all()
    assert tempered.probabilities(vectors).max() < head.probabilities(vectors).max()
    with pytest.raises(ValueError):
        head.tempered(0.0)


@pytest.mark.parametrize(
    "scores,uncertain",
    [
        ([0.9, 0.05], False),  # clear
        ([0.45, 0.1], True),  # too low
        ([0.62, 0.35], True),  # too close
        ([0.66, 0.34], False),  # far enough apart
        ([0.4], True),  # alone but low
        ([], False),
    ],
)
def test_an_answer_is_uncertain_when_low_or_close(scores, uncertain):
    ranked = [LabelScore(label=f"class_{index}", score=score) for index, score in enumerate(scores)]
    assert answer_uncertain(scores=ranked, below=0.5, margin=0.3) is uncertain
