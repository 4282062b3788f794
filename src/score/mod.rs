//! Stage 4, score: train the two models from the history before D and
//! apply them to every account at D, with the top reasons for each score.
//!
//! Training examples are snapshots at earlier cut-offs D' <= D - H, whose
//! outcomes over the horizon H are already known at D, computed by the same
//! feature code as tonight's scores. The latest cut-off is held out to
//! calibrate and evaluate; the earlier ones fit the model.

pub mod btyd;
pub mod calibrate;
pub mod metrics;
pub mod model;
pub mod naive_bayes;
pub mod trees;

use anyhow::{Context, Result};
use chrono::Duration;
use polars::prelude::*;
use tracing::{info, warn};

use crate::config::Config;
use crate::features;
use crate::ingest::Ingested;
use crate::snapshot::Cutoff;
use model::{ModelOptions, ScoreModel, TrainingSet};

/// The two scores of DESIGN.md section 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreKind {
    /// Probability of a won deal (or, without deals, an order) within H.
    Propensity,
    /// For current customers, probability of being active again within H.
    Health,
}

impl ScoreKind {
    pub fn name(self) -> &'static str {
        match self {
            ScoreKind::Propensity => "propensity",
            ScoreKind::Health => "health",
        }
    }

    fn label_column(self) -> &'static str {
        match self {
            ScoreKind::Propensity => "won",
            ScoreKind::Health => "active",
        }
    }

    /// Health is defined for current customers only.
    fn applies_to_all(self) -> bool {
        self == ScoreKind::Propensity
    }
}

/// The outcome of training one score.
pub enum Trained {
    Model(Box<ScoreModel>),
    Insufficient(String),
}

impl Trained {
    pub fn version(&self) -> String {
        match self {
            Trained::Model(model) => model.version(),
            Trained::Insufficient(_) => "none".to_string(),
        }
    }
}

/// Scores per account at D, in the order of the feature frame.
pub struct Scores {
    pub propensity: Vec<Option<f64>>,
    pub health: Vec<Option<f64>>,
    pub propensity_reasons: Vec<String>,
    pub health_reasons: Vec<String>,
    pub model_version: String,
    pub propensity_model: Trained,
    pub health_model: Trained,
}

pub fn score(
    ingested: &Ingested,
    config: &Config,
    as_of: Cutoff,
    tonight: &DataFrame,
) -> Result<Scores> {
    let history = training_history(ingested, config, as_of)?;

    let propensity_model = train(ScoreKind::Propensity, &history, config);
    let health_model = train(ScoreKind::Health, &history, config);

    let rows = feature_rows(tonight)?;
    let customers = bool_column(tonight, "is_customer")?;
    let everyone = vec![true; rows.len()];
    let (propensity, propensity_reasons) = apply(&propensity_model, &rows, &everyone);
    let (health, health_reasons) = apply(&health_model, &rows, &customers);

    let model_version = format!(
        "propensity={};health={}",
        propensity_model.version(),
        health_model.version()
    );
    Ok(Scores {
        propensity,
        health,
        propensity_reasons,
        health_reasons,
        model_version,
        propensity_model,
        health_model,
    })
}

/// Features and outcomes at one training cut-off.
struct Slice {
    cutoff: Cutoff,
    frame: DataFrame,
}

fn training_history(ingested: &Ingested, config: &Config, as_of: Cutoff) -> Result<Vec<Slice>> {
    let zone = config.company_zone();
    let settings = &config.model;
    let mut slices = Vec::new();

    for k in 0..settings.training_cutoffs as i64 {
        let back = settings.horizon_days + k * settings.cutoff_step_days;
        let cutoff = Cutoff::new(as_of.date - Duration::days(back), zone);

        let features = features::compute(ingested, config, cutoff)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("computing training features at {}", cutoff.date))?;
        if features.height() == 0 {
            break;
        }
        let outcomes = features::outcomes(ingested, cutoff, settings.horizon_days)?;
        let frame = features
            .lazy()
            .left_join(outcomes.lazy(), col("account_id"), col("account_id"))
            .with_columns([
                col("won").fill_null(lit(false)),
                col("active").fill_null(lit(false)),
            ])
            .collect()?;

        info!(cutoff = %cutoff.date, accounts = frame.height(), "training slice built");
        slices.push(Slice { cutoff, frame });
    }
    Ok(slices)
}

/// Fits on every slice but the latest and calibrates on the latest; with a
/// single slice both use it, which the evaluation then reports as such.
fn train(kind: ScoreKind, history: &[Slice], config: &Config) -> Trained {
    let Some((latest, earlier)) = history.split_first() else {
        return Trained::Insufficient("no training cut-off has any account".into());
    };
    let calibration = training_set(kind, std::slice::from_ref(latest));
    let fit = if earlier.is_empty() {
        training_set(kind, std::slice::from_ref(latest))
    } else {
        training_set(kind, earlier)
    };
    let (Ok(fit), Ok(calibration)) = (fit, calibration) else {
        return Trained::Insufficient("training features could not be read".into());
    };

    let options = ModelOptions {
        l2: config.model.l2,
    };
    match model::train(&fit, &calibration, &options) {
        Ok(model) => {
            let evaluation = model.evaluation();
            info!(
                score = kind.name(),
                calibrated_on = %latest.cutoff.date,
                auc = ?evaluation.auc,
                brier = evaluation.brier,
                base_rate = evaluation.base_rate,
                beats_chance = evaluation.beats_chance,
                "model trained"
            );
            Trained::Model(Box::new(model))
        }
        Err(error) => {
            warn!(score = kind.name(), %error, "score not trained");
            Trained::Insufficient(error.to_string())
        }
    }
}

fn training_set(kind: ScoreKind, slices: &[Slice]) -> Result<TrainingSet> {
    let mut set = TrainingSet {
        feature_names: features::names(),
        rows: Vec::new(),
        labels: Vec::new(),
    };

    for slice in slices {
        let rows = feature_rows(&slice.frame)?;
        let labels = bool_column(&slice.frame, kind.label_column())?;
        let eligible = if kind.applies_to_all() {
            vec![true; rows.len()]
        } else {
            bool_column(&slice.frame, "is_customer")?
        };

        for ((row, label), keep) in rows.into_iter().zip(labels).zip(eligible) {
            if keep {
                set.rows.push(row);
                set.labels.push(label);
            }
        }
    }
    Ok(set)
}

/// The catalogue features of each account, row by row.
fn feature_rows(frame: &DataFrame) -> Result<Vec<Vec<Option<f64>>>> {
    let mut rows = vec![Vec::with_capacity(features::CATALOGUE.len()); frame.height()];
    for spec in features::CATALOGUE {
        let column = frame
            .column(spec.name)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("feature `{}` missing from the feature frame", spec.name))?
            .cast(&DataType::Float64)?;
        for (row, value) in rows.iter_mut().zip(column.f64()?.iter()) {
            row.push(value);
        }
    }
    Ok(rows)
}

fn bool_column(frame: &DataFrame, name: &str) -> Result<Vec<bool>> {
    let column = frame
        .column(name)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("column `{name}` missing"))?;
    Ok(column.bool()?.iter().map(|v| v.unwrap_or(false)).collect())
}

/// Scores (0-100, two decimals) and reasons for the eligible rows.
fn apply(
    trained: &Trained,
    rows: &[Vec<Option<f64>>],
    eligible: &[bool],
) -> (Vec<Option<f64>>, Vec<String>) {
    rows.iter()
        .zip(eligible)
        .map(|(row, &eligible)| match trained {
            _ if !eligible => (None, String::new()),
            Trained::Insufficient(why) => (None, format!("insufficient data: {why}")),
            Trained::Model(model) => {
                let score = (model.probability(row) * 10_000.0).round() / 100.0;
                (Some(score), reasons(model, row))
            }
        })
        .unzip()
}

/// The top three contributions each way, e.g. `days since last order: 12
/// (-9.1 points)`, strongest first.
fn reasons(model: &ScoreModel, row: &[Option<f64>]) -> String {
    let contributions = model.contributions(row);
    let mut ranked: Vec<(usize, f64)> = contributions.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

    let up = ranked.iter().filter(|(_, c)| *c >= 0.05).take(3);
    let down = ranked.iter().rev().filter(|(_, c)| *c <= -0.05).take(3);
    up.chain(down)
        .map(|&(index, points)| {
            let name = features::CATALOGUE[index].name.replace('_', " ");
            format!("{name}: {} ({points:+.1} points)", shown(row[index]))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn shown(value: Option<f64>) -> String {
    match value {
        None => "none".to_string(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    }
}
