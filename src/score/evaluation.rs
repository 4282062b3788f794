//! The `model_evaluations` table: one row per model (the served one, each
//! candidate learner, the naive-Bayes baseline, the previous model) per
//! training, measured on the same held-out slice.

use anyhow::Result;
use chrono::NaiveDate;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::metrics::Metrics;

/// One evaluated model of one training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRow {
    pub score: String,
    pub trained_as_of: NaiveDate,
    /// The served model's version this training produced (or `none`).
    pub model_version: String,
    /// `served`, `logistic`, `trees`, `naive_bayes`, `previous` or
    /// `segment`.
    pub role: String,
    /// `all`, or the region x industry segment the row measures.
    pub segment: String,
    pub learner: String,
    pub calibration: String,
    pub fit_cutoffs: String,
    pub holdout_cutoff: Option<NaiveDate>,
    pub fit_rows: usize,
    pub fit_positives: usize,
    /// AUC of the raw output, before calibration.
    pub raw_auc: Option<f64>,
    pub metrics: Option<Metrics>,
    pub beats_chance: bool,
    pub promoted: bool,
    pub note: String,
}

/// The table, one row per evaluation, in the given order.
pub fn frame(run_date: NaiveDate, rows: &[EvaluationRow]) -> Result<DataFrame> {
    let day = crate::ingest::parse::days_since_epoch(run_date);
    let date = |d: Option<NaiveDate>| d.map(crate::ingest::parse::days_since_epoch);
    let text = |f: fn(&EvaluationRow) -> String| rows.iter().map(f).collect::<Vec<_>>();
    let metric = |f: fn(&Metrics) -> Option<f64>| {
        rows.iter()
            .map(|r| r.metrics.as_ref().and_then(f))
            .collect::<Vec<_>>()
    };
    let count =
        |f: fn(&EvaluationRow) -> usize| rows.iter().map(|r| f(r) as u64).collect::<Vec<_>>();
    let reliability: Vec<Option<String>> = rows
        .iter()
        .map(|r| {
            r.metrics
                .as_ref()
                .and_then(|m| serde_json::to_string(&m.reliability).ok())
        })
        .collect();

    let columns: Vec<Column> = vec![
        Series::new("run_date".into(), vec![day; rows.len()])
            .cast(&DataType::Date)?
            .into(),
        Series::new("score".into(), text(|r| r.score.clone())).into(),
        Series::new(
            "trained_as_of".into(),
            rows.iter()
                .map(|r| date(Some(r.trained_as_of)))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)?
        .into(),
        Series::new("model_version".into(), text(|r| r.model_version.clone())).into(),
        Series::new("role".into(), text(|r| r.role.clone())).into(),
        Series::new("segment".into(), text(|r| r.segment.clone())).into(),
        Series::new("learner".into(), text(|r| r.learner.clone())).into(),
        Series::new("calibration".into(), text(|r| r.calibration.clone())).into(),
        Series::new("fit_cutoffs".into(), text(|r| r.fit_cutoffs.clone())).into(),
        Series::new(
            "holdout_cutoff".into(),
            rows.iter()
                .map(|r| date(r.holdout_cutoff))
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)?
        .into(),
        Series::new("fit_rows".into(), count(|r| r.fit_rows)).into(),
        Series::new("fit_positives".into(), count(|r| r.fit_positives)).into(),
        Series::new(
            "holdout_rows".into(),
            count(|r| r.metrics.as_ref().map_or(0, |m| m.rows)),
        )
        .into(),
        Series::new(
            "holdout_positives".into(),
            count(|r| r.metrics.as_ref().map_or(0, |m| m.positives)),
        )
        .into(),
        Series::new("base_rate".into(), metric(|m| Some(m.base_rate))).into(),
        Series::new(
            "raw_auc".into(),
            rows.iter().map(|r| r.raw_auc).collect::<Vec<_>>(),
        )
        .into(),
        Series::new("auc".into(), metric(|m| m.auc)).into(),
        Series::new("pr_auc".into(), metric(|m| m.pr_auc)).into(),
        Series::new("brier".into(), metric(|m| Some(m.brier))).into(),
        Series::new("log_loss".into(), metric(|m| Some(m.log_loss))).into(),
        Series::new("ece".into(), metric(|m| Some(m.ece))).into(),
        Series::new("reliability".into(), reliability).into(),
        Series::new(
            "beats_chance".into(),
            rows.iter().map(|r| r.beats_chance).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "promoted".into(),
            rows.iter().map(|r| r.promoted).collect::<Vec<_>>(),
        )
        .into(),
        Series::new("note".into(), text(|r| r.note.clone())).into(),
    ];
    Ok(DataFrame::new_infer_height(columns)?)
}
