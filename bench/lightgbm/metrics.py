"""Ranking and calibration metrics for the LightGBM comparison, in numpy only.

Every function takes `labels` (bool or 0/1) and `probabilities` (floats in
[0, 1]) as one-dimensional arrays of the same length. Ties in the scores are
treated the way the usual definitions treat them: AUC counts a tied
positive/negative pair as one half, and average precision moves through the
distinct score thresholds, not through single rows.
"""

import numpy as np

ECE_BINS = 10


def base_rate(labels):
    """Share of positive labels."""
    return float(np.mean(np.asarray(labels, dtype=float)))


def average_ranks(values):
    """Ranks 1..n of `values`, ties getting the mean of the ranks they span."""
    values = np.asarray(values, dtype=float)
    distinct, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    last_rank = np.cumsum(counts)
    mean_rank = last_rank - (counts - 1) / 2.0
    return mean_rank[inverse]


def auc(labels, probabilities):
    """Area under the ROC curve (Mann-Whitney); None when one class is absent."""
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return None

    ranks = average_ranks(probabilities)
    positive_rank_sum = ranks[labels].sum()
    wins = positive_rank_sum - positives * (positives + 1) / 2.0
    return float(wins / (positives * negatives))


def average_precision(labels, probabilities):
    """Area under the precision-recall curve as a step sum over thresholds.

    AP = sum over distinct thresholds t (highest first) of
    (recall(t) - recall(previous t)) * precision(t). None without positives.
    """
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    positives = labels.sum()
    if positives == 0:
        return None

    order = np.argsort(-probabilities, kind="stable")
    sorted_scores = probabilities[order]
    true_positives = np.cumsum(labels[order])
    flagged = np.arange(1, labels.size + 1)

    threshold_ends = np.r_[np.nonzero(np.diff(sorted_scores))[0], labels.size - 1]
    precision = true_positives[threshold_ends] / flagged[threshold_ends]
    recall = true_positives[threshold_ends] / positives
    recall_gain = np.diff(np.r_[0.0, recall])
    return float(np.sum(recall_gain * precision))


def brier(labels, probabilities):
    """Mean squared gap between probability and outcome."""
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    return float(np.mean((probabilities - labels) ** 2))


def expected_calibration_error(labels, probabilities, bins=ECE_BINS):
    """ECE over `bins` equal-width bins of [0, 1]: sum of n_b/n * |mean p - rate|.

    A probability of exactly 1.0 falls in the last bin.
    """
    labels = np.asarray(labels, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    bin_of_row = np.minimum((probabilities * bins).astype(int), bins - 1)

    total = 0.0
    for b in range(bins):
        in_bin = bin_of_row == b
        count = int(in_bin.sum())
        if count == 0:
            continue
        gap = abs(probabilities[in_bin].mean() - labels[in_bin].mean())
        total += count / labels.size * gap
    return float(total)


def summary(labels, probabilities):
    """All metrics of one model on one set of rows, as a plain dict."""
    return {
        "rows": int(np.asarray(labels).size),
        "auc": auc(labels, probabilities),
        "pr_auc": average_precision(labels, probabilities),
        "brier": brier(labels, probabilities),
        "ece": expected_calibration_error(labels, probabilities),
        "base_rate": base_rate(labels),
    }
