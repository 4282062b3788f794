//! Calibration against data whose true probability is known: rows are
//! drawn from a fixed seed, so every number here is reproducible and the
//! tolerances are statistical, not timing-dependent.

use radar::score::calibrate::{choose, fit_isotonic, fit_platt, Calibrator};
use radar::score::metrics::{brier, expected_calibration_error, metrics};
use radar::score::model::TrainingSet;
use radar::score::naive_bayes;

const ROWS: usize = 100_000;

/// splitmix64: a tiny deterministic source of uniform numbers in [0, 1).
struct Uniform(u64);

impl Uniform {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Rows with raw score s ~ U(-4, 4), the true P(y = 1 | s) and a drawn y.
struct Known {
    raw: Vec<f64>,
    truth: Vec<f64>,
    labels: Vec<bool>,
}

fn draw(seed: u64, truth: impl Fn(f64) -> f64) -> Known {
    let mut uniform = Uniform(seed);
    let mut known = Known {
        raw: vec![],
        truth: vec![],
        labels: vec![],
    };
    for _ in 0..ROWS {
        let s = uniform.next() * 8.0 - 4.0;
        let p = truth(s);
        known.raw.push(s);
        known.truth.push(p);
        known.labels.push(uniform.next() < p);
    }
    known
}

fn logistic_truth(s: f64) -> f64 {
    sigmoid(1.7 * s - 0.8)
}

fn step_truth(s: f64) -> f64 {
    if s > 0.0 {
        0.9
    } else {
        0.1
    }
}

/// Alternating rows: the draws are independent, so this splits them
/// into two exchangeable halves.
fn folds(rows: usize) -> Vec<bool> {
    (0..rows).map(|row| row % 2 == 1).collect()
}

#[test]
fn platt_recovers_the_true_logistic_parameters() {
    let known = draw(7, logistic_truth);
    let Calibrator::Platt { a, b } = fit_platt(&known.raw, &known.labels).unwrap() else {
        panic!("fit_platt returned another method");
    };
    println!("platt a {a:.4} b {b:.4}");
    // Standard errors at 100k rows are about 0.01 for both; 0.05 is
    // five of them, and target smoothing moves them by about 1e-5.
    assert!((a - 1.7).abs() < 0.05, "a {a}");
    assert!((b + 0.8).abs() < 0.05, "b {b}");
}

#[test]
fn isotonic_matches_the_true_probability_at_zero() {
    let known = draw(11, logistic_truth);
    let fitted = fit_isotonic(&known.raw, &known.labels).unwrap();
    let at_zero = fitted.probability(0.0);
    let truth = sigmoid(-0.8);
    println!("isotonic p(0) {at_zero:.4}, true {truth:.4}");
    // Blocks near s = 0 pool a few hundred rows each (binomial standard
    // error about 0.02 / 1.5) and the curve's slope there is 0.36 per
    // unit of s; 0.02 covers both.
    assert!((at_zero - truth).abs() < 0.02, "p(0) {at_zero}");

    let lowest = fitted.probability(-4.0);
    let highest = fitted.probability(4.0);
    // The shrunk end blocks stay strictly inside (0, 1).
    assert!(lowest > 0.0 && highest < 1.0, "{lowest} {highest}");
}

#[test]
fn a_step_truth_chooses_isotonic_with_small_out_of_fold_error() {
    let known = draw(13, step_truth);
    let chosen = choose(&known.raw, &known.labels, &folds(ROWS)).unwrap();
    let ece = expected_calibration_error(&chosen.out_of_fold, &known.labels, 10);
    let isotonic_brier = chosen.isotonic_brier.unwrap();
    println!(
        "step: platt brier {:.5}, isotonic brier {isotonic_brier:.5}, ece {ece:.5}",
        chosen.platt_brier
    );

    assert_eq!(chosen.calibrator.method(), "isotonic");
    assert!(isotonic_brier < chosen.platt_brier);
    // Almost all rows sit at 0.1 or 0.9 in two bins of 50k rows, where
    // the observed rate's standard error is 0.0013; 0.01 also covers the
    // few blocks that straddle s = 0.
    assert!(ece <= 0.01, "ece {ece}");
    // The reported Brier is that of the returned out-of-fold rows.
    let reported = brier(&chosen.out_of_fold, &known.labels);
    assert!((reported - isotonic_brier).abs() < 1e-12);
}

#[test]
fn a_logistic_truth_gives_platt_the_true_brier_out_of_fold() {
    let known = draw(17, logistic_truth);
    let chosen = choose(&known.raw, &known.labels, &folds(ROWS)).unwrap();
    let true_brier = brier(&known.truth, &known.labels);
    println!(
        "logistic: true brier {true_brier:.5}, platt {:.5}, isotonic {:?}, chose {}",
        chosen.platt_brier,
        chosen.isotonic_brier,
        chosen.calibrator.method()
    );

    // Two fitted parameters over 50k rows per fold cost about 2/50k in
    // Brier; 0.001 is fifty times that.
    assert!((chosen.platt_brier - true_brier).abs() < 0.001);
    assert_eq!(chosen.out_of_fold.len(), ROWS);
    assert!(chosen.out_of_fold.iter().all(|p| *p > 0.0 && *p < 1.0));
    // Whichever method won, its out-of-fold rows are well calibrated:
    // ten bins of about 10k rows each, standard error under 0.005.
    let report = metrics(&chosen.out_of_fold, &known.labels);
    assert!(report.ece <= 0.01, "ece {}", report.ece);
    assert_eq!(report.rows, ROWS);
}

#[test]
fn calibration_repairs_an_overconfident_naive_bayes() {
    // Three copies of the same noisy signal: naive Bayes counts the
    // evidence three times, so its raw probabilities are too extreme.
    let mut uniform = Uniform(23);
    let rows_count = 20_000;
    let mut rows = Vec::with_capacity(rows_count);
    let mut labels = Vec::with_capacity(rows_count);
    for _ in 0..rows_count {
        let s = uniform.next() * 4.0 - 2.0;
        labels.push(uniform.next() < sigmoid(1.5 * s));
        rows.push(vec![Some(s), Some(s), Some(s)]);
    }
    let names = ["signal_a", "signal_b", "signal_c"];
    let set = TrainingSet {
        feature_names: names.iter().map(|name| name.to_string()).collect(),
        rows,
        labels,
    };
    let model = naive_bayes::fit(&set).unwrap();
    let raw: Vec<f64> = set.rows.iter().map(|row| model.log_odds(row)).collect();

    let uncalibrated: Vec<f64> = raw.iter().map(|&z| sigmoid(z)).collect();
    let before = expected_calibration_error(&uncalibrated, &set.labels, 10);
    let chosen = choose(&raw, &set.labels, &folds(rows_count)).unwrap();
    let after = expected_calibration_error(&chosen.out_of_fold, &set.labels, 10);
    println!("naive bayes ece before {before:.4}, after {after:.4}");

    // Tripled evidence pushes predictions far past the truth: the gap
    // is several times any sampling noise at 20k rows (about 0.01).
    assert!(before > 0.05, "before {before}");
    assert!(after < 0.02, "after {after}");
}
