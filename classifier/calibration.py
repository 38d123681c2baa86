"""Calibrated confidence: temperature scaling of a head's logits, and how far scores are from calibrated.

A score of 0.9 should be right 9 times in 10. One temperature T, fitted on held-out logits by
minimising their negative log-likelihood, divides every logit (Guo et al., "On Calibration of Modern
Neural Networks", 2017): it changes how confident the scores are, never their order, so top-1 stays
as it was. The expected calibration error (ECE) is the photo-weighted gap between the mean top score
and the accuracy over equal-width score bins; the bins are the reliability diagram.
"""

from collections.abc import Sequence

import numpy as np

RELIABILITY_BINS = 10
TEMPERATURE_BOUNDS = (0.05, 20.0)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.asarray(logits, dtype=np.float64)
    shifted = shifted - shifted.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def temperature_fit(*, logits: np.ndarray, targets: Sequence[int]) -> float:
    """The temperature that minimises the negative log-likelihood of `targets` (column indices)."""
    from scipy.optimize import minimize_scalar

    logits = np.asarray(logits, dtype=np.float64)
    rows = np.arange(len(logits))
    target_columns = np.asarray(targets)
    if not len(logits):
        raise ValueError("temperature_fit: no logits")

    def negative_log_likelihood(log_temperature: float) -> float:
        scaled = logits / np.exp(log_temperature)
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scaled).sum(axis=1))
        return float((log_norm - scaled[rows, target_columns]).mean())

    low, high = np.log(TEMPERATURE_BOUNDS)
    found = minimize_scalar(negative_log_likelihood, bounds=(low, high), method="bounded")
    return float(np.exp(found.x))


def reliability(*, probabilities: np.ndarray, correct: Sequence[bool], bins: int = RELIABILITY_BINS) -> dict:
    """The expected calibration error of the top scores and the reliability diagram's bins."""
    top = np.asarray(probabilities, dtype=np.float64).max(axis=1)
    right = np.asarray(correct, dtype=bool)
    if len(top) != len(right):
        raise ValueError("reliability: one correctness flag per row of scores is needed")
    edges = np.linspace(0.0, 1.0, bins + 1)
    # A score of exactly 1.0 belongs to the last bin.
    index = np.clip(np.searchsorted(edges, top, side="right") - 1, 0, bins - 1)
    rows, gap = [], 0.0
    for position in range(bins):
        members = index == position
        count = int(members.sum())
        row = {"lower": round(float(edges[position]), 2), "upper": round(float(edges[position + 1]), 2)}
        row["count"] = count
        if count:
            confidence, accuracy = float(top[members].mean()), float(right[members].mean())
            row.update(confidence=round(confidence, 4), accuracy=round(accuracy, 4))
            gap += count * abs(confidence - accuracy)
        rows.append(row)
    return {"ece": round(gap / len(top), 4) if len(top) else None, "bins": rows}
