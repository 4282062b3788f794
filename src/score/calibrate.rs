//! Calibration: turning a model's raw log-odds into probabilities that
//! match observed rates, so a score of 85 means about 85 in 100 such
//! accounts convert (DESIGN.md section 1).
//!
//! Two methods are fitted on the held-out slice: Platt scaling (a logistic
//! curve over the raw score) and isotonic regression (any non-decreasing
//! step shape). [`choose`] cross-fits both on two folds and keeps the one
//! whose out-of-fold probabilities have the lower Brier score.

use serde::{Deserialize, Serialize};

use crate::score::metrics::brier;
use crate::score::model::{sigmoid, softplus};

/// Isotonic regression is only tried when each fold holds at least this
/// many positives and this many negatives; below that its steps follow
/// noise and Platt's two parameters are the safer fit.
pub const ISOTONIC_MIN_PER_CLASS: usize = 20;

/// Fewest positives and negatives [`choose`] accepts over all rows.
pub const MIN_PER_CLASS: usize = 2;

/// Newton iterations for Platt scaling; it converges in well under 20 on
/// every case seen, the rest is headroom.
const PLATT_MAX_ITERATIONS: usize = 100;

/// A fitted map from raw log-odds to a calibrated probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Calibrator {
    /// `p = sigmoid(a * raw + b)`.
    Platt { a: f64, b: f64 },
    /// A non-decreasing curve through (threshold, probability) points,
    /// linear between neighbouring points and flat beyond the ends.
    /// Thresholds ascend; every probability lies strictly inside (0, 1).
    Isotonic {
        thresholds: Vec<f64>,
        probabilities: Vec<f64>,
    },
}

impl Calibrator {
    /// The calibrated probability of a raw log-odds score, in [0, 1].
    /// A NaN raw score gives NaN, so a missing score stays visibly missing
    /// instead of turning into a plausible number.
    pub fn probability(&self, raw: f64) -> f64 {
        match self {
            Calibrator::Platt { a, b } => sigmoid(a * raw + b),
            Calibrator::Isotonic {
                thresholds,
                probabilities,
            } => interpolate(thresholds, probabilities, raw),
        }
    }

    /// The method's name as reports and the registry spell it.
    pub fn method(&self) -> &'static str {
        match self {
            Calibrator::Platt { .. } => "platt",
            Calibrator::Isotonic { .. } => "isotonic",
        }
    }
}

/// Why a calibrator could not be fitted.
#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    #[error(
        "calibration input lengths differ: {raw} raw scores, {labels} labels, \
         {folds} fold flags"
    )]
    LengthMismatch {
        raw: usize,
        labels: usize,
        folds: usize,
    },
    #[error("calibration raw score at row {row} is not finite ({value})")]
    NonFinite { row: usize, value: f64 },
    #[error(
        "calibration needs at least {needed} positive and {needed} negative \
         rows, got {positives} positive and {negatives} negative"
    )]
    TooFewRows {
        positives: usize,
        negatives: usize,
        needed: usize,
    },
    #[error(
        "calibration fold {fold} holds {positives} positive and {negatives} \
         negative rows; each fold needs both outcomes"
    )]
    FoldLacksClass {
        fold: bool,
        positives: usize,
        negatives: usize,
    },
    #[error("platt calibration did not converge: the fitted loss is not finite")]
    PlattDiverged,
}

/// Fits Platt scaling by Newton's method on `a` and `b`. The targets are
/// Platt's smoothed ones, (N+ + 1) / (N+ + 2) for a positive row and
/// 1 / (N- + 2) for a negative one, so even perfectly separated rows give
/// finite parameters. Needs at least one row of each outcome.
pub fn fit_platt(raw: &[f64], labels: &[bool]) -> Result<Calibrator, CalibrationError> {
    check_rows(raw, labels, 1)?;
    let targets = smoothed_targets(labels);

    let (positives, negatives) = class_counts(labels);
    let mut a = 0.0;
    let mut b = ((positives as f64 + 1.0) / (negatives as f64 + 1.0)).ln();
    let mut loss = platt_loss(raw, &targets, a, b);
    for _ in 0..PLATT_MAX_ITERATIONS {
        let (step_a, step_b) = newton_step(raw, &targets, a, b);
        let (next_a, next_b, next_loss) = backtrack(raw, &targets, (a, b, loss), (step_a, step_b));
        let moved = (next_a - a).abs().max((next_b - b).abs());
        (a, b, loss) = (next_a, next_b, next_loss);
        if moved < 1e-10 {
            break;
        }
    }

    if !(a.is_finite() && b.is_finite() && loss.is_finite()) {
        return Err(CalibrationError::PlattDiverged);
    }
    Ok(Calibrator::Platt { a, b })
}

/// Fits isotonic regression by pooling adjacent violators over the rows
/// sorted by raw score (rows with equal scores are pooled first).
///
/// Each pooled block's rate is then shrunk to (positives + 0.5) /
/// (rows + 1), which keeps it strictly inside (0, 1): a block of only
/// negatives must not tell anyone a score is 0. Shrinking can put two
/// neighbours out of order when their sizes differ; a second pooling pass
/// over the shrunk rates (weighted by rows + 1) restores the order.
///
/// Between block edges the curve is linear rather than a step, so two
/// accounts whose raw scores differ slightly never land a whole step
/// apart at an arbitrary cut; within a block it is flat.
pub fn fit_isotonic(raw: &[f64], labels: &[bool]) -> Result<Calibrator, CalibrationError> {
    check_rows(raw, labels, 1)?;

    let tied = tie_blocks(raw, labels);
    let pooled = pool_adjacent_violators(tied);
    let shrunk = pooled.into_iter().map(Block::shrunk).collect();
    let blocks = pool_adjacent_violators(shrunk);

    let mut thresholds = Vec::new();
    let mut probabilities = Vec::new();
    for block in &blocks {
        thresholds.push(block.lowest);
        probabilities.push(block.rate());
        if block.highest > block.lowest {
            thresholds.push(block.highest);
            probabilities.push(block.rate());
        }
    }
    Ok(Calibrator::Isotonic {
        thresholds,
        probabilities,
    })
}

/// The calibrator [`choose`] picked, with the evidence for the pick.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// The chosen method refitted on all rows.
    pub calibrator: Calibrator,
    /// The chosen method's out-of-fold probabilities, aligned with the
    /// input rows; the evaluation reports metrics on these.
    pub out_of_fold: Vec<f64>,
    pub platt_brier: f64,
    /// `None` when isotonic was not tried (too few rows per fold).
    pub isotonic_brier: Option<f64>,
}

/// Picks Platt or isotonic calibration for one held-out slice.
///
/// Each method is cross-fitted: fitted on the `fold == false` rows to
/// predict the `fold == true` rows, and the other way round, so every row
/// gets a probability from a fit that never saw it. The method with the
/// lower out-of-fold Brier score wins; a tie goes to Platt, the simpler.
/// Isotonic is only tried when each fold holds at least
/// [`ISOTONIC_MIN_PER_CLASS`] positives and as many negatives.
///
/// Fails with a single outcome, fewer than [`MIN_PER_CLASS`] rows of
/// either outcome, or a fold lacking an outcome (the caller should spread
/// each outcome over both folds).
pub fn choose(raw: &[f64], labels: &[bool], fold: &[bool]) -> Result<Chosen, CalibrationError> {
    if fold.len() != labels.len() {
        return Err(length_mismatch(raw, labels, fold));
    }
    check_rows(raw, labels, MIN_PER_CLASS)?;
    let fold_counts = [
        fold_classes(labels, fold, false),
        fold_classes(labels, fold, true),
    ];
    for (side, &(positives, negatives)) in [false, true].iter().zip(&fold_counts) {
        if positives == 0 || negatives == 0 {
            return Err(CalibrationError::FoldLacksClass {
                fold: *side,
                positives,
                negatives,
            });
        }
    }

    let platt_out = cross_fit(raw, labels, fold, fit_platt)?;
    let platt_brier = brier(&platt_out, labels);
    let isotonic_fits = fold_counts
        .iter()
        .all(|&(positives, negatives)| positives.min(negatives) >= ISOTONIC_MIN_PER_CLASS);
    let isotonic_out = if isotonic_fits {
        Some(cross_fit(raw, labels, fold, fit_isotonic)?)
    } else {
        None
    };
    let isotonic_brier = isotonic_out.as_ref().map(|out| brier(out, labels));

    let isotonic_wins = isotonic_brier.is_some_and(|score| score < platt_brier);
    let (calibrator, out_of_fold) = match isotonic_out {
        Some(out) if isotonic_wins => (fit_isotonic(raw, labels)?, out),
        _ => (fit_platt(raw, labels)?, platt_out),
    };
    Ok(Chosen {
        calibrator,
        out_of_fold,
        platt_brier,
        isotonic_brier,
    })
}

fn cross_fit(
    raw: &[f64],
    labels: &[bool],
    fold: &[bool],
    fit: fn(&[f64], &[bool]) -> Result<Calibrator, CalibrationError>,
) -> Result<Vec<f64>, CalibrationError> {
    let mut out = vec![f64::NAN; raw.len()];
    for predicted in [false, true] {
        let (train_raw, train_labels): (Vec<f64>, Vec<bool>) = (0..raw.len())
            .filter(|&row| fold[row] != predicted)
            .map(|row| (raw[row], labels[row]))
            .unzip();
        let calibrator = fit(&train_raw, &train_labels)?;
        for row in (0..raw.len()).filter(|&row| fold[row] == predicted) {
            out[row] = calibrator.probability(raw[row]);
        }
    }
    Ok(out)
}

fn check_rows(raw: &[f64], labels: &[bool], needed: usize) -> Result<(), CalibrationError> {
    if raw.len() != labels.len() {
        return Err(length_mismatch(raw, labels, labels));
    }
    if let Some(row) = raw.iter().position(|value| !value.is_finite()) {
        return Err(CalibrationError::NonFinite {
            row,
            value: raw[row],
        });
    }
    let (positives, negatives) = class_counts(labels);
    if positives < needed || negatives < needed {
        return Err(CalibrationError::TooFewRows {
            positives,
            negatives,
            needed,
        });
    }
    Ok(())
}

fn length_mismatch(raw: &[f64], labels: &[bool], fold: &[bool]) -> CalibrationError {
    CalibrationError::LengthMismatch {
        raw: raw.len(),
        labels: labels.len(),
        folds: fold.len(),
    }
}

fn class_counts(labels: &[bool]) -> (usize, usize) {
    let positives = labels.iter().filter(|&&label| label).count();
    (positives, labels.len() - positives)
}

fn fold_classes(labels: &[bool], fold: &[bool], side: bool) -> (usize, usize) {
    let in_fold: Vec<bool> = labels
        .iter()
        .zip(fold)
        .filter(|&(_, &f)| f == side)
        .map(|(&label, _)| label)
        .collect();
    class_counts(&in_fold)
}

fn smoothed_targets(labels: &[bool]) -> Vec<f64> {
    let (positives, negatives) = class_counts(labels);
    let high = (positives as f64 + 1.0) / (positives as f64 + 2.0);
    let low = 1.0 / (negatives as f64 + 2.0);
    labels
        .iter()
        .map(|&label| if label { high } else { low })
        .collect()
}

/// Cross-entropy of the smoothed targets under `sigmoid(a * raw + b)`.
fn platt_loss(raw: &[f64], targets: &[f64], a: f64, b: f64) -> f64 {
    raw.iter()
        .zip(targets)
        .map(|(&s, &t)| {
            let z = a * s + b;
            t * softplus(-z) + (1.0 - t) * softplus(z)
        })
        .sum()
}

/// The Newton step for (a, b); a tiny ridge keeps the Hessian invertible
/// when every raw score is equal.
fn newton_step(raw: &[f64], targets: &[f64], a: f64, b: f64) -> (f64, f64) {
    let (mut ga, mut gb) = (0.0, 0.0);
    let (mut haa, mut hab, mut hbb) = (1e-12, 0.0, 1e-12);
    for (&s, &t) in raw.iter().zip(targets) {
        let p = sigmoid(a * s + b);
        let w = p * (1.0 - p);
        ga += (p - t) * s;
        gb += p - t;
        haa += w * s * s;
        hab += w * s;
        hbb += w;
    }
    let determinant = haa * hbb - hab * hab;
    if determinant <= 0.0 || !determinant.is_finite() {
        return (0.0, 0.0);
    }
    let step_a = -(hbb * ga - hab * gb) / determinant;
    let step_b = -(haa * gb - hab * ga) / determinant;
    (step_a, step_b)
}

/// Halves the Newton step until the loss does not rise; keeps the old
/// point when no halving helps.
fn backtrack(
    raw: &[f64],
    targets: &[f64],
    (a, b, loss): (f64, f64, f64),
    (step_a, step_b): (f64, f64),
) -> (f64, f64, f64) {
    let mut scale = 1.0;
    for _ in 0..40 {
        let (next_a, next_b) = (a + scale * step_a, b + scale * step_b);
        let next_loss = platt_loss(raw, targets, next_a, next_b);
        if next_loss <= loss {
            return (next_a, next_b, next_loss);
        }
        scale /= 2.0;
    }
    (a, b, loss)
}

/// A run of rows sorted by raw score whose rate is pooled.
#[derive(Debug, Clone, Copy)]
struct Block {
    lowest: f64,
    highest: f64,
    positives: f64,
    weight: f64,
}

impl Block {
    fn rate(&self) -> f64 {
        self.positives / self.weight
    }

    fn shrunk(self) -> Block {
        Block {
            positives: self.positives + 0.5,
            weight: self.weight + 1.0,
            ..self
        }
    }

    fn merge(self, next: Block) -> Block {
        Block {
            lowest: self.lowest,
            highest: next.highest,
            positives: self.positives + next.positives,
            weight: self.weight + next.weight,
        }
    }
}

/// One block per distinct raw score, in ascending order.
fn tie_blocks(raw: &[f64], labels: &[bool]) -> Vec<Block> {
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&x, &y| raw[x].total_cmp(&raw[y]));

    let mut blocks: Vec<Block> = Vec::new();
    for row in order {
        let positive = if labels[row] { 1.0 } else { 0.0 };
        match blocks.last_mut() {
            Some(last) if last.highest == raw[row] => {
                last.positives += positive;
                last.weight += 1.0;
            }
            _ => blocks.push(Block {
                lowest: raw[row],
                highest: raw[row],
                positives: positive,
                weight: 1.0,
            }),
        }
    }
    blocks
}

/// Merges neighbouring blocks until rates never fall from left to right.
fn pool_adjacent_violators(blocks: Vec<Block>) -> Vec<Block> {
    let mut pooled: Vec<Block> = Vec::with_capacity(blocks.len());
    for block in blocks {
        let mut current = block;
        while let Some(&previous) = pooled.last() {
            // Rates compared by cross-multiplying: weights are positive,
            // and no division means no rounding in the comparison.
            let falls = previous.positives * current.weight > current.positives * previous.weight;
            if !falls {
                break;
            }
            pooled.pop();
            current = previous.merge(current);
        }
        pooled.push(current);
    }
    pooled
}

fn interpolate(thresholds: &[f64], probabilities: &[f64], raw: f64) -> f64 {
    if raw.is_nan() {
        return f64::NAN;
    }
    let (Some(&first), Some(&last)) = (probabilities.first(), probabilities.last()) else {
        // An empty curve knows nothing: even odds.
        return 0.5;
    };

    let above = thresholds.partition_point(|&threshold| threshold <= raw);
    if above == 0 {
        return first;
    }
    if above >= thresholds.len() || above >= probabilities.len() {
        return last;
    }
    let (x0, x1) = (thresholds[above - 1], thresholds[above]);
    let (y0, y1) = (probabilities[above - 1], probabilities[above]);
    if x1 <= x0 {
        // Only a hand-edited curve repeats a threshold; take the upper.
        return y1;
    }
    y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXACT: f64 = 1e-12;

    fn isotonic_points(calibrator: &Calibrator) -> (Vec<f64>, Vec<f64>) {
        match calibrator {
            Calibrator::Isotonic {
                thresholds,
                probabilities,
            } => (thresholds.clone(), probabilities.clone()),
            Calibrator::Platt { .. } => panic!("expected isotonic"),
        }
    }

    #[test]
    fn isotonic_pools_violators_and_shrinks_block_rates() {
        // Sorted outcomes 0, 1, 0, 1, 1: rows 2 and 3 violate and pool
        // into one block of 1 positive in 2 rows.
        let raw = [1.0, 2.0, 3.0, 4.0, 5.0];
        let labels = [false, true, false, true, true];
        let fitted = fit_isotonic(&raw, &labels).unwrap();
        let (thresholds, probabilities) = isotonic_points(&fitted);

        // Shrunk rates: 0.5/2 = 0.25, 1.5/3 = 0.5, 1.5/2 = 0.75 (rows 4
        // and 5 are separate blocks of rate 1, both shrunk to 0.75).
        assert_eq!(thresholds, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(probabilities, vec![0.25, 0.5, 0.5, 0.75, 0.75]);
        assert_eq!(fitted.method(), "isotonic");

        // Linear between edges, flat inside a block and beyond the ends.
        assert!((fitted.probability(1.5) - 0.375).abs() < EXACT);
        assert!((fitted.probability(2.5) - 0.5).abs() < EXACT);
        assert_eq!(fitted.probability(-10.0), 0.25);
        assert_eq!(fitted.probability(10.0), 0.75);
        assert!(fitted.probability(f64::NAN).is_nan());
    }

    #[test]
    fn isotonic_pools_tied_scores_first() {
        // Two rows at 1.0 (one positive) pool before anything else.
        let raw = [1.0, 1.0, 2.0];
        let labels = [true, false, true];
        let fitted = fit_isotonic(&raw, &labels).unwrap();
        let (thresholds, probabilities) = isotonic_points(&fitted);
        assert_eq!(thresholds, vec![1.0, 2.0]);
        assert_eq!(probabilities, vec![1.5 / 3.0, 0.75]);
    }

    #[test]
    fn shrinking_that_breaks_the_order_is_pooled_again() {
        // One negative at 1.0 (shrunk 0.5/2 = 0.25), then 1 positive in
        // 20 rows at 2.0 (shrunk 1.5/21 = 0.071): pooled again into
        // 2.0 / 23.
        let mut raw = vec![1.0];
        let mut labels = vec![false];
        raw.extend([2.0; 20]);
        labels.extend((0..20).map(|row| row == 0));
        let fitted = fit_isotonic(&raw, &labels).unwrap();
        let (thresholds, probabilities) = isotonic_points(&fitted);
        assert_eq!(thresholds, vec![1.0, 2.0]);
        assert!(probabilities
            .iter()
            .all(|&p| (p - 2.0 / 23.0).abs() < EXACT));
    }

    #[test]
    fn calibrators_survive_a_json_round_trip() {
        let raw = [-1.0, 0.0, 0.5, 1.0, 2.0];
        let labels = [false, true, false, true, true];
        for fitted in [
            fit_platt(&raw, &labels).unwrap(),
            fit_isotonic(&raw, &labels).unwrap(),
        ] {
            let json = serde_json::to_string(&fitted).unwrap();
            let back: Calibrator = serde_json::from_str(&json).unwrap();
            assert_eq!(back, fitted);
            assert_eq!(back.probability(0.7), fitted.probability(0.7));
        }
    }

    #[test]
    fn platt_stays_finite_on_separable_rows() {
        let raw = [-2.0, -1.0, 1.0, 2.0];
        let labels = [false, false, true, true];
        let fitted = fit_platt(&raw, &labels).unwrap();
        let Calibrator::Platt { a, b } = fitted else {
            panic!("expected platt")
        };
        assert!(a.is_finite() && a > 0.0, "a {a}");
        // Symmetric rows and targets (3/4 and 1/4) give b = 0.
        assert!(b.abs() < 1e-9, "b {b}");
        // Rows at +-1 and +-2 fitted to targets 0.75 / 0.25 between them.
        let p = fitted.probability(2.0);
        assert!(p > 0.75 && p < 0.95, "p {p}");
        assert_eq!(fitted.method(), "platt");
    }

    #[test]
    fn errors_name_what_failed() {
        let single = fit_platt(&[0.1, 0.2], &[true, true]).unwrap_err();
        assert_eq!(
            single.to_string(),
            "calibration needs at least 1 positive and 1 negative rows, \
             got 2 positive and 0 negative"
        );
        let nan = fit_isotonic(&[0.1, f64::NAN], &[true, false]).unwrap_err();
        assert_eq!(
            nan.to_string(),
            "calibration raw score at row 1 is not finite (NaN)"
        );
        let fold = choose(
            &[1.0, 2.0, 3.0, 4.0],
            &[true, true, false, false],
            &[false, false, true, true],
        )
        .unwrap_err();
        assert!(matches!(
            fold,
            CalibrationError::FoldLacksClass {
                fold: false,
                positives: 2,
                negatives: 0
            }
        ));
        let few = choose(
            &[1.0, 2.0, 3.0],
            &[true, false, false],
            &[false, true, true],
        );
        assert!(matches!(
            few,
            Err(CalibrationError::TooFewRows { positives: 1, .. })
        ));
    }

    #[test]
    fn small_slices_only_try_platt() {
        let raw: Vec<f64> = (0..40).map(|row| row as f64 / 10.0 - 2.0).collect();
        let labels: Vec<bool> = (0..40).map(|row| row % 3 == 0 || row > 25).collect();
        let fold: Vec<bool> = (0..40).map(|row| row % 2 == 0).collect();
        let chosen = choose(&raw, &labels, &fold).unwrap();
        assert_eq!(chosen.calibrator.method(), "platt");
        assert_eq!(chosen.isotonic_brier, None);
        assert_eq!(chosen.out_of_fold.len(), 40);
        assert!((brier(&chosen.out_of_fold, &labels) - chosen.platt_brier).abs() < EXACT);
    }
}
