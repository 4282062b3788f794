//! How good a score is, measured on rows whose outcome is known: ranking
//! (AUC, PR-AUC), accuracy of the probabilities (Brier, log loss) and
//! calibration (reliability bins and the expected calibration error).
//!
//! Every function takes scores or probabilities aligned with labels and
//! reads nothing else, so the same numbers come out for the same input.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// Number of reliability bins the evaluation report uses.
pub const RELIABILITY_BINS: usize = 10;

/// Log loss clips probabilities to this distance from 0 and 1, so one
/// confident miss costs a large but finite amount.
const LOG_LOSS_CLIP: f64 = 1e-15;

/// Probability that a random positive row scores above a random negative
/// row; a tie between them counts half. `None` when either class is absent.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let (scores, labels) = aligned(scores, labels);
    let (positives, negatives) = class_counts(labels);
    if positives == 0 || negatives == 0 {
        return None;
    }

    let order = ascending_order(scores);
    let mut positive_rank_sum = 0.0;
    for group in tie_groups(&order, scores) {
        // Ranks are 1-based; every row of a tie group gets the group's
        // average rank.
        let average_rank = (group.start + 1 + group.end) as f64 / 2.0;
        let group_positives = order[group].iter().filter(|&&row| labels[row]).count();
        positive_rank_sum += average_rank * group_positives as f64;
    }

    let positives = positives as f64;
    let lowest_possible = positives * (positives + 1.0) / 2.0;
    Some((positive_rank_sum - lowest_possible) / (positives * negatives as f64))
}

/// Average precision: walking down from the highest score, the precision
/// at each threshold weighted by the share of positives that threshold
/// adds. Rows with the same score form one threshold. `None` without
/// positives.
pub fn pr_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let (scores, labels) = aligned(scores, labels);
    let (positives, _) = class_counts(labels);
    if positives == 0 {
        return None;
    }

    let mut order = ascending_order(scores);
    order.reverse();
    let mut true_positives = 0usize;
    let mut flagged = 0usize;
    let mut average_precision = 0.0;
    for group in tie_groups(&order, scores) {
        let group_positives = order[group.clone()]
            .iter()
            .filter(|&&row| labels[row])
            .count();
        true_positives += group_positives;
        flagged += group.len();
        let precision = true_positives as f64 / flagged as f64;
        average_precision += precision * group_positives as f64 / positives as f64;
    }
    Some(average_precision)
}

/// Mean squared difference between probability and outcome (1 or 0).
/// Empty input gives 0.0.
pub fn brier(probabilities: &[f64], labels: &[bool]) -> f64 {
    mean(probabilities.iter().zip(labels).map(|(&p, &label)| {
        let outcome = if label { 1.0 } else { 0.0 };
        (p - outcome).powi(2)
    }))
}

/// Mean negative log-likelihood of the outcomes, with probabilities
/// clipped to [1e-15, 1 - 1e-15]. Empty input gives 0.0.
pub fn log_loss(probabilities: &[f64], labels: &[bool]) -> f64 {
    mean(probabilities.iter().zip(labels).map(|(&p, &label)| {
        let p = p.clamp(LOG_LOSS_CLIP, 1.0 - LOG_LOSS_CLIP);
        if label {
            -p.ln()
        } else {
            -(1.0 - p).ln()
        }
    }))
}

/// One equal-width slice of [0, 1]: how many rows were predicted in it,
/// their mean prediction and how often the outcome happened. The two
/// means are `None` for an empty bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    pub lower: f64,
    pub upper: f64,
    pub rows: usize,
    pub mean_predicted: Option<f64>,
    pub observed_rate: Option<f64>,
}

/// Splits [0, 1] into `bins` equal-width bins, each holding [lower, upper)
/// except the last, which also holds 1.0. Probabilities outside [0, 1]
/// count in the nearest end bin. No bins are returned when `bins` is 0.
pub fn reliability(probabilities: &[f64], labels: &[bool], bins: usize) -> Vec<ReliabilityBin> {
    if bins == 0 {
        return Vec::new();
    }
    let mut rows = vec![0usize; bins];
    let mut predicted_sum = vec![0.0; bins];
    let mut outcome_sum = vec![0usize; bins];
    for (&p, &label) in probabilities.iter().zip(labels) {
        let bin = bin_of(p, bins);
        rows[bin] += 1;
        predicted_sum[bin] += p;
        outcome_sum[bin] += usize::from(label);
    }

    (0..bins)
        .map(|bin| {
            let count = rows[bin];
            let rate_of = |sum: f64| (count > 0).then(|| sum / count as f64);
            ReliabilityBin {
                lower: bin as f64 / bins as f64,
                upper: (bin + 1) as f64 / bins as f64,
                rows: count,
                mean_predicted: rate_of(predicted_sum[bin]),
                observed_rate: rate_of(outcome_sum[bin] as f64),
            }
        })
        .collect()
}

/// Row-weighted mean gap between predicted and observed rate over the
/// reliability bins. Empty input gives 0.0.
pub fn expected_calibration_error(probabilities: &[f64], labels: &[bool], bins: usize) -> f64 {
    let bins = reliability(probabilities, labels, bins);
    ece_of(&bins)
}

/// The evaluation of one score on rows with known outcomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub rows: usize,
    pub positives: usize,
    /// Share of positive rows; 0.0 when there are no rows, so the report
    /// never carries NaN.
    pub base_rate: f64,
    pub auc: Option<f64>,
    pub pr_auc: Option<f64>,
    pub brier: f64,
    pub log_loss: f64,
    pub ece: f64,
    pub reliability: Vec<ReliabilityBin>,
}

/// All metrics of calibrated probabilities against outcomes, with
/// [`RELIABILITY_BINS`] bins. Empty input gives zero rows and 0.0 for
/// every rate and loss, with `auc` and `pr_auc` absent.
pub fn metrics(probabilities: &[f64], labels: &[bool]) -> Metrics {
    let (probabilities, labels) = aligned(probabilities, labels);
    let rows = labels.len();
    let (positives, _) = class_counts(labels);
    let reliability = reliability(probabilities, labels, RELIABILITY_BINS);

    Metrics {
        rows,
        positives,
        base_rate: if rows == 0 {
            0.0
        } else {
            positives as f64 / rows as f64
        },
        auc: auc(probabilities, labels),
        pr_auc: pr_auc(probabilities, labels),
        brier: brier(probabilities, labels),
        log_loss: log_loss(probabilities, labels),
        ece: ece_of(&reliability),
        reliability,
    }
}

fn ece_of(bins: &[ReliabilityBin]) -> f64 {
    let total: usize = bins.iter().map(|bin| bin.rows).sum();
    if total == 0 {
        return 0.0;
    }
    bins.iter()
        .filter_map(|bin| {
            let gap = (bin.mean_predicted? - bin.observed_rate?).abs();
            Some(bin.rows as f64 / total as f64 * gap)
        })
        .sum()
}

fn bin_of(probability: f64, bins: usize) -> usize {
    let scaled = (probability.clamp(0.0, 1.0) * bins as f64).floor();
    // The saturating cast sends NaN to bin 0.
    (scaled as usize).min(bins - 1)
}

fn class_counts(labels: &[bool]) -> (usize, usize) {
    let positives = labels.iter().filter(|&&label| label).count();
    (positives, labels.len() - positives)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(sum, count), v| (sum + v, count + 1));
    if count == 0 {
        0.0
    } else {
        sum / count as f64
    }
}

/// Both slices cut to the shorter one: a score without a label (or the
/// reverse) cannot be judged.
fn aligned<'a>(scores: &'a [f64], labels: &'a [bool]) -> (&'a [f64], &'a [bool]) {
    let rows = scores.len().min(labels.len());
    (&scores[..rows], &labels[..rows])
}

/// Row indices sorted by score, lowest first; equal scores keep row order.
fn ascending_order(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&x, &y| scores[x].partial_cmp(&scores[y]).unwrap_or(Ordering::Equal));
    order
}

/// Consecutive runs of equal scores in `order`, as index ranges into it.
fn tie_groups(order: &[usize], scores: &[f64]) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    for position in 1..=order.len() {
        let ends_here = position == order.len() || scores[order[position]] != scores[order[start]];
        if ends_here {
            groups.push(start..position);
            start = position;
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXACT: f64 = 1e-12;

    #[test]
    fn auc_counts_a_tie_between_classes_as_half() {
        // Pairs (positive, negative): (0.8, 0.1) win, (0.8, 0.4) win,
        // (0.4, 0.1) win, (0.4, 0.4) tie = 3.5 of 4.
        let scores = [0.1, 0.4, 0.4, 0.8];
        let labels = [false, false, true, true];
        let auc = auc(&scores, &labels).unwrap();
        assert!((auc - 0.875).abs() < EXACT, "auc {auc}");
    }

    #[test]
    fn auc_of_reversed_ranking_is_zero_and_needs_both_classes() {
        let auc_value = auc(&[0.9, 0.2], &[false, true]).unwrap();
        assert!(auc_value.abs() < EXACT);
        assert_eq!(auc(&[0.3, 0.5], &[true, true]), None);
        assert_eq!(auc(&[], &[]), None);
    }

    #[test]
    fn pr_auc_by_hand() {
        // Descending: 0.9 +, 0.8 -, 0.7 +, 0.6 -, 0.5 +.
        // Precision at the positives: 1/1, 2/3, 3/5; mean = 34/45.
        let scores = [0.5, 0.6, 0.7, 0.8, 0.9];
        let labels = [true, false, true, false, true];
        let ap = pr_auc(&scores, &labels).unwrap();
        assert!((ap - 34.0 / 45.0).abs() < EXACT, "ap {ap}");
    }

    #[test]
    fn pr_auc_groups_tied_scores_as_one_threshold() {
        // 0.9 + alone: precision 1, adds 1/3. The tie at 0.5 holds
        // 2 positives and 2 negatives: precision 3/5, adds 2/3.
        let scores = [0.9, 0.5, 0.5, 0.5, 0.5, 0.1];
        let labels = [true, true, false, true, false, false];
        let ap = pr_auc(&scores, &labels).unwrap();
        let expected = 1.0 / 3.0 + 0.6 * 2.0 / 3.0;
        assert!((ap - expected).abs() < EXACT, "ap {ap}");
        assert_eq!(pr_auc(&[0.2], &[false]), None);
    }

    #[test]
    fn brier_and_log_loss_by_hand() {
        let probabilities = [0.8, 0.3, 1.0];
        let labels = [true, false, false];
        let brier = brier(&probabilities, &labels);
        assert!((brier - (0.04 + 0.09 + 1.0) / 3.0).abs() < EXACT);

        // The certain miss is clipped to 1 - 1e-15, costing about 34.5
        // (written as the clip computes it, since 1 - (1 - 1e-15) is not
        // exactly 1e-15 in floating point).
        let loss = log_loss(&probabilities, &labels);
        let miss = -(1.0 - (1.0 - 1e-15f64)).ln();
        assert!((miss - 34.54).abs() < 0.01, "miss {miss}");
        let expected = (-(0.8f64).ln() - (0.7f64).ln() + miss) / 3.0;
        assert!((loss - expected).abs() < 1e-9, "log loss {loss}");
    }

    #[test]
    fn reliability_bins_close_the_last_bin_and_ece_is_exact() {
        let probabilities = [0.05, 0.15, 0.55, 0.65, 1.0, 0.95];
        let labels = [false, false, true, false, true, true];
        let bins = reliability(&probabilities, &labels, 2);

        assert_eq!(bins.len(), 2);
        assert_eq!((bins[0].lower, bins[0].upper, bins[0].rows), (0.0, 0.5, 2));
        assert_eq!((bins[1].lower, bins[1].upper, bins[1].rows), (0.5, 1.0, 4));
        assert!((bins[0].mean_predicted.unwrap() - 0.1).abs() < EXACT);
        assert_eq!(bins[0].observed_rate, Some(0.0));
        assert!((bins[1].mean_predicted.unwrap() - 0.7875).abs() < EXACT);
        assert_eq!(bins[1].observed_rate, Some(0.75));

        // 2/6 * 0.1 + 4/6 * 0.0375 = 0.058333...
        let ece = expected_calibration_error(&probabilities, &labels, 2);
        assert!((ece - 0.35 / 6.0).abs() < EXACT, "ece {ece}");
    }

    #[test]
    fn empty_bins_have_no_means_and_empty_input_has_no_nan() {
        let bins = reliability(&[0.95], &[true], 10);
        assert_eq!(bins[0].rows, 0);
        assert_eq!(bins[0].mean_predicted, None);
        assert_eq!(bins[9].rows, 1);

        let empty = metrics(&[], &[]);
        assert_eq!((empty.rows, empty.positives), (0, 0));
        assert_eq!(empty.base_rate, 0.0);
        assert_eq!((empty.brier, empty.log_loss, empty.ece), (0.0, 0.0, 0.0));
        assert_eq!((empty.auc, empty.pr_auc), (None, None));
        assert_eq!(empty.reliability.len(), RELIABILITY_BINS);
    }

    #[test]
    fn zero_bins_give_no_bins_and_no_error() {
        assert!(reliability(&[0.3], &[true], 0).is_empty());
        assert_eq!(expected_calibration_error(&[0.3], &[true], 0), 0.0);
    }

    #[test]
    fn metrics_survive_a_json_round_trip() {
        let all = metrics(&[0.1, 0.6, 0.8], &[false, true, false]);
        let json = serde_json::to_string(&all).unwrap();
        let back: Metrics = serde_json::from_str(&json).unwrap();
        assert_eq!(back, all);
    }

    #[test]
    fn metrics_gathers_every_measure() {
        let probabilities = [0.2, 0.2, 0.7, 0.9];
        let labels = [false, true, false, true];
        let all = metrics(&probabilities, &labels);

        assert_eq!((all.rows, all.positives), (4, 2));
        assert_eq!(all.base_rate, 0.5);
        // Pairs: (0.2,0.2) tie, (0.2,0.7) loss, (0.9,0.2) win,
        // (0.9,0.7) win = 2.5 of 4.
        assert!((all.auc.unwrap() - 0.625).abs() < EXACT);
        // Bin 2: 0.2, 0.2 -> |0.2 - 0.5|; bin 7: |0.7 - 0|; bin 9:
        // |0.9 - 1|: (2 * 0.3 + 0.7 + 0.1) / 4 = 0.35.
        assert!((all.ece - 0.35).abs() < EXACT, "ece {}", all.ece);
        let brier = (0.04 + 0.64 + 0.49 + 0.01) / 4.0;
        assert!((all.brier - brier).abs() < EXACT);
    }
}
