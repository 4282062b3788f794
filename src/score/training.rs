//! Training one score: fit both learners on the earlier slices, keep the
//! one that ranks the held-out slice better, calibrate it there, give
//! segments with enough examples a model of their own, and measure it all
//! beside the naive-Bayes baseline and the previous model.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use super::calibrate::{self, Chosen};
use super::dataset::{Dataset, Example};
use super::evaluation::EvaluationRow;
use super::learner::{self, Learner, LearnerKind, LearnerOptions};
use super::metrics::{self, Metrics};
use super::model::TrainingSet;
use super::served::{Fitted, ScoreModel};
use crate::config::ModelSettings;

/// Examples of each class the held-out slice (or a segment's part of it)
/// needs before a model is calibrated and judged on it.
pub const HOLDOUT_MIN_PER_CLASS: usize = 10;

/// What one training produced.
pub struct Outcome {
    /// `None` when there was too little data for any model.
    pub model: Option<ScoreModel>,
    /// AUC of the pooled learner's raw output on the held-out slice.
    pub raw_auc: Option<f64>,
    /// The previous model's version and its raw AUC on the same slice.
    pub previous_auc: Option<(String, Option<f64>)>,
    pub evaluations: Vec<EvaluationRow>,
    /// Why there is no model, when there is none.
    pub insufficient: Option<String>,
    /// The served probability of every held-out example (out of fold),
    /// aligned with `Dataset::holdout`; empty without a model.
    pub holdout_probabilities: Vec<f64>,
}

/// One learner fitted and measured on the held-out slice.
struct Candidate {
    kind: LearnerKind,
    learner: Learner,
    raw_auc: Option<f64>,
    chosen: Option<Chosen>,
    beats_chance: bool,
}

pub fn train(
    dataset: &Dataset,
    settings: &ModelSettings,
    trained_as_of: NaiveDate,
    previous: Option<&ScoreModel>,
) -> Outcome {
    let template = template(dataset, trained_as_of);
    if let Some(why) = insufficient(dataset, settings) {
        warn!(score = dataset.score.name(), "insufficient data: {why}");
        return without_model(template, why, &dataset.holdout);
    }

    let options = LearnerOptions {
        l2: settings.l2,
        tree_budget: settings.tree_budget,
    };
    let holdout = training_set(dataset, &dataset.holdout);
    let (candidates, failures) = candidates(dataset, &holdout, &options);
    let Some(best) = select(&candidates) else {
        return without_model(template, failures.join("; "), &dataset.holdout);
    };

    let pooled = fitted(best, &holdout);
    let (segments, pooled_because) = segment_models(dataset, best, &options, settings);
    let model = score_model(dataset, trained_as_of, pooled, segments, pooled_because);
    let served = served_holdout(best, &holdout);

    let mut evaluations = Vec::new();
    evaluations.push(served_row(&template, &model, best, &served, &holdout));
    // Naive Bayes is both a candidate and the baseline: its row is both.
    for candidate in &candidates {
        evaluations.push(candidate_row(&template, &model, candidate, &holdout));
    }
    let previous = previous.map(|model| (model, previous_on(model, dataset, &holdout)));
    evaluations.extend(previous_row(&template, &model, dataset, previous.as_ref()));
    evaluations.extend(segment_rows(&template, &model, dataset));
    for note in &failures {
        warn!(score = dataset.score.name(), "{note}");
    }

    info!(
        score = dataset.score.name(),
        version = %model.version,
        learner = best.kind.name(),
        raw_auc = ?best.raw_auc,
        beats_chance = best.beats_chance,
        segments = model.segments.len(),
        "model trained"
    );
    Outcome {
        raw_auc: best.raw_auc,
        previous_auc: previous.map(|(model, (auc, _))| (model.version.clone(), auc)),
        model: Some(model),
        evaluations,
        insufficient: None,
        holdout_probabilities: served,
    }
}

/// Why the examples cannot train a model, if they cannot.
fn insufficient(dataset: &Dataset, settings: &ModelSettings) -> Option<String> {
    let (fit_pos, fit_neg) = counts(&dataset.fit);
    let (hold_pos, hold_neg) = counts(&dataset.holdout);
    let (min_pos, min_neg) = (
        settings.min_positive_examples,
        settings.min_negative_examples,
    );

    if dataset.holdout_cutoff.is_none() {
        return Some("no training cut-off has any account".into());
    }
    if dataset.fit.is_empty() && dataset.holdout.is_empty() {
        let what = match dataset.score {
            super::ScoreKind::WinProbability => "deal was open",
            _ => "account was eligible",
        };
        return Some(format!("no {what} at any training cut-off"));
    }
    if fit_pos < min_pos || fit_neg < min_neg {
        return Some(format!(
            "the training cut-offs hold {fit_pos} positive and {fit_neg} negative \
             examples; {min_pos} and {min_neg} are needed"
        ));
    }
    if hold_pos < HOLDOUT_MIN_PER_CLASS || hold_neg < HOLDOUT_MIN_PER_CLASS {
        return Some(format!(
            "the held-out cut-off holds {hold_pos} positive and {hold_neg} negative \
             examples; {HOLDOUT_MIN_PER_CLASS} of each are needed to calibrate"
        ));
    }
    None
}

fn candidates(
    dataset: &Dataset,
    holdout: &TrainingSet,
    options: &LearnerOptions,
) -> (Vec<Candidate>, Vec<String>) {
    let fit = training_set(dataset, &dataset.fit);
    let folds: Vec<bool> = dataset.holdout.iter().map(|e| e.fold).collect();
    let mut candidates = Vec::new();
    let mut failures = Vec::new();

    for kind in [
        LearnerKind::Logistic,
        LearnerKind::Trees,
        LearnerKind::NaiveBayes,
    ] {
        match learner::fit(kind, &fit, options) {
            Ok(learner) => candidates.push(measure(kind, learner, holdout, &folds)),
            Err(error) => failures.push(error),
        }
    }
    (candidates, failures)
}

fn measure(
    kind: LearnerKind,
    learner: Learner,
    holdout: &TrainingSet,
    folds: &[bool],
) -> Candidate {
    let raw = learner.raw(&holdout.rows);
    let raw_auc = metrics::auc(&raw, &holdout.labels);
    let (positives, negatives) = holdout.class_counts();
    let chosen = calibrate::choose(&raw, &holdout.labels, folds).ok();
    Candidate {
        kind,
        learner,
        raw_auc,
        beats_chance: chosen.is_some() && beats_chance(raw_auc, positives, negatives),
        chosen,
    }
}

/// The candidate with the highest held-out AUC; on a tie the earlier one
/// (logistic regression, then trees, then naive Bayes).
fn select(candidates: &[Candidate]) -> Option<&Candidate> {
    candidates
        .iter()
        .fold(None, |best: Option<&Candidate>, c| match best {
            Some(b) if b.raw_auc.unwrap_or(0.0) >= c.raw_auc.unwrap_or(0.0) => Some(b),
            _ => Some(c),
        })
}

/// Whether an AUC is above 0.5 by more than two standard errors
/// (Hanley and McNeil, 1982), so that a lucky draw on a small held-out
/// slice is not taken for skill.
pub fn beats_chance(auc: Option<f64>, positives: usize, negatives: usize) -> bool {
    let Some(a) = auc else {
        return false;
    };
    if positives == 0 || negatives == 0 {
        return false;
    }

    let (p, n) = (positives as f64, negatives as f64);
    let q1 = a / (2.0 - a);
    let q2 = 2.0 * a * a / (1.0 + a);
    let variance = (a * (1.0 - a) + (p - 1.0) * (q1 - a * a) + (n - 1.0) * (q2 - a * a)) / (p * n);
    a - 2.0 * variance.max(0.0).sqrt() > 0.5
}

fn fitted(candidate: &Candidate, holdout: &TrainingSet) -> Fitted {
    let calibrator = candidate
        .chosen
        .as_ref()
        .filter(|_| candidate.beats_chance)
        .map(|chosen| chosen.calibrator.clone());
    Fitted {
        learner: candidate.learner.clone(),
        calibrator,
        base_rate: base_rate(&holdout.labels),
        floor: 1.0 / (holdout.labels.len() as f64 + 2.0),
    }
}

/// The probabilities the served model gives the held-out examples, out
/// of fold: each half calibrated by the other.
fn served_holdout(candidate: &Candidate, holdout: &TrainingSet) -> Vec<f64> {
    match (&candidate.chosen, candidate.beats_chance) {
        (Some(chosen), true) => chosen.out_of_fold.clone(),
        _ => vec![base_rate(&holdout.labels); holdout.labels.len()],
    }
}

/// Models of their own for segments with enough examples that rank their
/// held-out rows at least as well as the pooled model does.
fn segment_models(
    dataset: &Dataset,
    pooled: &Candidate,
    options: &LearnerOptions,
    settings: &ModelSettings,
) -> (BTreeMap<String, Fitted>, BTreeMap<String, String>) {
    let mut own = BTreeMap::new();
    let mut because = BTreeMap::new();

    for segment in segment_names(dataset) {
        match segment_model(dataset, &segment, pooled, options, settings) {
            Ok(fitted) => {
                own.insert(segment, fitted);
            }
            Err(why) => {
                because.insert(segment, why);
            }
        }
    }
    (own, because)
}

fn segment_model(
    dataset: &Dataset,
    segment: &str,
    pooled: &Candidate,
    options: &LearnerOptions,
    settings: &ModelSettings,
) -> Result<Fitted, String> {
    let fit: Vec<Example> = in_segment(&dataset.fit, segment);
    let holdout: Vec<Example> = in_segment(&dataset.holdout, segment);
    let (pos, neg) = counts(&fit);
    let (min_pos, min_neg) = (
        settings.min_positive_examples,
        settings.min_negative_examples,
    );
    if pos < min_pos || neg < min_neg {
        return Err(format!(
            "has {pos} positive and {neg} negative training examples; \
             {min_pos} and {min_neg} are needed for a model of its own"
        ));
    }
    let (hold_pos, hold_neg) = counts(&holdout);
    if hold_pos < HOLDOUT_MIN_PER_CLASS || hold_neg < HOLDOUT_MIN_PER_CLASS {
        return Err(format!(
            "has {hold_pos} positive and {hold_neg} negative held-out examples, \
             too few to check a model of its own"
        ));
    }

    let fit_set = training_set(dataset, &fit);
    let holdout_set = training_set(dataset, &holdout);
    let learner = learner::fit(pooled.kind, &fit_set, options)?;
    let own_auc = metrics::auc(&learner.raw(&holdout_set.rows), &holdout_set.labels);
    let pooled_auc = metrics::auc(&pooled.learner.raw(&holdout_set.rows), &holdout_set.labels);
    if own_auc.unwrap_or(0.0) < pooled_auc.unwrap_or(0.0) {
        return Err(format!(
            "ranks its held-out examples better with the pooled model (AUC {:.3} against \
             {:.3} for a model of its own)",
            pooled_auc.unwrap_or(0.0),
            own_auc.unwrap_or(0.0)
        ));
    }

    let folds: Vec<bool> = holdout.iter().map(|e| e.fold).collect();
    let candidate = measure(pooled.kind, learner, &holdout_set, &folds);
    let Some(chosen) = candidate.chosen.as_ref().filter(|_| candidate.beats_chance) else {
        return Err("has a model of its own that does not beat chance".into());
    };

    // Its out-of-fold Brier score must beat what the pooled model serves
    // these rows: a ranking edge on a few dozen rows is not enough.
    let own_brier = metrics::brier(&chosen.out_of_fold, &holdout_set.labels);
    let pooled_fitted = fitted(pooled, &holdout_set);
    let pooled_brier = metrics::brier(
        &pooled_fitted.probabilities(&holdout_set.rows),
        &holdout_set.labels,
    );
    if own_brier >= pooled_brier {
        return Err(format!(
            "is served better by the pooled model (held-out Brier {pooled_brier:.3} \
             against {own_brier:.3} for a model of its own)"
        ));
    }
    Ok(fitted(&candidate, &holdout_set))
}

fn score_model(
    dataset: &Dataset,
    trained_as_of: NaiveDate,
    pooled: Fitted,
    segments: BTreeMap<String, Fitted>,
    pooled_because: BTreeMap<String, String>,
) -> ScoreModel {
    let mut model = ScoreModel {
        score: dataset.score.name().to_string(),
        version: String::new(),
        company: String::new(),
        lineage: String::new(),
        feature_names: dataset.feature_names.clone(),
        trained_as_of,
        holdout_cutoff: dataset.holdout_cutoff.unwrap_or(trained_as_of),
        pooled,
        segments,
        pooled_because,
    };
    model.version = version(&model);
    model
}

/// The learner's prefix (`lr-` or `gbt-`) and 12 hex digits of a SHA-256
/// over every learner's own version, the calibrations, base rates, the
/// feature names and the training date.
fn version(model: &ScoreModel) -> String {
    let prefix = match model.pooled.learner.kind() {
        LearnerKind::Logistic => "lr",
        LearnerKind::Trees => "gbt",
        LearnerKind::NaiveBayes => "nb",
    };
    let mut hasher = Sha256::new();
    hash_fitted(&mut hasher, &model.pooled);
    for (segment, fitted) in &model.segments {
        hasher.update(segment.as_bytes());
        hash_fitted(&mut hasher, fitted);
    }
    hash_json(&mut hasher, &model.feature_names);
    hasher.update(model.trained_as_of.to_string().as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// The learner by its own version (stable across processes, unlike the
/// key order of its serialised maps), then calibration and base rate.
fn hash_fitted(hasher: &mut Sha256, fitted: &Fitted) {
    hasher.update(fitted.learner.version().as_bytes());
    hash_json(hasher, &fitted.calibrator);
    hasher.update(fitted.base_rate.to_bits().to_le_bytes());
}

fn hash_json<T: Serialize>(hasher: &mut Sha256, value: &T) {
    if let Ok(text) = serde_json::to_vec(value) {
        hasher.update(&text);
    }
}

fn template(dataset: &Dataset, trained_as_of: NaiveDate) -> EvaluationRow {
    let (fit_positives, _) = counts(&dataset.fit);
    let fit_cutoffs = match (dataset.fit_cutoffs.first(), dataset.fit_cutoffs.last()) {
        (Some(first), Some(last)) => format!("{first}..{last} ({})", dataset.fit_cutoffs.len()),
        _ => "none".to_string(),
    };
    EvaluationRow {
        score: dataset.score.name().to_string(),
        trained_as_of,
        model_version: "none".to_string(),
        role: "served".to_string(),
        segment: "all".to_string(),
        learner: "none".to_string(),
        calibration: "none".to_string(),
        fit_cutoffs,
        holdout_cutoff: dataset.holdout_cutoff,
        fit_rows: dataset.fit.len(),
        fit_positives,
        raw_auc: None,
        metrics: None,
        beats_chance: false,
        promoted: false,
        note: String::new(),
    }
}

/// The one evaluation row of a training without a model: the held-out
/// counts and base rate, measured as a constant base-rate score.
fn without_model(template: EvaluationRow, why: String, holdout: &[Example]) -> Outcome {
    let labels: Vec<bool> = holdout.iter().map(|e| e.label).collect();
    let metrics = (!labels.is_empty())
        .then(|| metrics::metrics(&vec![base_rate(&labels); labels.len()], &labels));
    let row = EvaluationRow {
        note: format!("insufficient data: {why}"),
        calibration: "base rate".to_string(),
        metrics,
        ..template
    };
    Outcome {
        model: None,
        raw_auc: None,
        previous_auc: None,
        evaluations: vec![row],
        insufficient: Some(why),
        holdout_probabilities: Vec::new(),
    }
}

fn served_row(
    template: &EvaluationRow,
    model: &ScoreModel,
    best: &Candidate,
    served: &[f64],
    holdout: &TrainingSet,
) -> EvaluationRow {
    let calibration = match &model.pooled.calibrator {
        Some(calibrator) => calibrator.method().to_string(),
        None => "base rate".to_string(),
    };
    let note = if best.beats_chance {
        "held-out metrics use out-of-fold calibration".to_string()
    } else {
        "no model beat chance on the held-out slice: scores are the base rate".to_string()
    };
    EvaluationRow {
        model_version: model.version.clone(),
        learner: best.kind.name().to_string(),
        calibration,
        raw_auc: best.raw_auc,
        metrics: Some(metrics::metrics(served, &holdout.labels)),
        beats_chance: best.beats_chance,
        note,
        ..template.clone()
    }
}

fn candidate_row(
    template: &EvaluationRow,
    model: &ScoreModel,
    candidate: &Candidate,
    holdout: &TrainingSet,
) -> EvaluationRow {
    let metrics = candidate
        .chosen
        .as_ref()
        .map(|chosen| metrics::metrics(&chosen.out_of_fold, &holdout.labels));
    EvaluationRow {
        model_version: model.version.clone(),
        role: candidate.kind.name().to_string(),
        learner: candidate.kind.name().to_string(),
        calibration: calibration_name(candidate.chosen.as_ref()),
        raw_auc: candidate.raw_auc,
        metrics,
        beats_chance: candidate.beats_chance,
        note: match candidate.kind {
            // What open-source CRMs ship: naive Bayes over binned fields.
            LearnerKind::NaiveBayes => "baseline, and a candidate learner".to_string(),
            _ => "candidate learner".to_string(),
        },
        ..template.clone()
    }
}

/// The model served before this training, on the same held-out slice.
fn previous_row(
    template: &EvaluationRow,
    model: &ScoreModel,
    dataset: &Dataset,
    previous: Option<&(&ScoreModel, (Option<f64>, Metrics))>,
) -> Option<EvaluationRow> {
    let &(previous, (raw_auc, ref metrics)) = previous?;
    let mut row = EvaluationRow {
        model_version: model.version.clone(),
        role: "previous".to_string(),
        learner: previous.pooled.learner.kind().name().to_string(),
        note: format!("previous model {}", previous.version),
        ..template.clone()
    };
    if previous.feature_names != dataset.feature_names {
        row.note = format!("previous model {} reads other features", previous.version);
        return Some(row);
    }

    let (positives, negatives) = counts(&dataset.holdout);
    row.calibration = calibration_name_of(previous);
    row.raw_auc = raw_auc;
    row.metrics = Some(metrics.clone());
    row.beats_chance = beats_chance(raw_auc, positives, negatives);
    Some(row)
}

/// The previous model's raw AUC and served metrics on this held-out
/// slice; nothing to measure when it reads other features.
pub fn previous_on(
    previous: &ScoreModel,
    dataset: &Dataset,
    holdout: &TrainingSet,
) -> (Option<f64>, Metrics) {
    if previous.feature_names != dataset.feature_names {
        return (None, metrics::metrics(&[], &[]));
    }
    let segments: Vec<String> = dataset.holdout.iter().map(|e| e.segment.clone()).collect();
    let probabilities: Vec<f64> = previous
        .apply(&holdout.rows, &segments)
        .iter()
        .map(|served| served.score / 100.0)
        .collect();
    let raw = previous.pooled.learner.raw(&holdout.rows);
    (
        metrics::auc(&raw, &holdout.labels),
        metrics::metrics(&probabilities, &holdout.labels),
    )
}

fn segment_rows(
    template: &EvaluationRow,
    model: &ScoreModel,
    dataset: &Dataset,
) -> Vec<EvaluationRow> {
    model
        .segments
        .iter()
        .map(|(segment, fitted)| {
            let holdout = in_segment(&dataset.holdout, segment);
            let set = training_set(dataset, &holdout);
            let raw = fitted.learner.raw(&set.rows);
            EvaluationRow {
                model_version: model.version.clone(),
                role: "segment".to_string(),
                segment: segment.clone(),
                learner: fitted.learner.kind().name().to_string(),
                calibration: fitted
                    .calibrator
                    .as_ref()
                    .map_or("base rate".to_string(), |c| c.method().to_string()),
                raw_auc: metrics::auc(&raw, &set.labels),
                // In-sample: this segment's calibration was fitted on these rows.
                metrics: Some(metrics::metrics(
                    &fitted.probabilities(&set.rows),
                    &set.labels,
                )),
                beats_chance: true,
                note: "segment model; calibration measured in sample".to_string(),
                ..template.clone()
            }
        })
        .collect()
}

fn calibration_name(chosen: Option<&Chosen>) -> String {
    chosen.map_or("none".to_string(), |c| c.calibrator.method().to_string())
}

fn calibration_name_of(model: &ScoreModel) -> String {
    model
        .pooled
        .calibrator
        .as_ref()
        .map_or("base rate".to_string(), |c| c.method().to_string())
}

fn segment_names(dataset: &Dataset) -> Vec<String> {
    let mut names: Vec<String> = dataset.fit.iter().map(|e| e.segment.clone()).collect();
    names.sort();
    names.dedup();
    names
}

fn in_segment(examples: &[Example], segment: &str) -> Vec<Example> {
    examples
        .iter()
        .filter(|e| e.segment == segment)
        .cloned()
        .collect()
}

pub fn training_set(dataset: &Dataset, examples: &[Example]) -> TrainingSet {
    TrainingSet {
        feature_names: dataset.feature_names.clone(),
        rows: examples.iter().map(|e| e.row.clone()).collect(),
        labels: examples.iter().map(|e| e.label).collect(),
    }
}

fn counts(examples: &[Example]) -> (usize, usize) {
    let positives = examples.iter().filter(|e| e.label).count();
    (positives, examples.len() - positives)
}

fn base_rate(labels: &[bool]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    labels.iter().filter(|&&y| y).count() as f64 / labels.len() as f64
}

/// What the promotion guard knows of the model being served.
pub struct Current {
    pub version: String,
    pub trained_as_of: NaiveDate,
    /// Its raw AUC on the new model's held-out slice.
    pub auc_on_new_slice: Option<f64>,
    pub same_features: bool,
}

/// Whether a newly trained model replaces the current one, and why.
pub fn promotion(
    new_auc: Option<f64>,
    new_trained_as_of: NaiveDate,
    current: Option<&Current>,
    settings: &ModelSettings,
) -> (bool, String) {
    let Some(current) = current else {
        return (true, "no model was promoted before".to_string());
    };
    if !current.same_features {
        let why = format!("model {} reads other features", current.version);
        return (true, why);
    }
    let age = (new_trained_as_of - current.trained_as_of).num_days();
    if age >= settings.max_model_age_days {
        let why = format!(
            "model {} was trained {age} days earlier (limit {})",
            current.version, settings.max_model_age_days
        );
        return (true, why);
    }

    let share = settings.promotion_auc_share;
    match (new_auc, current.auc_on_new_slice) {
        (None, _) => (false, "the new model has no held-out AUC".to_string()),
        (Some(new), None) => (true, format!("held-out AUC {new:.3}; the current has none")),
        (Some(new), Some(old)) if new >= share * old => (
            true,
            format!(
                "held-out AUC {new:.3} is at least {:.0}% of {old:.3} ({})",
                share * 100.0,
                current.version
            ),
        ),
        (Some(new), Some(old)) => (
            false,
            format!(
                "held-out AUC {new:.3} is below {:.0}% of {old:.3} ({}) on the same slice",
                share * 100.0,
                current.version
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ModelSettings {
        ModelSettings::default()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn current(auc: f64, trained: &str) -> Current {
        Current {
            version: "gbt-000000000001".into(),
            trained_as_of: day(trained),
            auc_on_new_slice: Some(auc),
            same_features: true,
        }
    }

    #[test]
    fn promotion_guard_keeps_a_better_current_model() {
        let old = current(0.80, "2026-11-20");
        let today = day("2026-12-01");

        // 0.76 = 95 % of 0.80: promoted; just below: kept.
        assert!(promotion(Some(0.76), today, Some(&old), &settings()).0);
        let (promoted, why) = promotion(Some(0.759), today, Some(&old), &settings());
        assert!(!promoted);
        assert_eq!(
            why,
            "held-out AUC 0.759 is below 95% of 0.800 (gbt-000000000001) on the same slice"
        );
    }

    #[test]
    fn promotion_guard_replaces_an_old_or_different_model() {
        let today = day("2026-12-01");
        let old = current(0.9, "2026-11-03");
        let (promoted, why) = promotion(Some(0.5), today, Some(&old), &settings());
        assert!(promoted);
        assert_eq!(
            why,
            "model gbt-000000000001 was trained 28 days earlier (limit 28)"
        );

        let mut other = current(0.9, "2026-11-30");
        other.same_features = false;
        assert!(promotion(Some(0.5), today, Some(&other), &settings()).0);
        assert!(promotion(Some(0.5), today, None, &settings()).0);
        assert!(!promotion(None, today, Some(&current(0.9, "2026-11-30")), &settings()).0);
    }

    #[test]
    fn chance_needs_two_standard_errors() {
        // 20 positives and 20 negatives: AUC 0.6 is within noise, 0.8 is not.
        assert!(!beats_chance(Some(0.6), 20, 20));
        assert!(beats_chance(Some(0.8), 20, 20));
        // 2,000 of each: 0.55 is real skill.
        assert!(beats_chance(Some(0.55), 2_000, 2_000));
        assert!(!beats_chance(None, 10, 10));
    }
}
