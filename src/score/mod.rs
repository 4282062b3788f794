//! Stage 4, score: serve each score from the model registry, training a new
//! model when the promoted one is due, and apply it to every account (and
//! every open deal) at D with the top reasons for each score.
//!
//! Training examples are snapshots at earlier cut-offs D' <= D - H, whose
//! outcomes over the horizon H are already known at D, computed by the same
//! feature code as tonight's scores ([`dataset`]). The latest cut-off is
//! held out to pick the learner, calibrate and evaluate ([`training`]); the
//! promotion guard decides whether a new model replaces the served one
//! ([`registry`]).

pub mod btyd;
pub mod calibrate;
pub mod dataset;
pub mod evaluation;
pub mod export;
pub mod learner;
pub mod metrics;
pub mod model;
pub mod naive_bayes;
pub mod registry;
pub mod served;
#[cfg(test)]
mod testing;
pub mod training;
pub mod trees;

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;
use tracing::info;

use crate::config::Config;
use crate::ingest::Ingested;
use crate::snapshot::Cutoff;
use dataset::Slice;
use evaluation::EvaluationRow;
use registry::{Promotion, Registry};
use served::ScoreModel;
use training::Current;

/// The scores of DESIGN.md section 1, and the per-deal win probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreKind {
    /// Probability of a won deal (or, without deals, an order) within H.
    Propensity,
    /// For current customers, probability of being active again within H.
    Health,
    /// For an open deal, probability that it closes won within H.
    WinProbability,
}

impl ScoreKind {
    pub const ALL: [ScoreKind; 3] = [
        ScoreKind::Propensity,
        ScoreKind::Health,
        ScoreKind::WinProbability,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ScoreKind::Propensity => "propensity",
            ScoreKind::Health => "health",
            ScoreKind::WinProbability => "win_probability",
        }
    }

    fn label_column(self) -> &'static str {
        match self {
            ScoreKind::Propensity | ScoreKind::WinProbability => "won",
            ScoreKind::Health => "active",
        }
    }
}

/// The model serving one score tonight, or why there is none.
pub struct Serving {
    pub kind: ScoreKind,
    pub model: Option<ScoreModel>,
    pub insufficient: Option<String>,
    /// The evaluation rows of the training behind tonight's scores.
    pub evaluations: Vec<EvaluationRow>,
}

/// A score of one open deal.
pub struct DealScore {
    pub opportunity_id: String,
    pub account_id: String,
    pub stage: String,
    pub amount: Option<f64>,
    pub win_probability: Option<f64>,
    pub reasons: String,
    pub scope: String,
}

/// Everything the score stage hands to the tables.
pub struct Scores {
    pub propensity: Vec<Option<f64>>,
    pub health: Vec<Option<f64>>,
    pub propensity_reasons: Vec<String>,
    pub health_reasons: Vec<String>,
    pub propensity_scope: Vec<String>,
    pub health_scope: Vec<String>,
    pub deals: Vec<DealScore>,
    pub evaluations: Vec<EvaluationRow>,
    /// `propensity=...;health=...;win_probability=...`.
    pub model_version: String,
    pub win_probability_version: String,
}

/// Scores every account (and open deal) of `tonight`.
pub fn score(
    ingested: &Ingested,
    config: &Config,
    as_of: Cutoff,
    tonight: &DataFrame,
    registry: &Registry,
    lineage: &str,
) -> Result<Scores> {
    let job = Job {
        config,
        as_of: as_of.date,
        registry,
        lineage,
    };
    let mut history = None;
    let mut servings = Vec::new();
    for kind in ScoreKind::ALL {
        servings.push(serving(kind, ingested, &job, &mut history)?);
    }
    let [propensity, health, win] = <[Serving; 3]>::try_from(servings)
        .map_err(|_| anyhow::anyhow!("expected one serving per score"))?;

    let rows = dataset::feature_rows(tonight, &features_of(ScoreKind::Propensity))?;
    let segments = dataset::segments(tonight)?;
    let customers = dataset::bools(tonight, "is_customer")?;
    let everyone = vec![true; rows.len()];
    let (p, p_reasons, p_scope) = apply(&propensity, &rows, &segments, &everyone);
    let (h, h_reasons, h_scope) = apply(&health, &rows, &segments, &customers);
    let deals = deal_scores(&win, ingested, as_of, tonight)?;

    let model_version = [&propensity, &health, &win]
        .iter()
        .map(|s| format!("{}={}", s.kind.name(), version_of(s)))
        .collect::<Vec<_>>()
        .join(";");
    Ok(Scores {
        propensity: p,
        health: h,
        propensity_reasons: p_reasons,
        health_reasons: h_reasons,
        propensity_scope: p_scope,
        health_scope: h_scope,
        win_probability_version: version_of(&win),
        deals,
        evaluations: [propensity, health, win]
            .into_iter()
            .flat_map(|s| s.evaluations)
            .collect(),
        model_version,
    })
}

fn features_of(kind: ScoreKind) -> Vec<String> {
    dataset::feature_names(kind)
}

/// What every training and serving decision of one job needs.
pub struct Job<'a> {
    pub config: &'a Config,
    pub as_of: NaiveDate,
    pub registry: &'a Registry,
    /// See [`lineage`].
    pub lineage: &'a str,
}

/// Which history a model learnt from: a hash of the company name, the
/// horizon and the data folder (as an absolute path). A model is served
/// only to a job of the same lineage, so a registry shared by two data
/// sets, or by two horizons, never serves one the other's model; a data
/// folder moved elsewhere retrains once.
pub fn lineage(config: &Config, data_dir: Option<&std::path::Path>) -> String {
    use sha2::{Digest, Sha256};

    let root = config.data_root(data_dir);
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let digest = Sha256::new()
        .chain_update(config.company.name.as_bytes())
        .chain_update([0])
        .chain_update(config.model.horizon_days.to_le_bytes())
        .chain_update(root.to_string_lossy().as_bytes())
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a stored model was trained on this job's history and reads
/// tonight's features.
fn fits(model: &ScoreModel, kind: ScoreKind, job: &Job) -> bool {
    model.lineage == job.lineage && model.feature_names == features_of(kind)
}

fn version_of(serving: &Serving) -> String {
    serving
        .model
        .as_ref()
        .map_or("none".to_string(), |m| m.version.clone())
}

/// The promoted model when it is fresh enough; otherwise a training now,
/// judged by the promotion guard.
fn serving(
    kind: ScoreKind,
    ingested: &Ingested,
    job: &Job,
    history: &mut Option<Vec<Slice>>,
) -> Result<Serving> {
    let (config, as_of, registry) = (job.config, job.as_of, job.registry);
    let current = registry.current(kind.name(), as_of)?;
    if let Some((promotion, model)) = &current {
        let age = (as_of - promotion.trained_as_of).num_days();
        let fresh = age < config.model.retrain_days;
        if fresh && fits(model, kind, job) {
            info!(score = kind.name(), version = %model.version, age, "promoted model served");
            let evaluations = registry.evaluations(kind.name(), &model.version)?;
            return Ok(Serving {
                kind,
                model: Some(model.clone()),
                insufficient: None,
                evaluations,
            });
        }
    }

    if history.is_none() {
        *history = Some(dataset::history(ingested, config, as_of)?);
    }
    let slices = history.as_deref().unwrap_or_default();
    let data = dataset::dataset(kind, slices, ingested, config.model.horizon_days)?;
    let (serving, _) = train_and_decide(&data, job, current)?;
    Ok(serving)
}

/// Trains a score from its examples, stores the model, applies the
/// promotion guard and says which model serves `as_of`; also returns the
/// new model's served probabilities of the held-out examples.
pub fn train_and_decide(
    data: &dataset::Dataset,
    job: &Job,
    current: Option<(Promotion, ScoreModel)>,
) -> Result<(Serving, Vec<f64>)> {
    let (config, as_of, registry) = (job.config, job.as_of, job.registry);
    let kind = data.score;
    let previous = current.as_ref().map(|(_, model)| model);
    let mut outcome = training::train(data, &config.model, as_of, previous);
    let holdout_probabilities = std::mem::take(&mut outcome.holdout_probabilities);

    let Some(mut model) = outcome.model.take() else {
        let serving = without_new_model(kind, outcome, current, job);
        return Ok((serving, holdout_probabilities));
    };
    model.company = config.company.name.clone();
    model.lineage = job.lineage.to_string();

    // Decided under the score's registry lock, against the promotions as
    // they stand now: a run of another date may have promoted a model
    // while this one trained.
    let _lock = registry.lock(kind.name())?;
    let current = registry.current(kind.name(), as_of)?;
    let guard = current.as_ref().map(|(promotion, model)| Current {
        version: model.version.clone(),
        trained_as_of: promotion.trained_as_of,
        auc_on_new_slice: match &outcome.previous_auc {
            Some((version, auc)) if *version == model.version => *auc,
            _ => {
                let holdout = training::training_set(data, &data.holdout);
                training::previous_on(model, data, &holdout).0
            }
        },
        same_features: fits(model, kind, job),
    });
    let later_exists = registry
        .promotions(kind.name())?
        .iter()
        .any(|p| p.trained_as_of > as_of);
    let (promote, why) = match later_exists {
        true => (
            false,
            "a model trained after this date is already promoted".into(),
        ),
        false => training::promotion(outcome.raw_auc, as_of, guard.as_ref(), &config.model),
    };
    let promoted = promote && !later_exists;
    record_decision(&mut outcome.evaluations, promoted, &why, later_exists);

    registry.save(&model, &outcome.evaluations)?;
    if promoted {
        let promotion = Promotion {
            version: model.version.clone(),
            trained_as_of: as_of,
            reason: why.clone(),
        };
        registry.promote_locked(kind.name(), promotion)?;
    }
    info!(score = kind.name(), version = %model.version, promoted, "{why}");

    let serves_new = promoted || later_exists || current.is_none();
    let serving = Serving {
        kind,
        model: if serves_new {
            Some(model)
        } else {
            current.map(|(_, model)| model)
        },
        insufficient: None,
        evaluations: outcome.evaluations,
    };
    Ok((serving, holdout_probabilities))
}

/// When a training finds too little data, the promoted model keeps
/// serving only while it is younger than `max_model_age_days` and was
/// trained for this company on tonight's features; otherwise the score
/// says `insufficient data`.
fn without_new_model(
    kind: ScoreKind,
    mut outcome: training::Outcome,
    current: Option<(Promotion, ScoreModel)>,
    job: &Job,
) -> Serving {
    let (config, as_of) = (job.config, job.as_of);
    let why = outcome.insufficient.take().unwrap_or_default();
    let kept = current.filter(|(promotion, model)| {
        let age = (as_of - promotion.trained_as_of).num_days();
        age < config.model.max_model_age_days && fits(model, kind, job)
    });
    if let Some((promotion, model)) = &kept {
        for row in &mut outcome.evaluations {
            row.note = format!(
                "{}; the promoted model {} (trained {}) keeps serving",
                row.note, model.version, promotion.trained_as_of
            );
        }
    }
    Serving {
        kind,
        insufficient: kept.is_none().then_some(why),
        model: kept.map(|(_, model)| model),
        evaluations: outcome.evaluations,
    }
}

fn record_decision(rows: &mut [EvaluationRow], promoted: bool, why: &str, later_exists: bool) {
    for row in rows.iter_mut().filter(|r| r.role == "served") {
        row.promoted = promoted;
        row.note = if later_exists {
            format!(
                "{}; not promoted: a model trained after this date is already promoted, \
                 so this one serves this date only",
                row.note
            )
        } else if promoted {
            format!("{}; promoted: {why}", row.note)
        } else {
            format!("{}; kept the current model: {why}", row.note)
        };
    }
}

/// The reason of a row a score does not apply to (health of an account
/// that is not a current customer).
const NOT_ELIGIBLE: &str = "not a current customer: health is scored for customers only";

/// Scores, reasons and scope per row; rows not eligible get none.
fn apply(
    serving: &Serving,
    rows: &[Vec<Option<f64>>],
    segments: &[String],
    eligible: &[bool],
) -> (Vec<Option<f64>>, Vec<String>, Vec<String>) {
    let Some(model) = &serving.model else {
        let why = serving.insufficient.as_deref().unwrap_or("no model");
        return rows
            .iter()
            .zip(eligible)
            .map(|(_, &ok)| match ok {
                true => (
                    None,
                    format!("insufficient data: {why}"),
                    "none".to_string(),
                ),
                false => (None, String::new(), String::new()),
            })
            .fold((vec![], vec![], vec![]), unzip3);
    };

    let served = model.apply(rows, segments);
    served
        .into_iter()
        .zip(eligible)
        .map(|(s, &ok)| match ok {
            true => (Some(s.score), s.reasons, s.scope),
            false => (None, NOT_ELIGIBLE.to_string(), String::new()),
        })
        .fold((vec![], vec![], vec![]), unzip3)
}

type Columns3 = (Vec<Option<f64>>, Vec<String>, Vec<String>);

fn unzip3(mut acc: Columns3, item: (Option<f64>, String, String)) -> Columns3 {
    acc.0.push(item.0);
    acc.1.push(item.1);
    acc.2.push(item.2);
    acc
}

fn deal_scores(
    serving: &Serving,
    ingested: &Ingested,
    as_of: Cutoff,
    tonight: &DataFrame,
) -> Result<Vec<DealScore>> {
    let deals = dataset::open_deal_rows(ingested, as_of, tonight)?;
    let rows: Vec<Vec<Option<f64>>> = deals.iter().map(|d| d.row.clone()).collect();
    let segments: Vec<String> = deals.iter().map(|d| d.segment.clone()).collect();
    let (scores, reasons, scopes) = apply(serving, &rows, &segments, &vec![true; rows.len()]);

    Ok(deals
        .into_iter()
        .zip(scores)
        .zip(reasons)
        .zip(scopes)
        .map(|(((deal, score), reasons), scope)| DealScore {
            opportunity_id: deal.opportunity_id,
            account_id: deal.account_id,
            stage: deal.stage,
            amount: deal.amount,
            win_probability: score,
            reasons,
            scope,
        })
        .collect())
}

/// What `radar train` did for one score.
pub struct TrainReport {
    pub serving: Serving,
    pub dataset: dataset::Dataset,
    pub holdout_probabilities: Vec<f64>,
}

/// `radar train`: trains every score as of D, stores the models and
/// applies the promotion guard.
pub fn train_all(
    ingested: &Ingested,
    config: &Config,
    as_of: NaiveDate,
    registry: &Registry,
    lineage: &str,
) -> Result<Vec<TrainReport>> {
    let slices = dataset::history(ingested, config, as_of)?;
    let job = Job {
        config,
        as_of,
        registry,
        lineage,
    };
    let mut reports = Vec::new();

    for kind in ScoreKind::ALL {
        let current = registry.current(kind.name(), as_of)?;
        let data = dataset::dataset(kind, &slices, ingested, config.model.horizon_days)?;
        let (serving, holdout_probabilities) = train_and_decide(&data, &job, current)?;
        reports.push(TrainReport {
            serving,
            dataset: data,
            holdout_probabilities,
        });
    }
    Ok(reports)
}
