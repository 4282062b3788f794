//! Training examples for each score, point in time.
//!
//! A training slice is the feature frame at a cut-off D' <= D - H joined
//! with what happened in the horizon after D' (known at D). Account scores
//! take one example per account and slice; the deal score takes one per
//! deal open at the slice's cut-off. The latest slice is held out: it
//! calibrates and evaluates, the earlier slices fit.

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate};
use polars::prelude::*;
use sha2::{Digest, Sha256};
use tracing::info;

use super::ScoreKind;
use crate::config::Config;
use crate::contract::SourceKind;
use crate::features;
use crate::ingest::Ingested;
use crate::snapshot::{Cutoff, MS_PER_DAY};

/// The deal's own features, after the account's catalogue features.
///
/// A deal's recorded stage and amount are its latest state, not its state
/// at an earlier cut-off: exports such as Maven's set the close value only
/// when a deal is won, which would hand the label to the model. So only
/// the deal's age is a feature; the amount is shown in the table.
pub const DEAL_FEATURES: [&str; 1] = ["deal_age_days"];

/// Features and outcomes at one training cut-off.
pub struct Slice {
    pub cutoff: Cutoff,
    pub frame: DataFrame,
}

/// One labelled example.
#[derive(Debug, Clone)]
pub struct Example {
    /// The account id, or the opportunity id for the deal score.
    pub key: String,
    pub segment: String,
    pub cutoff: NaiveDate,
    pub row: Vec<Option<f64>>,
    pub label: bool,
    /// Which half of the held-out slice this example calibrates; fixed by a
    /// hash of key and cut-off so that reruns split the same way.
    pub fold: bool,
}

/// The examples of one score, split in time.
pub struct Dataset {
    pub score: ScoreKind,
    pub feature_names: Vec<String>,
    pub fit: Vec<Example>,
    pub holdout: Vec<Example>,
    pub fit_cutoffs: Vec<NaiveDate>,
    pub holdout_cutoff: Option<NaiveDate>,
}

/// A deal open at a cut-off, ready to score.
pub struct OpenDeal {
    pub opportunity_id: String,
    pub account_id: String,
    pub stage: String,
    pub amount: Option<f64>,
    pub segment: String,
    pub row: Vec<Option<f64>>,
}

/// The feature names a score's rows carry, in order.
pub fn feature_names(kind: ScoreKind) -> Vec<String> {
    let mut names = features::names();
    if kind == ScoreKind::WinProbability {
        names.extend(DEAL_FEATURES.iter().map(|n| n.to_string()));
    }
    names
}

/// How far before D the k-th training cut-off lies (k = 0 is held out).
///
/// The held-out cut-off is D - H, whose outcomes end at D. The fit
/// cut-offs start at D - 2H, so that every fit outcome is known by the
/// held-out cut-off: the evaluation then sees what a model trained at the
/// held-out cut-off would have seen, and nothing later.
fn days_back(settings: &crate::config::ModelSettings, k: i64) -> i64 {
    match k {
        0 => settings.horizon_days,
        _ => 2 * settings.horizon_days + (k - 1) * settings.cutoff_step_days,
    }
}

/// The training slices before `as_of`, latest first.
pub fn history(ingested: &Ingested, config: &Config, as_of: NaiveDate) -> Result<Vec<Slice>> {
    let zone = config.company_zone();
    let settings = &config.model;
    let mut slices = Vec::new();

    for k in 0..settings.training_cutoffs as i64 {
        let cutoff = Cutoff::new(as_of - Duration::days(days_back(settings, k)), zone);

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

/// The examples of `kind` from the slices (latest first): the latest slice
/// is held out, the others fit.
pub fn dataset(
    kind: ScoreKind,
    slices: &[Slice],
    ingested: &Ingested,
    horizon_days: i64,
) -> Result<Dataset> {
    let mut dataset = Dataset {
        score: kind,
        feature_names: feature_names(kind),
        fit: Vec::new(),
        holdout: Vec::new(),
        fit_cutoffs: Vec::new(),
        holdout_cutoff: slices.first().map(|s| s.cutoff.date),
    };

    for (index, slice) in slices.iter().enumerate() {
        let examples = match kind {
            ScoreKind::WinProbability => deal_examples(slice, ingested, horizon_days)?,
            _ => account_examples(kind, slice)?,
        };
        if index == 0 {
            dataset.holdout = examples;
        } else {
            dataset.fit_cutoffs.push(slice.cutoff.date);
            dataset.fit.extend(examples);
        }
    }
    dataset.fit_cutoffs.reverse();
    Ok(dataset)
}

fn account_examples(kind: ScoreKind, slice: &Slice) -> Result<Vec<Example>> {
    let frame = &slice.frame;
    let rows = feature_rows(frame, &features::names())?;
    let keys = strings(frame, "account_id")?;
    let segments = segments(frame)?;
    let labels = bools(frame, kind.label_column())?;
    let eligible = match kind {
        ScoreKind::Health => bools(frame, "is_customer")?,
        _ => vec![true; rows.len()],
    };

    let mut examples = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        if eligible[i] {
            examples.push(example(&keys[i], &segments[i], slice, row, labels[i]));
        }
    }
    Ok(examples)
}

/// Deals open at the slice's cut-off, labelled won when they closed won
/// within the horizon.
fn deal_examples(slice: &Slice, ingested: &Ingested, horizon_days: i64) -> Result<Vec<Example>> {
    let end = slice.cutoff.millis + horizon_days * MS_PER_DAY;
    let deals = open_deal_rows(ingested, slice.cutoff, &slice.frame)?;
    let closed = deal_closings(ingested)?;

    Ok(deals
        .into_iter()
        .map(|deal| {
            let won = closed.get(&deal.opportunity_id).is_some_and(|&(won, at)| {
                won && at.is_some_and(|at| at >= slice.cutoff.millis && at < end)
            });
            example(&deal.opportunity_id, &deal.segment, slice, deal.row, won)
        })
        .collect())
}

fn example(key: &str, segment: &str, slice: &Slice, row: Vec<Option<f64>>, label: bool) -> Example {
    Example {
        key: key.to_string(),
        segment: segment.to_string(),
        cutoff: slice.cutoff.date,
        row,
        label,
        fold: fold_of(key, slice.cutoff.date),
    }
}

/// Deals open at `cutoff`: created before it and not yet closed then
/// (closed at or after it, or without a close day and not won or lost),
/// with the account's features from `accounts` (the feature frame at the
/// same cut-off) and the deal's own.
pub fn open_deal_rows(
    ingested: &Ingested,
    cutoff: Cutoff,
    accounts: &DataFrame,
) -> Result<Vec<OpenDeal>> {
    let Some(deals) = ingested.frame(SourceKind::Opportunities) else {
        return Ok(Vec::new());
    };
    let amount = if deals.column("amount_base").is_ok() {
        col("amount_base").cast(DataType::Float64)
    } else {
        lit(NULL).cast(DataType::Float64)
    };
    let open = col("created_ms").lt(lit(cutoff.millis)).and(
        col("closed_ms")
            .gt_eq(lit(cutoff.millis))
            .or(col("closed_ms")
                .is_null()
                .and(col("stage").neq(lit("won")))
                .and(col("stage").neq(lit("lost")))),
    );
    let age =
        (lit(cutoff.millis) - col("created_ms")).cast(DataType::Float64) / lit(MS_PER_DAY as f64);
    let joined = deals
        .clone()
        .lazy()
        .filter(open)
        .select([
            col("opportunity_id"),
            col("account_id"),
            // As it stood at the cut-off: open, with the amount only when
            // the export still has the deal open (a deal that closed later
            // carries its final stage and close value, unknown at the cut).
            lit("open").alias("stage"),
            when(col("closed_ms").is_null())
                .then(amount)
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("amount"),
            age.floor().alias("deal_age_days"),
        ])
        .inner_join(
            accounts.clone().lazy(),
            col("account_id"),
            col("account_id"),
        )
        .sort(["opportunity_id"], SortMultipleOptions::default())
        .collect()?;

    let names = feature_names(ScoreKind::WinProbability);
    let rows = feature_rows(&joined, &names)?;
    let ids = strings(&joined, "opportunity_id")?;
    let accounts = strings(&joined, "account_id")?;
    let stages = strings(&joined, "stage")?;
    let amounts = floats(&joined, "amount")?;
    let segments = segments(&joined)?;

    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| OpenDeal {
            opportunity_id: ids[i].clone(),
            account_id: accounts[i].clone(),
            stage: stages[i].clone(),
            amount: amounts[i],
            segment: segments[i].clone(),
            row,
        })
        .collect())
}

/// Whether each deal was won and when it closed, by opportunity id.
fn deal_closings(
    ingested: &Ingested,
) -> Result<std::collections::HashMap<String, (bool, Option<i64>)>> {
    let mut closings = std::collections::HashMap::new();
    let Some(deals) = ingested.frame(SourceKind::Opportunities) else {
        return Ok(closings);
    };
    let ids = strings(deals, "opportunity_id")?;
    let stages = strings(deals, "stage")?;
    let closed = deals.column("closed_ms")?.cast(&DataType::Int64)?;
    for ((id, stage), at) in ids.into_iter().zip(stages).zip(closed.i64()?.iter()) {
        closings.insert(id, (stage == "won", at));
    }
    Ok(closings)
}

/// The region x industry segment of every row, `unknown` where missing.
pub fn segments(frame: &DataFrame) -> Result<Vec<String>> {
    let regions = optional_strings(frame, "region")?;
    let industries = optional_strings(frame, "industry")?;
    Ok(regions
        .into_iter()
        .zip(industries)
        .map(|(region, industry)| {
            let region = region.unwrap_or_else(|| "unknown".into());
            let industry = industry.unwrap_or_else(|| "unknown".into());
            format!("{region} x {industry}")
        })
        .collect())
}

/// The calibration half an example belongs to.
fn fold_of(key: &str, cutoff: NaiveDate) -> bool {
    let digest = Sha256::new()
        .chain_update(key.as_bytes())
        .chain_update(cutoff.to_string().as_bytes())
        .finalize();
    digest[0] & 1 == 1
}

/// The named features of each row, row by row.
pub fn feature_rows(frame: &DataFrame, names: &[String]) -> Result<Vec<Vec<Option<f64>>>> {
    let mut rows = vec![Vec::with_capacity(names.len()); frame.height()];
    for name in names {
        let values = floats(frame, name)?;
        for (row, value) in rows.iter_mut().zip(values) {
            row.push(value);
        }
    }
    Ok(rows)
}

fn floats(frame: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let column = frame
        .column(name)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("feature `{name}` missing from the feature frame"))?
        .cast(&DataType::Float64)?;
    Ok(column.f64()?.iter().collect())
}

pub fn bools(frame: &DataFrame, name: &str) -> Result<Vec<bool>> {
    let column = frame
        .column(name)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("column `{name}` missing"))?;
    Ok(column.bool()?.iter().map(|v| v.unwrap_or(false)).collect())
}

fn optional_strings(frame: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let column = frame
        .column(name)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("column `{name}` missing"))?;
    Ok(column.str()?.iter().map(|v| v.map(String::from)).collect())
}

fn strings(frame: &DataFrame, name: &str) -> Result<Vec<String>> {
    Ok(optional_strings(frame, name)?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect())
}
