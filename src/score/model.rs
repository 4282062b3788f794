//! The scoring model behind the calibrated propensity and health scores.
//!
//! A score is a calibrated probability times 100, so the model has three
//! parts: an L2-regularised logistic regression on transformed and
//! standardised features, a Platt calibration of its logit, and per-feature
//! contributions that explain a single score in score points. Training also
//! produces an [`Evaluation`] on held-out rows; a model that cannot rank
//! better than chance answers with the base rate instead of noise.
//!
//! Everything here is deterministic: the same inputs give bit-identical
//! parameters and therefore the same [`ScoreModel::version`].

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

/// A model must reach this AUC on its evaluation rows to be used.
const CHANCE_AUC: f64 = 0.55;

/// Rows with labels, the input to [`train`].
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

/// Settings for [`train`].
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

    #[error("calibration set features differ from the fit set: {detail}")]
    FeatureMismatch { detail: String },

    #[error("invalid model option {name}: {detail}")]
    InvalidOption { name: &'static str, detail: String },

    #[error("model fit failed: {detail}")]
    Numerical { detail: String },
}

/// How well a trained model did on the rows it was evaluated on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// AUC of the raw logit; `None` when the rows hold only one class.
    pub auc: Option<f64>,
    /// Brier score of the probabilities the model actually serves: the
    /// calibrated ones, or the base rate when the model does not beat
    /// chance.
    pub brier: f64,
    /// Share of positive labels in the evaluation rows.
    pub base_rate: f64,
    pub fit_rows: usize,
    /// Rows the calibration and these metrics were computed on.
    pub calibration_rows: usize,
    /// Whether the AUC reached 0.55; when it did not, the model predicts
    /// `base_rate` for every row.
    pub beats_chance: bool,
    /// True when the calibration set was empty or held a single class, so
    /// calibration and metrics used the fit set; the AUC is then optimistic.
    pub in_sample: bool,
}

/// A trained, calibrated scoring model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreModel {
    feature_names: Vec<String>,
    linear: Linear,
    platt: Platt,
    evaluation: Evaluation,
}

/// The logistic regression on standardised inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Linear {
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

/// Platt calibration: `p = sigmoid(a * logit + b)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Platt {
    a: f64,
    b: f64,
}

/// Design-matrix columns of one feature.
#[derive(Debug, Clone, Copy)]
struct Columns {
    value: Option<usize>,
    missing: Option<usize>,
}

/// Fits the model on `fit`, calibrates and evaluates it on `calibration`.
///
/// When `calibration` is empty or holds a single class, calibration and
/// evaluation fall back to the fit set (`Evaluation::in_sample`).
pub fn train(
    fit: &TrainingSet,
    calibration: &TrainingSet,
    opts: &ModelOptions,
) -> Result<ScoreModel, ModelError> {
    let l2 = checked_l2(opts)?;
    check_shape("fit", fit, fit.feature_names.len())?;
    check_calibration_set(fit, calibration)?;

    let (positives, negatives) = fit.class_counts();
    if positives == 0 || negatives == 0 {
        return Err(ModelError::InsufficientData {
            positives,
            negatives,
        });
    }

    let mut features = feature_statistics(fit);
    let (columns, width) = layout(&features);
    let design = design_matrix(&features, &columns, width, &fit.rows);
    let targets: Vec<f64> = fit.labels.iter().map(|&y| f64::from(u8::from(y))).collect();
    let mut penalty = vec![l2; width];
    penalty[0] = 0.0;
    let beta = fit_logistic(&design, width, &targets, &penalty)?;

    for (params, cols) in features.iter_mut().zip(&columns) {
        params.weight = cols.value.map_or(0.0, |c| beta[c]);
        params.missing_weight = cols.missing.map(|c| beta[c]);
    }
    let linear = Linear {
        intercept: beta[0],
        features,
    };

    let (eval_set, in_sample) = evaluation_set(fit, calibration);
    let logits: Vec<f64> = eval_set.rows.iter().map(|row| linear.logit(row)).collect();
    let platt = fit_platt(&logits, &eval_set.labels)?;

    let evaluation = evaluate(&logits, &platt, eval_set, fit.rows.len(), in_sample);
    let model = ScoreModel {
        feature_names: fit.feature_names.clone(),
        linear,
        platt,
        evaluation,
    };
    check_finite(&model)?;
    Ok(model)
}

impl ScoreModel {
    /// Calibrated probability of the positive class, in [0, 1].
    ///
    /// Missing, NaN and infinite values are read as missing. A row shorter
    /// than the feature list is read as missing for the absent features;
    /// extra values are ignored (debug builds assert the length).
    pub fn probability(&self, row: &[Option<f64>]) -> f64 {
        if !self.evaluation.beats_chance {
            return self.evaluation.base_rate;
        }

        self.calibrate(self.raw_logit(row))
    }

    /// The regression's logit before calibration.
    pub fn raw_logit(&self, row: &[Option<f64>]) -> f64 {
        debug_assert_eq!(row.len(), self.feature_names.len(), "row length");
        self.linear.logit(row)
    }

    /// How many score points (0-100 scale) each feature adds to this row's
    /// score, compared with the same row where that feature sits at its
    /// fit-set mean and is not missing. All zeros when the model does not
    /// beat chance.
    pub fn contributions(&self, row: &[Option<f64>]) -> Vec<f64> {
        debug_assert_eq!(row.len(), self.feature_names.len(), "row length");
        if !self.evaluation.beats_chance {
            return vec![0.0; self.feature_names.len()];
        }

        let terms = self.linear.terms(row);
        let logit = self.linear.intercept + terms.iter().sum::<f64>();
        let probability = self.calibrate(logit);

        terms
            .iter()
            .map(|&term| {
                if term == 0.0 {
                    return 0.0;
                }
                let at_mean = self.calibrate(logit - term);
                100.0 * (probability - at_mean)
            })
            .collect()
    }

    /// `"lr-"` and the first 12 hex digits of a SHA-256 over the feature
    /// names and every fitted number that affects predictions.
    pub fn version(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"radar score model v1");

        hash_len(&mut hasher, self.feature_names.len());
        for name in &self.feature_names {
            hash_len(&mut hasher, name.len());
            hasher.update(name.as_bytes());
        }

        hash_f64(&mut hasher, self.linear.intercept);
        for params in &self.linear.features {
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

        hash_f64(&mut hasher, self.platt.a);
        hash_f64(&mut hasher, self.platt.b);
        hash_f64(&mut hasher, self.evaluation.base_rate);
        hasher.update([u8::from(self.evaluation.beats_chance)]);

        let digest = hasher.finalize();
        let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("lr-{hex}")
    }

    pub fn evaluation(&self) -> &Evaluation {
        &self.evaluation
    }

    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    fn calibrate(&self, logit: f64) -> f64 {
        sigmoid(self.platt.a * logit + self.platt.b)
    }
}

impl Linear {
    fn logit(&self, row: &[Option<f64>]) -> f64 {
        self.intercept + self.terms(row).iter().sum::<f64>()
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

/// Area under the ROC curve: the chance that a random positive scores above
/// a random negative, ties counting half. `None` when a class is absent.
///
/// # Panics
/// When `scores` and `labels` differ in length.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), labels.len(), "auc needs one label per score");
    let positives = labels.iter().filter(|&&label| label).count() as u128;
    let negatives = labels.len() as u128 - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }

    // -0.0 and 0.0 must tie; total_cmp alone would order them.
    let key = |i: usize| if scores[i] == 0.0 { 0.0 } else { scores[i] };
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&i, &j| key(i).total_cmp(&key(j)));

    // Twice the mid-rank of each tie group keeps the sum an exact integer.
    let mut doubled_rank_sum: u128 = 0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && key(order[end]).total_cmp(&key(order[start])).is_eq() {
            end += 1;
        }
        let doubled_rank = (start + 1 + end) as u128;
        let group_positives = order[start..end].iter().filter(|&&i| labels[i]).count();
        doubled_rank_sum += doubled_rank * group_positives as u128;
        start = end;
    }

    let doubled_u = doubled_rank_sum - positives * (positives + 1);
    Some(doubled_u as f64 / (2 * positives * negatives) as f64)
}

/// Mean squared difference between probabilities and 0/1 outcomes.
/// An empty input has nothing to measure and gives NaN.
///
/// # Panics
/// When `probabilities` and `labels` differ in length.
pub fn brier(probabilities: &[f64], labels: &[bool]) -> f64 {
    assert_eq!(
        probabilities.len(),
        labels.len(),
        "brier needs one label per probability"
    );
    let total: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let error = p - f64::from(u8::from(y));
            error * error
        })
        .sum();
    total / probabilities.len() as f64
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

/// An empty calibration set may leave its feature names empty; any other
/// must name the fit set's features in the same order.
fn check_calibration_set(fit: &TrainingSet, calibration: &TrainingSet) -> Result<(), ModelError> {
    let empty = calibration.rows.is_empty() && calibration.feature_names.is_empty();
    if !empty && calibration.feature_names != fit.feature_names {
        let detail = format!(
            "expected {:?}, got {:?}",
            fit.feature_names, calibration.feature_names
        );
        return Err(ModelError::FeatureMismatch { detail });
    }

    check_shape("calibration", calibration, fit.feature_names.len())
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

/// The calibration set when it holds both classes, otherwise the fit set;
/// the flag says whether the fallback was taken.
fn evaluation_set<'a>(
    fit: &'a TrainingSet,
    calibration: &'a TrainingSet,
) -> (&'a TrainingSet, bool) {
    let (positives, negatives) = calibration.class_counts();
    if positives > 0 && negatives > 0 {
        (calibration, false)
    } else {
        (fit, true)
    }
}

/// Fits `p = sigmoid(a * logit + b)`. The targets are Platt's smoothed
/// labels, (N+ + 1) / (N+ + 2) and 1 / (N- + 2), which keep `a` finite
/// when the logits separate the classes perfectly.
fn fit_platt(logits: &[f64], labels: &[bool]) -> Result<Platt, ModelError> {
    let positives = labels.iter().filter(|&&label| label).count() as f64;
    let negatives = labels.len() as f64 - positives;
    let high = (positives + 1.0) / (positives + 2.0);
    let low = 1.0 / (negatives + 2.0);
    let targets: Vec<f64> = labels.iter().map(|&y| if y { high } else { low }).collect();

    let design: Vec<f64> = logits.iter().flat_map(|&logit| [1.0, logit]).collect();
    let beta = fit_logistic(&design, 2, &targets, &[0.0, 0.0])?;
    Ok(Platt {
        a: beta[1],
        b: beta[0],
    })
}

fn evaluate(
    logits: &[f64],
    platt: &Platt,
    eval_set: &TrainingSet,
    fit_rows: usize,
    in_sample: bool,
) -> Evaluation {
    let labels = &eval_set.labels;
    let auc = auc(logits, labels);
    let beats_chance = auc.is_some_and(|auc| auc >= CHANCE_AUC);
    let (positives, _) = eval_set.class_counts();
    let base_rate = positives as f64 / labels.len() as f64;

    let served: Vec<f64> = if beats_chance {
        logits
            .iter()
            .map(|&logit| sigmoid(platt.a * logit + platt.b))
            .collect()
    } else {
        vec![base_rate; labels.len()]
    };

    Evaluation {
        auc,
        brier: brier(&served, labels),
        base_rate,
        fit_rows,
        calibration_rows: labels.len(),
        beats_chance,
        in_sample,
    }
}

fn check_finite(model: &ScoreModel) -> Result<(), ModelError> {
    let linear = &model.linear;
    let numbers = linear
        .features
        .iter()
        .flat_map(|p| [p.mean, p.std, p.weight, p.missing_weight.unwrap_or(0.0)])
        .chain([linear.intercept, model.platt.a, model.platt.b]);

    for number in numbers {
        if !number.is_finite() {
            let detail = "a fitted parameter is not finite".to_string();
            return Err(ModelError::Numerical { detail });
        }
    }
    Ok(())
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

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
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

    /// A 64-bit linear congruential generator, good enough for test data.
    struct Lcg(u64);

    impl Lcg {
        fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        fn bernoulli(&mut self, p: f64) -> bool {
            self.uniform() < p
        }
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|j| format!("f{j}")).collect()
    }

    /// Rows whose first feature, after the model's log transform, is x
    /// uniform on [-2, 2], plus a pure-noise feature; labels follow
    /// p = sigmoid(-1 + 2x). Returns the true p of every row too.
    fn logistic_law(rows: usize, seed: u64) -> (TrainingSet, Vec<f64>) {
        let mut rng = Lcg(seed);
        let mut set = TrainingSet {
            feature_names: names(2),
            ..Default::default()
        };
        let mut truth = Vec::with_capacity(rows);
        for _ in 0..rows {
            let x = -2.0 + 4.0 * rng.uniform();
            let noise = rng.uniform();
            let p = sigmoid(-1.0 + 2.0 * x);
            let raw = x.signum() * x.abs().exp_m1();
            set.rows.push(vec![Some(raw), Some(noise)]);
            set.labels.push(rng.bernoulli(p));
            truth.push(p);
        }
        (set, truth)
    }

    fn noise_set(rows: usize, seed: u64) -> TrainingSet {
        let mut rng = Lcg(seed);
        let mut set = TrainingSet {
            feature_names: names(1),
            ..Default::default()
        };
        for _ in 0..rows {
            set.rows.push(vec![Some(rng.uniform())]);
            set.labels.push(rng.bernoulli(0.3));
        }
        set
    }

    fn options() -> ModelOptions {
        ModelOptions { l2: 1.0 }
    }

    #[test]
    fn calibrated_probabilities_match_the_true_law_per_decile() {
        let (fit, _) = logistic_law(20_000, 1);
        let (calibration, _) = logistic_law(20_000, 2);
        let (holdout, truth) = logistic_law(20_000, 3);
        let model = train(&fit, &calibration, &options()).unwrap();
        assert!(model.evaluation().beats_chance);
        assert!(!model.evaluation().in_sample);

        let mut scored: Vec<(f64, f64)> = holdout
            .rows
            .iter()
            .zip(&truth)
            .map(|(row, &p)| (model.probability(row), p))
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0));

        for (decile, bin) in scored.chunks(scored.len() / 10).enumerate() {
            let n = bin.len() as f64;
            let predicted = bin.iter().map(|s| s.0).sum::<f64>() / n;
            let actual = bin.iter().map(|s| s.1).sum::<f64>() / n;
            assert!(
                (predicted - actual).abs() < 0.03,
                "decile {decile}: predicted {predicted:.4}, true {actual:.4}"
            );
        }
    }

    #[test]
    fn signal_feature_outweighs_noise_in_contributions() {
        let (fit, _) = logistic_law(20_000, 1);
        let (calibration, _) = logistic_law(20_000, 2);
        let model = train(&fit, &calibration, &options()).unwrap();

        let high = [Some(1.8), Some(0.5)];
        let low = [Some(-1.8), Some(0.5)];
        let up = model.contributions(&high);
        let down = model.contributions(&low);
        assert!(up[0] > 20.0, "{up:?}");
        assert!(down[0] < -5.0, "{down:?}");
        assert!(up[1].abs() < 1.0 && down[1].abs() < 1.0);
    }

    #[test]
    fn contribution_is_the_change_from_the_feature_mean() {
        let (fit, _) = logistic_law(5_000, 4);
        let (calibration, _) = logistic_law(5_000, 5);
        let model = train(&fit, &calibration, &options()).unwrap();

        let mean = model.linear.features[0].mean;
        let x_at_mean = mean.signum() * mean.abs().exp_m1();
        let row = [Some(1.2), Some(0.9)];
        let neutral = [Some(x_at_mean), Some(0.9)];
        let expected = 100.0 * (model.probability(&row) - model.probability(&neutral));
        let got = model.contributions(&row)[0];
        assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
    }

    #[test]
    fn auc_of_a_small_example_with_ties() {
        // Positives 0.4, 0.8, 0.7 against negatives 0.1, 0.35, 0.4:
        // 8 pairs won and one tie of 0.4 gives 8.5 / 9.
        let scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.7];
        let labels = [false, true, false, true, false, true];
        assert_eq!(auc(&scores, &labels), Some(17.0 / 18.0));

        assert_eq!(auc(&[0.3, 0.3], &[true, false]), Some(0.5));
        assert_eq!(auc(&[0.0, -0.0], &[true, false]), Some(0.5));
        assert_eq!(auc(&[0.9, 0.1], &[false, true]), Some(0.0));
        assert_eq!(auc(&[0.2, 0.4], &[true, true]), None);
        assert_eq!(auc(&[], &[]), None);
    }

    #[test]
    fn brier_of_a_small_example() {
        // Squared errors 0.25, 0.0625, 0 and 1: mean 1.3125 / 4.
        let probabilities = [0.5, 0.25, 1.0, 0.0];
        let labels = [true, false, true, true];
        assert_eq!(brier(&probabilities, &labels), 0.328125);
        assert!(brier(&[], &[]).is_nan());
    }

    #[test]
    fn separable_data_trains_to_finite_numbers() {
        let mut set = TrainingSet {
            feature_names: names(1),
            ..Default::default()
        };
        for i in 0..200 {
            let x = f64::from(i) - 99.5;
            set.rows.push(vec![Some(x)]);
            set.labels.push(x > 0.0);
        }
        let model = train(&set, &set, &ModelOptions { l2: 0.0 }).unwrap();

        assert_eq!(model.evaluation().auc, Some(1.0));
        assert!(model.evaluation().beats_chance);
        let mut last = 0.0;
        for row in &set.rows {
            let p = model.probability(row);
            assert!(p.is_finite() && (0.0..=1.0).contains(&p) && p >= last);
            assert!(model.raw_logit(row).is_finite());
            assert!(model.contributions(row).iter().all(|c| c.is_finite()));
            last = p;
        }
        assert!(model.probability(&[Some(-50.0)]) < 0.05);
        assert!(model.probability(&[Some(50.0)]) > 0.95);
    }

    #[test]
    fn single_class_fit_set_is_insufficient() {
        let set = TrainingSet {
            feature_names: names(1),
            rows: vec![vec![Some(1.0)]; 3],
            labels: vec![true; 3],
        };
        let err = train(&set, &TrainingSet::default(), &options()).unwrap_err();
        assert!(matches!(
            err,
            ModelError::InsufficientData {
                positives: 3,
                negatives: 0
            }
        ));
        assert!(err.to_string().contains("3 positive and 0 negative"));
    }

    #[test]
    fn pure_noise_predicts_the_base_rate() {
        let fit = noise_set(4_000, 7);
        let calibration = noise_set(4_000, 8);
        let model = train(&fit, &calibration, &options()).unwrap();
        let evaluation = model.evaluation();

        assert!(!evaluation.beats_chance, "auc {:?}", evaluation.auc);
        let (positives, _) = calibration.class_counts();
        let base_rate = positives as f64 / 4_000.0;
        assert_eq!(evaluation.base_rate, base_rate);
        for row in fit.rows.iter().chain(&calibration.rows).take(500) {
            assert!((model.probability(row) - base_rate).abs() < 1e-9);
            assert_eq!(model.contributions(row), vec![0.0]);
        }
        let expected_brier = base_rate * (1.0 - base_rate);
        assert!((evaluation.brier - expected_brier).abs() < 1e-12);
    }

    #[test]
    fn missing_values_are_handled() {
        let (mut fit, _) = logistic_law(5_000, 9);
        let (mut calibration, _) = logistic_law(5_000, 10);
        for set in [&mut fit, &mut calibration] {
            for (i, row) in set.rows.iter_mut().enumerate() {
                if i % 4 == 0 {
                    row[0] = None;
                }
                if i % 7 == 0 {
                    row[1] = Some(f64::NAN);
                }
            }
        }
        let model = train(&fit, &calibration, &options()).unwrap();
        assert!(model.evaluation().beats_chance);
        assert!(model
            .linear
            .features
            .iter()
            .all(|f| f.missing_weight.is_some()));

        let empty = [None, None];
        let p = model.probability(&empty);
        assert!(p.is_finite() && (0.0..=1.0).contains(&p));
        assert!(model.contributions(&empty).iter().all(|c| c.is_finite()));
        let nan = [Some(f64::NAN), Some(f64::INFINITY)];
        assert_eq!(model.probability(&nan), p);
    }

    #[test]
    fn version_follows_the_data() {
        let (fit, _) = logistic_law(2_000, 11);
        let (calibration, _) = logistic_law(2_000, 12);
        let first = train(&fit, &calibration, &options()).unwrap();
        let again = train(&fit, &calibration, &options()).unwrap();
        assert_eq!(first.version(), again.version());
        assert_eq!(first, again);

        let version = first.version();
        assert_eq!(version.len(), 15);
        assert!(version.starts_with("lr-"));
        assert!(version[3..].chars().all(|c| c.is_ascii_hexdigit()));

        let (other, _) = logistic_law(2_000, 13);
        let different = train(&other, &calibration, &options()).unwrap();
        assert_ne!(first.version(), different.version());
        let stronger = train(&fit, &calibration, &ModelOptions { l2: 10.0 }).unwrap();
        assert_ne!(first.version(), stronger.version());
    }

    #[test]
    fn one_class_calibration_set_falls_back_to_the_fit_set() {
        let (fit, _) = logistic_law(2_000, 14);
        let calibration = TrainingSet {
            feature_names: names(2),
            rows: vec![vec![Some(0.0), Some(0.0)]; 5],
            labels: vec![false; 5],
        };
        let model = train(&fit, &calibration, &options()).unwrap();
        let evaluation = model.evaluation();
        assert!(evaluation.in_sample);
        assert_eq!(evaluation.calibration_rows, 2_000);
        assert!(evaluation.beats_chance);
    }

    #[test]
    fn zero_spread_feature_gets_no_weight() {
        let (mut fit, _) = logistic_law(2_000, 15);
        for row in &mut fit.rows {
            row[1] = Some(3.0);
        }
        let model = train(&fit, &TrainingSet::default(), &options()).unwrap();
        assert_eq!(model.linear.features[1].weight, 0.0);
        assert_eq!(model.contributions(&[Some(1.0), Some(9.0)])[1], 0.0);
    }

    /// A source that is not declared gives an all-null feature column; it
    /// must leave every score and every other contribution as they were.
    #[test]
    fn all_null_feature_changes_no_score() {
        let (fit, _) = logistic_law(2_000, 17);
        let (calibration, _) = logistic_law(2_000, 18);
        let with_gap = |set: &TrainingSet| TrainingSet {
            feature_names: vec!["f0".into(), "absent".into(), "f1".into()],
            rows: set.rows.iter().map(|r| vec![r[0], None, r[1]]).collect(),
            labels: set.labels.clone(),
        };
        let plain = train(&fit, &calibration, &options()).unwrap();
        let padded = train(&with_gap(&fit), &with_gap(&calibration), &options()).unwrap();

        assert_eq!(plain.evaluation(), padded.evaluation());
        for row in calibration.rows.iter().take(50) {
            let padded_row = [row[0], Some(5.0), row[1]];
            assert_eq!(plain.probability(row), padded.probability(&padded_row));
            let contributions = padded.contributions(&padded_row);
            assert_eq!(
                contributions[1], 0.0,
                "a value never seen in training adds nothing"
            );
            assert_eq!(
                plain.contributions(row),
                [contributions[0], contributions[2]]
            );
        }
    }

    #[test]
    fn bad_shapes_and_options_are_rejected() {
        let (fit, _) = logistic_law(100, 16);
        let mut short = fit.clone();
        short.rows[5].pop();
        let err = train(&short, &TrainingSet::default(), &options()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "fit set has the wrong shape: row 5 has 1 values but there are 2 features"
        );

        let mut renamed = fit.clone();
        renamed.feature_names[1] = "other".to_string();
        let err = train(&fit, &renamed, &options()).unwrap_err();
        assert!(matches!(err, ModelError::FeatureMismatch { .. }));

        let err = train(&fit, &fit, &ModelOptions { l2: -1.0 }).unwrap_err();
        assert!(matches!(err, ModelError::InvalidOption { name: "l2", .. }));
    }
}
