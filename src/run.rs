//! One nightly run for one as-of date: the stages in order, and the tables
//! they publish. Right after ingest the quality gate judges the inputs; when
//! it finds an error the run stops there and publishes nothing.
//!
//! The plan (config, dates, folders) is fixed before any data is read, and
//! the clock is handed in, so a rerun of D on the same inputs with the
//! same clock writes the same bytes.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use tracing::{info, warn};

use crate::check::{self, Level, Refused, Report};
use crate::clock::Clock;
use crate::config::Config;
use crate::contract::SourceKind;
use crate::features;
use crate::ingest::{self, Ingested, Quarantine, SourceStats};
use crate::publish::{self, Partition, Publisher, RunLock};
use crate::score::registry::Registry;
use crate::score::{self, evaluation, Scores};
use crate::signals::{self, Owners, ScoredAccount, Signal};
use crate::snapshot::Cutoff;
use crate::white_space::{self, Cell};

/// Everything a run needs to know before it reads any data.
pub struct RunPlan {
    pub config: Config,
    pub data_dir: Option<PathBuf>,
    pub out_dir: PathBuf,
    /// The model registry: promoted models are served from it and new
    /// ones stored in it.
    pub models_dir: PathBuf,
    pub as_of: NaiveDate,
}

/// What a finished run reports back.
#[derive(Debug)]
pub struct RunSummary {
    pub run_date: NaiveDate,
    pub accounts_scored: usize,
    pub signals: Vec<(&'static str, usize)>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    pub model_version: String,
    /// Warning-level findings of the quality gate, one line each.
    pub warnings: Vec<String>,
}

pub fn run(plan: &RunPlan, clock: &dyn Clock) -> Result<RunSummary> {
    let started_at = clock.now();
    let config = &plan.config;
    let cutoff = Cutoff::new(plan.as_of, config.company_zone());
    let lock = RunLock::acquire(&plan.out_dir, plan.as_of)?;
    publish::recover_interrupted(&plan.out_dir, &lock)?;
    info!(as_of = %plan.as_of, out = %plan.out_dir.display(), "run started");

    let ingested = ingest::ingest(config, plan.data_dir.as_deref())?;
    let gate = check::assess(config, plan.as_of, &ingested, check::DEFAULT_PROBLEMS);
    if gate.refuses() {
        return Err(Refused { report: gate }.into());
    }
    let warnings = gate_warnings(&gate);
    for warning in &warnings {
        warn!(as_of = %plan.as_of, "{warning}");
    }

    let tonight = features::compute(&ingested, config, cutoff)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("computing features as of {}", plan.as_of))?;
    info!(accounts = tonight.height(), "features computed");

    let registry = Registry::open(&plan.models_dir)?;
    let lineage = score::lineage(config, plan.data_dir.as_deref());
    let scores = score::score(&ingested, config, cutoff, &tonight, &registry, &lineage)?;
    let cells = white_space::rank(&ingested, config, cutoff, &tonight)?;

    let published_at = clock.now();
    let owners = Owners::from_org(ingested.frame(SourceKind::Org))?;
    let scored = scored_accounts(&tonight, &scores)?;
    let accounts = scored.accounts();
    let signals = signals::detect(config, plan.as_of, &accounts, &cells, &owners, published_at);
    info!(
        signals = signals.len(),
        white_space_cells = cells.len(),
        "signals detected"
    );

    let mut summary = summarize(plan.as_of, &ingested, &tonight, &scores, &signals);
    summary.warnings = warnings;
    let partition = Partition {
        tables: vec![
            (
                "account_scores",
                account_scores(plan.as_of, &tonight, &scores)?,
            ),
            (
                "opportunity_scores",
                opportunity_scores(plan.as_of, &scores)?,
            ),
            (
                "model_evaluations",
                evaluation::frame(plan.as_of, &scores.evaluations)?,
            ),
            ("signals", signal_table(plan.as_of, &signals)?),
            ("white_space", white_space_table(plan.as_of, &cells)?),
            (
                "quarantine",
                quarantine_table(plan.as_of, &ingested.quarantine)?,
            ),
            ("run_inputs", inputs_table(plan.as_of, &ingested.stats)?),
            ("runs", runs_table(&summary, started_at, clock.now())?),
        ],
        reports: cells
            .iter()
            .map(|cell| {
                (
                    report_file_name(cell),
                    white_space::report(cell, config, cutoff),
                )
            })
            .collect(),
    };

    Publisher::new(&plan.out_dir, plan.as_of).publish(partition)?;
    info!(
        as_of = %plan.as_of,
        accounts = summary.accounts_scored,
        rows_read = summary.rows_read,
        rows_quarantined = summary.rows_quarantined,
        "run finished"
    );
    Ok(summary)
}

fn report_file_name(cell: &Cell) -> String {
    let slug: String = cell
        .cell_id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("{:02}_{slug}.md", cell.rank)
}

/// Owned columns of tonight's scored accounts, for the signal rules.
struct ScoredColumns {
    ids: Vec<String>,
    regions: Vec<Option<String>>,
    industries: Vec<Option<String>>,
    agents: Vec<Option<String>>,
    propensity: Vec<Option<f64>>,
    health: Vec<Option<f64>>,
    propensity_reasons: Vec<String>,
    health_reasons: Vec<String>,
}

impl ScoredColumns {
    fn accounts(&self) -> Vec<ScoredAccount<'_>> {
        (0..self.ids.len())
            .map(|i| ScoredAccount {
                account_id: &self.ids[i],
                region: self.regions[i].as_deref(),
                industry: self.industries[i].as_deref(),
                owner_agent: self.agents[i].as_deref(),
                propensity: self.propensity[i],
                health: self.health[i],
                propensity_reasons: &self.propensity_reasons[i],
                health_reasons: &self.health_reasons[i],
            })
            .collect()
    }
}

fn strings(frame: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let column = frame
        .column(name)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("column `{name}` missing"))?;
    Ok(column.str()?.iter().map(|v| v.map(String::from)).collect())
}

fn scored_accounts(tonight: &DataFrame, scores: &Scores) -> Result<ScoredColumns> {
    Ok(ScoredColumns {
        ids: strings(tonight, "account_id")?
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect(),
        regions: strings(tonight, "region")?,
        industries: strings(tonight, "industry")?,
        agents: strings(tonight, "owner_agent")?,
        propensity: scores.propensity.clone(),
        health: scores.health.clone(),
        propensity_reasons: scores.propensity_reasons.clone(),
        health_reasons: scores.health_reasons.clone(),
    })
}

fn run_date_column(run_date: NaiveDate, height: usize) -> Result<Column> {
    let day = crate::ingest::parse::days_since_epoch(run_date);
    let series = Series::new("run_date".into(), vec![day; height]).cast(&DataType::Date)?;
    Ok(series.into())
}

fn utc_column(name: &str, values: Vec<Option<i64>>) -> Result<Column> {
    // Built as a logical type directly: a cast would drop the zone without
    // polars' `timezones` feature, and readers need to see UTC.
    let instants = Int64Chunked::new(name.into(), &values);
    let utc = instants.into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    Ok(utc.into_series().into())
}

fn account_scores(run_date: NaiveDate, tonight: &DataFrame, scores: &Scores) -> Result<DataFrame> {
    let mut columns = vec![run_date_column(run_date, tonight.height())?];
    for name in [
        "account_id",
        "account_name",
        "region",
        "industry",
        "is_customer",
    ] {
        columns.push(tonight.column(name)?.clone());
    }
    columns.extend([
        Series::new("propensity".into(), scores.propensity.clone()).into(),
        Series::new("health".into(), scores.health.clone()).into(),
        Series::new(
            "propensity_reasons".into(),
            scores.propensity_reasons.clone(),
        )
        .into(),
        Series::new("health_reasons".into(), scores.health_reasons.clone()).into(),
        Series::new(
            "propensity_model_scope".into(),
            scores.propensity_scope.clone(),
        )
        .into(),
        Series::new("health_model_scope".into(), scores.health_scope.clone()).into(),
        Series::new(
            "model_version".into(),
            vec![scores.model_version.clone(); tonight.height()],
        )
        .into(),
    ]);
    Ok(DataFrame::new_infer_height(columns)?)
}

/// One row per deal open at D, with its win probability (0-100).
fn opportunity_scores(run_date: NaiveDate, scores: &Scores) -> Result<DataFrame> {
    let deals = &scores.deals;
    let text = |f: fn(&score::DealScore) -> &str| deals.iter().map(f).collect::<Vec<_>>();
    Ok(DataFrame::new_infer_height(vec![
        run_date_column(run_date, deals.len())?,
        Series::new("opportunity_id".into(), text(|d| &d.opportunity_id)).into(),
        Series::new("account_id".into(), text(|d| &d.account_id)).into(),
        Series::new("stage".into(), text(|d| &d.stage)).into(),
        Series::new(
            "amount".into(),
            deals
                .iter()
                .map(|d| d.amount.map(|a| (a * 100.0).round() / 100.0))
                .collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "win_probability".into(),
            deals.iter().map(|d| d.win_probability).collect::<Vec<_>>(),
        )
        .into(),
        Series::new("reasons".into(), text(|d| &d.reasons)).into(),
        Series::new("model_scope".into(), text(|d| &d.scope)).into(),
        Series::new(
            "model_version".into(),
            vec![scores.win_probability_version.as_str(); deals.len()],
        )
        .into(),
    ])?)
}

fn signal_table(run_date: NaiveDate, signals: &[Signal]) -> Result<DataFrame> {
    let mut sorted: Vec<&Signal> = signals.iter().collect();
    sorted.sort_by(|a, b| {
        a.kind
            .cmp(b.kind)
            .then_with(|| a.signal_id.cmp(&b.signal_id))
    });
    let pick = |f: fn(&Signal) -> Option<String>| sorted.iter().map(|s| f(s)).collect::<Vec<_>>();

    Ok(DataFrame::new_infer_height(vec![
        Series::new("signal_id".into(), pick(|s| Some(s.signal_id.clone()))).into(),
        run_date_column(run_date, sorted.len())?,
        Series::new("kind".into(), pick(|s| Some(s.kind.to_string()))).into(),
        Series::new("account_id".into(), pick(|s| s.account_id.clone())).into(),
        Series::new("region".into(), pick(|s| s.region.clone())).into(),
        Series::new("industry".into(), pick(|s| s.industry.clone())).into(),
        Series::new(
            "score".into(),
            sorted.iter().map(|s| s.score).collect::<Vec<_>>(),
        )
        .into(),
        Series::new("owner".into(), pick(|s| Some(s.owner.clone()))).into(),
        utc_column(
            "due_at",
            sorted
                .iter()
                .map(|s| Some(s.due_at.timestamp_millis()))
                .collect(),
        )?,
        Series::new("status".into(), vec!["new"; sorted.len()]).into(),
        Series::new("reasons".into(), pick(|s| Some(s.reasons.clone()))).into(),
    ])?)
}

fn white_space_table(run_date: NaiveDate, cells: &[Cell]) -> Result<DataFrame> {
    Ok(DataFrame::new_infer_height(vec![
        run_date_column(run_date, cells.len())?,
        Series::new(
            "rank".into(),
            cells.iter().map(|c| c.rank).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "cell_id".into(),
            cells.iter().map(|c| c.cell_id.clone()).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "region".into(),
            cells.iter().map(|c| c.region.clone()).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "industry".into(),
            cells.iter().map(|c| c.industry.clone()).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "market_size".into(),
            cells.iter().map(|c| c.market_size).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "market_year".into(),
            cells.iter().map(|c| c.market_year).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "cagr".into(),
            cells
                .iter()
                .map(|c| c.growth.map(|g| g.0))
                .collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "customers".into(),
            cells.iter().map(|c| c.customers).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "score".into(),
            cells.iter().map(|c| c.score).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "report".into(),
            cells.iter().map(report_file_name).collect::<Vec<_>>(),
        )
        .into(),
    ])?)
}

fn quarantine_table(run_date: NaiveDate, rows: &[Quarantine]) -> Result<DataFrame> {
    let pick = |f: fn(&Quarantine) -> String| rows.iter().map(f).collect::<Vec<_>>();
    Ok(DataFrame::new_infer_height(vec![
        run_date_column(run_date, rows.len())?,
        Series::new("source".into(), pick(|q| q.source.clone())).into(),
        Series::new("file".into(), pick(|q| q.file.clone())).into(),
        Series::new(
            "line".into(),
            rows.iter().map(|q| q.line).collect::<Vec<_>>(),
        )
        .into(),
        Series::new("column".into(), pick(|q| q.column.clone())).into(),
        Series::new("value".into(), pick(|q| q.value.clone())).into(),
        Series::new("reason".into(), pick(|q| q.reason.clone())).into(),
    ])?)
}

fn inputs_table(run_date: NaiveDate, stats: &[SourceStats]) -> Result<DataFrame> {
    let pick = |f: fn(&SourceStats) -> u64| stats.iter().map(f).collect::<Vec<_>>();
    Ok(DataFrame::new_infer_height(vec![
        run_date_column(run_date, stats.len())?,
        Series::new(
            "source".into(),
            stats.iter().map(|s| s.source.name()).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "files".into(),
            stats.iter().map(|s| s.files.join("\n")).collect::<Vec<_>>(),
        )
        .into(),
        Series::new("rows_read".into(), pick(|s| s.rows_read)).into(),
        Series::new("rows_accepted".into(), pick(|s| s.rows_accepted)).into(),
        Series::new("rows_quarantined".into(), pick(|s| s.rows_quarantined)).into(),
        Series::new(
            "content_hash".into(),
            stats
                .iter()
                .map(|s| s.content_hash.clone())
                .collect::<Vec<_>>(),
        )
        .into(),
    ])?)
}

fn summarize(
    run_date: NaiveDate,
    ingested: &Ingested,
    tonight: &DataFrame,
    scores: &Scores,
    signals: &[Signal],
) -> RunSummary {
    let count = |kind: &str| signals.iter().filter(|s| s.kind == kind).count();
    RunSummary {
        run_date,
        accounts_scored: tonight.height(),
        signals: ["high_probability", "churn_risk", "white_space"]
            .into_iter()
            .map(|kind| (kind, count(kind)))
            .collect(),
        rows_read: ingested.stats.iter().map(|s| s.rows_read).sum(),
        rows_accepted: ingested.stats.iter().map(|s| s.rows_accepted).sum(),
        rows_quarantined: ingested.stats.iter().map(|s| s.rows_quarantined).sum(),
        model_version: scores.model_version.clone(),
        warnings: Vec::new(),
    }
}

fn gate_warnings(gate: &Report) -> Vec<String> {
    gate.findings_at(Level::Warning)
        .map(|(source, finding)| format!("{source}: {}", finding.message))
        .collect()
}

fn runs_table(
    summary: &RunSummary,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
) -> Result<DataFrame> {
    let signal_count = |kind: &str| {
        summary
            .signals
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n as u64)
    };
    Ok(DataFrame::new_infer_height(vec![
        run_date_column(summary.run_date, 1)?,
        utc_column("started_at", vec![Some(started_at.timestamp_millis())])?,
        utc_column("finished_at", vec![Some(finished_at.timestamp_millis())])?,
        Series::new("status".into(), vec!["published"]).into(),
        Series::new("code_version".into(), vec![env!("CARGO_PKG_VERSION")]).into(),
        Series::new("model_version".into(), vec![summary.model_version.clone()]).into(),
        Series::new(
            "accounts_scored".into(),
            vec![summary.accounts_scored as u64],
        )
        .into(),
        Series::new("rows_read".into(), vec![summary.rows_read]).into(),
        Series::new("rows_accepted".into(), vec![summary.rows_accepted]).into(),
        Series::new("rows_quarantined".into(), vec![summary.rows_quarantined]).into(),
        Series::new(
            "high_probability_signals".into(),
            vec![signal_count("high_probability")],
        )
        .into(),
        Series::new(
            "churn_risk_signals".into(),
            vec![signal_count("churn_risk")],
        )
        .into(),
        Series::new(
            "white_space_signals".into(),
            vec![signal_count("white_space")],
        )
        .into(),
    ])?)
}
