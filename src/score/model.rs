//! The regularised logistic regression, one of the two learners a score
//! can pick (the other is the gradient-boosted trees of [`super::trees`]).
//!
//! It fits an L2-penalised logistic regression on transformed and
//! standardised features, with a 0/1 indicator for features that are
//! sometimes missing. Its output is a raw log-odds that the score's
//! calibrator turns into a probability; each feature's share of that
//! log-odds is its contribution, so contributions always add up to the
//! raw output.
//!
//! Everything here is deterministic: the same inputs give bit-identical
//! parameters and therefore the same [`LinearModel::version`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Most Newton steps taken by either fit before it stops.
const MAX_ITERATIONS: usize = 100;

/// A fit has converged when no parameter moves by more than this.
const STEP_TOLERANCE: f64 = 1e-9;

/// Step halvings tried before a Newton step is given up as no improvement.
const MAX_HALVINGS: usize = 40;

/// Added to the Hessian diagonal so that the linear system always has a
/// solution. The gradient is exact, so this changes the path but not the
/// optimum that Newton converges to.
const HESSIAN_JITTER: f64 = 1e-9;

/// The penalty actually used when `l2` is 0: separable data then still
/// yields finite coefficients.
const MIN_L2: f64 = 1e-6;

/// A transformed feature whose standard deviation is below this (relative
/// to its mean) counts as having zero spread.
const MIN_SPREAD: f64 = 1e-12;

/// Rows with labels, the input to every learner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingSet {
    pub feature_names: Vec<String>,
    /// One value per feature name; `None`, NaN and infinities are missing.
    pub rows: Vec<Vec<Option<f64>>>,
    pub labels: Vec<bool>,
}

impl TrainingSet {
    /// Number of rows labelled `true` and `false`.
    pub fn class_counts(&self) -> (usize, usize) {
        let positives = self.labels.iter().filter(|&&label| label).count();
        (positives, self.labels.len() - positives)
    }
}

/// Settings for [`fit`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelOptions {
    /// L2 penalty on the standardised coefficients, added as
    /// `l2 / 2 * sum(beta^2)` to the summed log-loss of the fit set.
    /// The intercept is not penalised.
    pub l2: f64,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions { l2: 1.0 }
    }
}

/// Why a model could not be trained.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "insufficient training data: the fit set has {positives} positive and \
         {negatives} negative labels, and both classes are needed"
    )]
    InsufficientData { positives: usize, negatives: usize },

    #[error("{set} set has the wrong shape: {detail}")]
    Shape { set: &'static str, detail: String },

    #[error("invalid model option {name}: {detail}")]
    InvalidOption { name: &'static str, detail: String },

    #[error("model fit failed: {detail}")]
    Numerical { detail: String },
}

/// A fitted logistic regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    feature_names: Vec<String>,
    intercept: f64,
    features: Vec<FeatureParams>,
}

/// How one feature enters the logit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FeatureParams {
    /// Mean of the transformed value over the fit set.
    mean: f64,
    /// Standard deviation of the transformed value; 0 for zero spread.
    std: f64,
    /// Coefficient of the standardised value; 0 for zero spread.
    weight: f64,
    /// Coefficient of the 0/1 missing indicator, present when the feature
    /// was both missing and present in the fit set.
    missing_weight: Option<f64>,
}

/// Design-matrix columns of one feature.
#[derive(Debug, Clone, Copy)]
struct Columns {
    value: Option<usize>,
    missing: Option<usize>,
}

/// Fits the regression on `set`.
pub fn fit(set: &TrainingSet, opts: &ModelOptions) -> Result<LinearModel, ModelError> {
    let l2 = checked_l2(opts)?;
    check_shape("fit", set, set.feature_names.len())?;

    let (positives, negatives) = set.class_counts();
    if positives == 0 || negatives == 0 {
        return Err(ModelError::InsufficientData {
            positives,
            negatives,
        });
    }

    let mut features = feature_statistics(set);
    let (columns, width) = layout(&features);
    let design = design_matrix(&features, &columns, width, &set.rows);
    let targets: Vec<f64> = set.labels.iter().map(|&y| f64::from(u8::from(y))).collect();
    let mut penalty = vec![l2; width];
    penalty[0] = 0.0;
    let beta = fit_logistic(&design, width, &targets, &penalty)?;

    for (params, cols) in features.iter_mut().zip(&columns) {
        params.weight = cols.value.map_or(0.0, |c| beta[c]);
        params.missing_weight = cols.missing.map(|c| beta[c]);
    }
    let model = LinearModel {
        feature_names: set.feature_names.clone(),
        intercept: beta[0],
        features,
    };
    check_finite(&model)?;
    Ok(model)
}

impl LinearModel {
    /// The raw log-odds of the positive class.
    ///
    /// Missing, NaN and infinite values are read as missing. A row shorter
    /// than the feature list is read as missing for the absent features.
    pub fn raw(&self, row: &[Option<f64>]) -> f64 {
        self.intercept + self.terms(row).iter().sum::<f64>()
    }

    /// The intercept and each feature's share of the log-odds, compared
    /// with the same row where that feature sits at its fit-set mean and
    /// is not missing. Intercept plus shares is exactly [`Self::raw`].
    pub fn contributions(&self, row: &[Option<f64>]) -> (f64, Vec<f64>) {
        (self.intercept, self.terms(row))
    }

    /// `"lr-"` and the first 12 hex digits of a SHA-256 over the feature
    /// names and every fitted number.
    pub fn version(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"radar logistic regression v2");

        hash_len(&mut hasher, self.feature_names.len());
        for name in &self.feature_names {
            hash_len(&mut hasher, name.len());
            hasher.update(name.as_bytes());
        }

        hash_f64(&mut hasher, self.intercept);
        for params in &self.features {
            hash_f64(&mut hasher, params.mean);
            hash_f64(&mut hasher, params.std);
            hash_f64(&mut hasher, params.weight);
            match params.missing_weight {
                Some(weight) => {
                    hasher.update([1]);
                    hash_f64(&mut hasher, weight);
                }
                None => hasher.update([0]),
            }
        }

        let digest = hasher.finalize();
        let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("lr-{hex}")
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Each feature's share of the logit, in feature order.
    fn terms(&self, row: &[Option<f64>]) -> Vec<f64> {
        self.features
            .iter()
            .enumerate()
            .map(|(j, params)| {
                let (z, missing) = params.standardise(row.get(j).copied().flatten());
                let indicator = if missing {
                    params.missing_weight.unwrap_or(0.0)
                } else {
                    0.0
                };
                params.weight * z + indicator
            })
            .collect()
    }
}

impl FeatureParams {
    /// The standardised value (0 when missing or of zero spread) and
    /// whether the value was missing.
    fn standardise(&self, value: Option<f64>) -> (f64, bool) {
        match transformed(value) {
            None => (0.0, true),
            Some(_) if self.std == 0.0 => (0.0, false),
            Some(t) => ((t - self.mean) / self.std, false),
        }
    }
}

fn check_finite(model: &LinearModel) -> Result<(), ModelError> {
    let numbers = model
        .features
        .iter()
        .flat_map(|p| [p.mean, p.std, p.weight, p.missing_weight.unwrap_or(0.0)])
        .chain([model.intercept]);

    for number in numbers {
        if !number.is_finite() {
            let detail = "a fitted parameter is not finite".to_string();
            return Err(ModelError::Numerical { detail });
        }
    }
    Ok(())
}

fn checked_l2(opts: &ModelOptions) -> Result<f64, ModelError> {
    if !opts.l2.is_finite() || opts.l2 < 0.0 {
        return Err(ModelError::InvalidOption {
            name: "l2",
            detail: format!("must be a finite number >= 0, got {}", opts.l2),
        });
    }
    Ok(opts.l2.max(MIN_L2))
}

fn check_shape(set: &'static str, data: &TrainingSet, width: usize) -> Result<(), ModelError> {
    if data.labels.len() != data.rows.len() {
        let detail = format!("{} rows but {} labels", data.rows.len(), data.labels.len());
        return Err(ModelError::Shape { set, detail });
    }

    match data.rows.iter().position(|row| row.len() != width) {
        None => Ok(()),
        Some(i) => {
            let detail = format!(
                "row {i} has {} values but there are {width} features",
                data.rows[i].len()
            );
            Err(ModelError::Shape { set, detail })
        }
    }
}

/// `sign(x) * ln(1 + |x|)`, or `None` for a missing or non-finite value.
///
/// The model is linear in this transformed value, so a law that is linear
/// in the raw value is fitted only approximately: for p = sigmoid(-1 + 2x)
/// with x uniform on [-2, 2], calibrated deciles are off by up to 0.05.
fn transformed(value: Option<f64>) -> Option<f64> {
    let x = value.filter(|x| x.is_finite())?;
    Some(x.signum() * x.abs().ln_1p())
}

/// Mean and spread of every transformed feature over the fit set, with
/// zero weights and an indicator slot for features that were sometimes
/// missing.
fn feature_statistics(fit: &TrainingSet) -> Vec<FeatureParams> {
    (0..fit.feature_names.len())
        .map(|j| {
            let values: Vec<f64> = fit
                .rows
                .iter()
                .filter_map(|row| transformed(row[j]))
                .collect();
            let (mean, std) = mean_and_std(&values);
            let sometimes_missing = !values.is_empty() && values.len() < fit.rows.len();
            let has_spread = std > MIN_SPREAD * (1.0 + mean.abs());

            FeatureParams {
                mean,
                std: if has_spread { std } else { 0.0 },
                weight: 0.0,
                missing_weight: sometimes_missing.then_some(0.0),
            }
        })
        .collect()
}

/// Population mean and standard deviation; (0, 0) for no values.
fn mean_and_std(values: &[f64]) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, variance.sqrt())
}

/// Column 0 is the intercept; then each feature's value column (when it
/// has spread) and missing-indicator column (when it has one), in feature
/// order. A feature that was always missing, or never, gets no indicator,
/// as a constant column carries nothing the intercept does not.
fn layout(features: &[FeatureParams]) -> (Vec<Columns>, usize) {
    let mut width = 1;
    let mut next = || {
        width += 1;
        width - 1
    };
    let columns = features
        .iter()
        .map(|params| Columns {
            value: (params.std > 0.0).then(&mut next),
            missing: params.missing_weight.is_some().then(&mut next),
        })
        .collect();
    (columns, width)
}

/// The fit rows encoded as a row-major matrix of `width` columns.
fn design_matrix(
    features: &[FeatureParams],
    columns: &[Columns],
    width: usize,
    rows: &[Vec<Option<f64>>],
) -> Vec<f64> {
    let mut design = vec![0.0; rows.len() * width];
    for (row, out) in rows.iter().zip(design.chunks_exact_mut(width)) {
        out[0] = 1.0;
        for ((params, cols), &value) in features.iter().zip(columns).zip(row) {
            let (z, missing) = params.standardise(value);
            if let Some(c) = cols.value {
                out[c] = z;
            }
            if let (Some(c), true) = (cols.missing, missing) {
                out[c] = 1.0;
            }
        }
    }
    design
}

/// Minimises the penalised log-loss
/// `sum(softplus(eta) - t * eta) + 1/2 * sum(penalty * beta^2)`
/// with `eta = X beta`, by Newton-Raphson with step halving. `design` is
/// row-major with `width` columns; targets may be soft labels in [0, 1].
/// Starts from the target mean's logit as intercept (column 0) and zeros.
///
/// Stops after `MAX_ITERATIONS` even if not converged; the objective never
/// increases, so that answer is still the best found.
fn fit_logistic(
    design: &[f64],
    width: usize,
    targets: &[f64],
    penalty: &[f64],
) -> Result<Vec<f64>, ModelError> {
    let mut beta = vec![0.0; width];
    let mean_target = targets.iter().sum::<f64>() / targets.len() as f64;
    beta[0] = (mean_target / (1.0 - mean_target)).ln();
    let mut loss = objective(design, width, targets, penalty, &beta);

    for _ in 0..MAX_ITERATIONS {
        let (gradient, hessian) = newton_system(design, width, targets, penalty, &beta);

        let step = solve(hessian, gradient, width).ok_or_else(|| ModelError::Numerical {
            detail: "newton system is singular".to_string(),
        })?;

        let Some((next, next_loss, scale)) =
            halve_until_better(design, width, targets, penalty, &beta, &step, loss)
        else {
            break;
        };
        beta = next;
        loss = next_loss;

        let largest = step.iter().fold(0.0_f64, |m, s| m.max((s * scale).abs()));
        if largest < STEP_TOLERANCE {
            break;
        }
    }

    Ok(beta)
}

fn objective(design: &[f64], width: usize, targets: &[f64], penalty: &[f64], beta: &[f64]) -> f64 {
    let loss: f64 = design
        .chunks_exact(width)
        .zip(targets)
        .map(|(x, &t)| {
            let eta = dot(x, beta);
            softplus(eta) - t * eta
        })
        .sum();
    let shrink: f64 = penalty.iter().zip(beta).map(|(l, b)| l * b * b).sum();
    loss + 0.5 * shrink
}

/// Gradient of the penalised log-likelihood (the ascent direction) and the
/// Hessian of the penalised log-loss, row-major, plus a small jitter.
fn newton_system(
    design: &[f64],
    width: usize,
    targets: &[f64],
    penalty: &[f64],
    beta: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let mut gradient = vec![0.0; width];
    let mut hessian = vec![0.0; width * width];

    for (x, &t) in design.chunks_exact(width).zip(targets) {
        let mu = sigmoid(dot(x, beta));
        let weight = mu * (1.0 - mu);
        for k in 0..width {
            gradient[k] += x[k] * (t - mu);
            let wx = weight * x[k];
            for l in k..width {
                hessian[k * width + l] += wx * x[l];
            }
        }
    }

    for k in 0..width {
        gradient[k] -= penalty[k] * beta[k];
        hessian[k * width + k] += penalty[k] + HESSIAN_JITTER;
        for l in 0..k {
            hessian[k * width + l] = hessian[l * width + k];
        }
    }
    (gradient, hessian)
}

/// Tries `beta + scale * step` for scale 1, 1/2, 1/4, ... and returns the
/// first point whose loss is no worse, with its loss and scale.
fn halve_until_better(
    design: &[f64],
    width: usize,
    targets: &[f64],
    penalty: &[f64],
    beta: &[f64],
    step: &[f64],
    loss: f64,
) -> Option<(Vec<f64>, f64, f64)> {
    let mut scale = 1.0;
    for _ in 0..MAX_HALVINGS {
        let candidate: Vec<f64> = beta.iter().zip(step).map(|(b, s)| b + scale * s).collect();
        let candidate_loss = objective(design, width, targets, penalty, &candidate);
        if candidate_loss <= loss {
            return Some((candidate, candidate_loss, scale));
        }
        scale *= 0.5;
    }
    None
}

/// Solves `a x = b` for a row-major `n` x `n` matrix by Gaussian
/// elimination with partial pivoting. `None` when a pivot vanishes.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let pivot_row =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        let pivot = a[pivot_row * n + col];
        if !pivot.is_finite() || pivot.abs() < f64::MIN_POSITIVE {
            return None;
        }
        if pivot_row != col {
            for k in 0..n {
                a.swap(col * n + k, pivot_row * n + k);
            }
            b.swap(col, pivot_row);
        }

        for row in col + 1..n {
            let factor = a[row * n + col] / pivot;
            if factor == 0.0 {
                continue;
            }
            for k in col..n {
                a[row * n + k] -= factor * a[col * n + k];
            }
            b[row] -= factor * b[col];
        }
    }

    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let known: f64 = (row + 1..n).map(|k| a[row * n + k] * x[k]).sum();
        x[row] = (b[row] - known) / a[row * n + row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

fn dot(x: &[f64], beta: &[f64]) -> f64 {
    x.iter().zip(beta).map(|(a, b)| a * b).sum()
}

/// The logistic function, without overflow for large |z|.
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^z)` without overflow.
pub(crate) fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

fn hash_f64(hasher: &mut Sha256, value: f64) {
    hasher.update(value.to_bits().to_le_bytes());
}

fn hash_len(hasher: &mut Sha256, len: usize) {
    hasher.update((len as u64).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::score::testing::Lcg;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|j| format!("f{j}")).collect()
    }

    /// Rows whose first feature, after the model's log transform, is x
    /// uniform on [-2, 2], plus a pure-noise feature; labels follow
    /// p = sigmoid(-1 + 2x).
    fn logistic_law(rows: usize, seed: u64) -> TrainingSet {
        let mut rng = Lcg(seed);
        let mut set = TrainingSet {
            feature_names: names(2),
            ..Default::default()
        };
        for _ in 0..rows {
            let x = -2.0 + 4.0 * rng.uniform();
            let noise = rng.uniform();
            let p = sigmoid(-1.0 + 2.0 * x);
            let raw = x.signum() * x.abs().exp_m1();
            set.rows.push(vec![Some(raw), Some(noise)]);
            set.labels.push(rng.bernoulli(p));
        }
        set
    }

    fn options() -> ModelOptions {
        ModelOptions { l2: 1.0 }
    }

    #[test]
    fn recovers_the_law_of_a_logistic_truth() {
        let model = fit(&logistic_law(20_000, 1), &options()).unwrap();

        // The feature is standardised, so its weight is 2 * std(x) where x
        // is uniform on [-2, 2]: std = 4 / sqrt(12).
        let expected = 2.0 * 4.0 / 12f64.sqrt();
        let weight = model.features[0].weight;
        assert!(
            (weight - expected).abs() < 0.1,
            "weight {weight} vs {expected}"
        );
        // At x = 0 the truth is logit -1; 20k rows pin it within 0.05.
        let at_zero = model.raw(&[Some(0.0), Some(0.5)]);
        assert!((at_zero + 1.0).abs() < 0.05, "logit at 0: {at_zero}");
    }

    #[test]
    fn contributions_add_up_to_the_raw_output() {
        let set = logistic_law(2_000, 4);
        let model = fit(&set, &options()).unwrap();

        let gap = vec![None, Some(0.3)];
        for row in set.rows.iter().take(200).chain([&gap]) {
            let (intercept, shares) = model.contributions(row);
            let total = intercept + shares.iter().sum::<f64>();
            assert!((total - model.raw(row)).abs() < 1e-12);
        }
    }

    #[test]
    fn signal_feature_outweighs_noise_in_contributions() {
        let model = fit(&logistic_law(5_000, 5), &options()).unwrap();

        let (_, shares) = model.contributions(&[Some(6.0), Some(0.5)]);
        assert!(shares[0] > 1.0, "signal share {}", shares[0]);
        assert!(shares[1].abs() < 0.1, "noise share {}", shares[1]);
    }

    #[test]
    fn separable_data_trains_to_finite_numbers() {
        let set = TrainingSet {
            feature_names: names(1),
            rows: (0..100).map(|i| vec![Some(f64::from(i))]).collect(),
            labels: (0..100).map(|i| i >= 50).collect(),
        };
        let model = fit(&set, &ModelOptions { l2: 0.0 }).unwrap();

        assert!(model.raw(&[Some(-50.0)]) < -3.0);
        assert!(model.raw(&[Some(99.0)]) > 3.0);
        assert!(model.raw(&[Some(1e300)]).is_finite());
    }

    #[test]
    fn single_class_fit_set_is_insufficient() {
        let set = TrainingSet {
            feature_names: names(1),
            rows: vec![vec![Some(1.0)]; 10],
            labels: vec![true; 10],
        };
        let err = fit(&set, &options()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "insufficient training data: the fit set has 10 positive and 0 negative \
             labels, and both classes are needed"
        );
    }

    #[test]
    fn missing_values_are_read_through_their_indicator() {
        let mut rng = Lcg(9);
        let mut set = TrainingSet {
            feature_names: names(1),
            ..Default::default()
        };
        for _ in 0..4_000 {
            let missing = rng.bernoulli(0.5);
            let value = if missing { None } else { Some(rng.uniform()) };
            set.rows.push(vec![value]);
            set.labels
                .push(rng.bernoulli(if missing { 0.8 } else { 0.2 }));
        }
        let model = fit(&set, &options()).unwrap();

        let missing = model.raw(&[None]);
        assert_eq!(model.raw(&[Some(f64::NAN)]), missing);
        assert_eq!(model.raw(&[Some(f64::INFINITY)]), missing);
        // ln(0.8 / 0.2) = 1.386; 2k rows per arm pin it within 0.15.
        assert!(
            (missing - 4f64.ln()).abs() < 0.15,
            "missing logit {missing}"
        );
    }

    #[test]
    fn version_follows_the_data() {
        let set = logistic_law(2_000, 6);
        let first = fit(&set, &options()).unwrap();
        let again = fit(&set, &options()).unwrap();
        assert_eq!(first.version(), again.version());
        assert!(first.version().starts_with("lr-"));
        assert_eq!(first.version().len(), 15);

        let other = fit(&logistic_law(2_000, 7), &options()).unwrap();
        assert_ne!(first.version(), other.version());
        let stronger = fit(&set, &ModelOptions { l2: 10.0 }).unwrap();
        assert_ne!(first.version(), stronger.version());
    }

    #[test]
    fn zero_spread_and_all_null_features_change_nothing() {
        let set = logistic_law(2_000, 8);
        let mut padded = set.clone();
        padded
            .feature_names
            .extend(["constant".to_string(), "empty".to_string()]);
        for row in &mut padded.rows {
            row.extend([Some(3.0), None]);
        }
        let plain = fit(&set, &options()).unwrap();
        let wide = fit(&padded, &options()).unwrap();

        assert_eq!(wide.features[2].weight, 0.0);
        assert_eq!(wide.features[3].missing_weight, None);
        for (row, padded_row) in set.rows.iter().zip(&padded.rows).take(50) {
            assert!((plain.raw(row) - wide.raw(padded_row)).abs() < 1e-9);
        }
    }

    #[test]
    fn bad_shapes_and_options_are_rejected() {
        let set = logistic_law(100, 10);
        let mut short = set.clone();
        short.rows[3].pop();
        let err = fit(&short, &options()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "fit set has the wrong shape: row 3 has 1 values but there are 2 features"
        );

        let err = fit(&set, &ModelOptions { l2: -1.0 }).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid model option l2: must be a finite number >= 0, got -1"
        );
    }
}
