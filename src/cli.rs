//! The command line: parse flags, resolve them into a run plan, act, and
//! map the outcome to an exit code a scheduler can rely on.
//!
//! Exit codes: 0 published (or checked clean) · 1 the quality gate found
//! an error, so the run refused to publish (or `check` failed) ·
//! 2 usage, config or input contract error (needs a person) · 3 internal
//! or environment error (a retry may help) · 4 another run of the same
//! date holds the lock.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand};

use crate::check::{self, Refused, Report};
use crate::clock::{Clock, FixedClock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::features::CATALOGUE;
use crate::generate::{self, FileEncoding, GenerateOptions, DEFAULT_BAD_SHARE};
use crate::ingest::{self, IngestError};
use crate::publish::PublishError;
use crate::run::{self, RunPlan, RunSummary};
use crate::score;
use crate::score::registry::{DamagedRegistry, Registry};

#[derive(Debug, Parser)]
#[command(name = "radar", version, about = "Nightly sales opportunity radar")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the nightly job for one as-of date and publish its tables.
    Run {
        /// The run configuration (TOML).
        #[arg(long, env = "RADAR_CONFIG")]
        config: PathBuf,
        /// As-of date D; default: today in the company's time zone.
        #[arg(long, env = "RADAR_AS_OF")]
        as_of: Option<NaiveDate>,
        /// Folder that source paths are relative to; default: the config's folder.
        #[arg(long, env = "RADAR_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Folder the tables are published to.
        #[arg(long, env = "RADAR_OUT", default_value = "radar-out", value_parser = folder)]
        out: PathBuf,
        /// The model registry: the promoted models are served from it,
        /// and a model due for retraining is trained and stored there.
        /// Default: `_models` inside the output folder.
        #[arg(long, env = "RADAR_MODELS", value_parser = folder)]
        models: Option<PathBuf>,
        /// Fix the run's clock (RFC 3339) for byte-identical reruns.
        #[arg(long, env = "RADAR_NOW", hide = true)]
        now: Option<DateTime<Utc>>,
    },
    /// Train every score as of D from point-in-time history, store the
    /// models with their evaluation in the registry and promote those that
    /// pass the guard.
    Train {
        /// The run configuration (TOML).
        #[arg(long, env = "RADAR_CONFIG")]
        config: PathBuf,
        /// As-of date D: the held-out cut-off is D - H, the fit cut-offs
        /// start at D - 2H.
        #[arg(long, env = "RADAR_AS_OF")]
        as_of: NaiveDate,
        /// Folder that source paths are relative to; default: the config's folder.
        #[arg(long, env = "RADAR_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// The model registry folder (a run's default is `OUT/_models`).
        #[arg(long, env = "RADAR_MODELS", value_parser = folder)]
        models: PathBuf,
        /// Also write each score's training table (features, labels, time
        /// split, held-out probabilities) as Parquet to this folder.
        #[arg(long, value_parser = folder)]
        export: Option<PathBuf>,
    },
    /// Generate a demo data set and run the nightly job on it.
    Demo {
        /// Folder for the generated data and the published tables.
        #[arg(long, default_value = "radar-demo", value_parser = folder)]
        out: PathBuf,
        #[arg(long, default_value_t = 400)]
        accounts: u64,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Check the config, every source's contract, quarantine share and
    /// freshness as of D; publishes nothing. Exits 1 when a check fails.
    Check {
        #[arg(long, env = "RADAR_CONFIG")]
        config: PathBuf,
        /// As-of date D; default: today in the company's time zone.
        #[arg(long, env = "RADAR_AS_OF")]
        as_of: Option<NaiveDate>,
        #[arg(long, env = "RADAR_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// How many quarantined rows to list per source.
        #[arg(long, default_value_t = check::DEFAULT_PROBLEMS)]
        problems: usize,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write a generated data set, its config and its manifest.
    Generate {
        /// Number of accounts.
        #[arg(long, default_value_t = 400)]
        accounts: u64,
        /// Days of history, 1 to 36500.
        #[arg(long, default_value_t = 730, value_parser = history_days())]
        days: i64,
        /// Seed of every random draw; the same seed gives the same files.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// The first day after the generated history.
        #[arg(long, default_value = "2026-01-01")]
        end: NaiveDate,
        /// Share of event rows written malformed on purpose (0 to 0.5).
        #[arg(long, default_value_t = DEFAULT_BAD_SHARE)]
        bad_share: f64,
        /// Encoding of the text-heavy files (accounts, prospects,
        /// complaints, policies).
        #[arg(long, value_enum, default_value_t = FileEncoding::Utf8)]
        encoding: FileEncoding,
        /// Folder the files are written to.
        #[arg(long, value_parser = folder)]
        out: PathBuf,
    },
    /// List the feature catalogue.
    Features,
}

/// The registry's folder inside the output folder when `--models` is not
/// given; the underscore keeps table readers that list folders away.
const MODELS_FOLDER: &str = "_models";

/// An output folder: absent (it is created) or a folder; an existing file
/// there is a usage error (exit 2).
fn folder(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if path.exists() && !path.is_dir() {
        return Err(format!("{text} exists and is not a folder"));
    }
    Ok(path)
}

/// The span `generate` accepts; outside it is a usage error (exit 2).
fn history_days() -> clap::builder::RangedI64ValueParser<i64> {
    clap::value_parser!(i64).range(1..=36_500)
}

/// Runs the command and returns the process exit code.
pub fn main(cli: Cli) -> i32 {
    match dispatch(cli) {
        Ok(code) => code,
        Err(error) => {
            if let Some(refused) = error.downcast_ref::<Refused>() {
                print!("{}", refused.report.to_text());
            }
            eprintln!("radar: error: {error:#}");
            exit_code(&error)
        }
    }
}

/// Acts on the command; the exit code of a finished command is 0, or 1
/// when `check` finds an error-level problem.
fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Run {
            config,
            as_of,
            data_dir,
            out,
            models,
            now,
        } => {
            let clock: Box<dyn Clock> = match now {
                Some(now) => Box::new(FixedClock(now)),
                None => Box::new(SystemClock),
            };
            let config = Config::load(&config)?;
            let as_of = as_of.unwrap_or_else(|| today(&config, clock.as_ref()));
            let plan = RunPlan {
                config,
                data_dir,
                models_dir: models.unwrap_or_else(|| out.join(MODELS_FOLDER)),
                out_dir: out,
                as_of,
            };
            let summary = run::run(&plan, clock.as_ref())?;
            print_summary(&summary, &plan.out_dir);
            Ok(0)
        }
        Command::Demo {
            out,
            accounts,
            seed,
        } => demo(&out, accounts, seed).map(|()| 0),
        Command::Check {
            config,
            as_of,
            data_dir,
            problems,
            json,
        } => {
            let config = Config::load(&config)?;
            let as_of = as_of.unwrap_or_else(|| today(&config, &SystemClock));
            let report = check(&config, as_of, data_dir.as_deref(), problems)?;
            if json {
                println!("{}", report.to_json());
            } else {
                println!("config {}: valid", config.origin.display());
                print!("{}", report.to_text());
            }
            Ok(if report.refuses() { 1 } else { 0 })
        }
        Command::Generate {
            accounts,
            days,
            seed,
            end,
            bad_share,
            encoding,
            out,
        } => {
            let options = GenerateOptions {
                accounts,
                days,
                seed,
                end,
                bad_share,
                encoding,
            };
            let summary = generate::generate(&options, &out)?;
            for written in &summary.manifest.sources {
                println!(
                    "{}: {} rows ({} bad on purpose) in {}",
                    written.source,
                    written.rows,
                    written.bad_rows,
                    written.files.join(" ")
                );
            }
            println!("config: {}", summary.config_path.display());
            println!("manifest: {}", summary.manifest_path.display());
            Ok(0)
        }
        Command::Train {
            config,
            as_of,
            data_dir,
            models,
            export,
        } => {
            let config = Config::load(&config)?;
            train(
                &config,
                as_of,
                data_dir.as_deref(),
                &models,
                export.as_deref(),
            )?;
            Ok(0)
        }
        Command::Features => {
            // A reader that stops early (`radar features | head`) closes
            // the pipe; that ends the listing, it is not an error.
            let mut out = std::io::stdout().lock();
            for spec in CATALOGUE {
                let line = writeln!(
                    out,
                    "{:<32} {:<11} {} (null: {})",
                    spec.name, spec.group, spec.description, spec.when_null
                );
                if line.is_err() {
                    break;
                }
            }
            Ok(0)
        }
    }
}

fn today(config: &Config, clock: &dyn Clock) -> NaiveDate {
    clock
        .now()
        .with_timezone(&config.company_zone())
        .date_naive()
}

/// The demo's as-of date: fixed, so every demo run reads the same history.
const DEMO_AS_OF: &str = "2026-01-01";

fn demo(out: &Path, accounts: u64, seed: u64) -> Result<()> {
    let as_of: NaiveDate = DEMO_AS_OF.parse().expect("valid demo date");
    let data = out.join("data");
    let options = GenerateOptions {
        accounts,
        days: 730,
        seed,
        end: as_of,
        bad_share: DEFAULT_BAD_SHARE,
        encoding: FileEncoding::Utf8,
    };
    let generated = generate::generate(&options, &data)
        .with_context(|| format!("generating demo data in {}", data.display()))?;
    println!(
        "generated demo data in {} ({} deliberately bad rows)",
        data.display(),
        generated.manifest.bad_rows()
    );

    let plan = RunPlan {
        config: Config::load(&generated.config_path)?,
        data_dir: None,
        out_dir: out.join("tables"),
        models_dir: out.join("tables").join(MODELS_FOLDER),
        as_of,
    };
    let summary = run::run(&plan, &SystemClock)?;
    print_summary(&summary, &plan.out_dir);
    Ok(())
}

/// `radar train`: ingest, refuse on a failed quality gate, train every
/// score, and print one line per score.
fn train(
    config: &Config,
    as_of: NaiveDate,
    data_dir: Option<&Path>,
    models: &Path,
    export: Option<&Path>,
) -> Result<()> {
    let ingested = ingest::ingest(config, data_dir)?;
    let gate = check::assess(config, as_of, &ingested, check::DEFAULT_PROBLEMS);
    if gate.refuses() {
        return Err(Refused { report: gate }.into());
    }

    let registry = Registry::open(models)?;
    let lineage = score::lineage(config, data_dir);
    let reports = score::train_all(&ingested, config, as_of, &registry, &lineage)?;
    for report in &reports {
        println!("{}", train_line(report));
    }
    if let Some(folder) = export {
        score::export::write(folder, &reports)?;
        println!("training tables written to {}", folder.display());
    }
    Ok(())
}

fn train_line(report: &score::TrainReport) -> String {
    let name = report.dataset.score.name();
    let rows = &report.serving.evaluations;
    let Some(served) = rows.iter().find(|r| r.role == "served") else {
        return format!("{name}: no evaluation");
    };
    let Some(metrics) = &served.metrics else {
        return format!("{name}: {}", served.note);
    };
    let baseline = rows
        .iter()
        .find(|r| r.role == "naive_bayes")
        .and_then(|r| r.metrics.as_ref())
        .and_then(|m| m.auc);
    format!(
        "{name}: {} ({}, {}) held-out AUC {} ECE {:.3} Brier {:.3} on {} rows; \
         naive Bayes AUC {}; {}",
        served.model_version,
        served.learner,
        served.calibration,
        figure(metrics.auc),
        metrics.ece,
        metrics.brier,
        metrics.rows,
        figure(baseline),
        served.note
    )
}

fn figure(value: Option<f64>) -> String {
    value.map_or("n/a".to_string(), |v| format!("{v:.3}"))
}

/// Ingests every source and judges it as of D, like a run would before
/// publishing.
fn check(
    config: &Config,
    as_of: NaiveDate,
    data_dir: Option<&Path>,
    problems: usize,
) -> Result<Report> {
    let ingested = ingest::ingest(config, data_dir)?;
    Ok(check::assess(config, as_of, &ingested, problems))
}

fn print_summary(summary: &RunSummary, out: &Path) {
    let signals: Vec<String> = summary
        .signals
        .iter()
        .map(|(k, n)| format!("{k}={n}"))
        .collect();
    println!(
        "run {} published to {}: {} accounts scored; signals {}",
        summary.run_date,
        out.display(),
        summary.accounts_scored,
        signals.join(" ")
    );
    println!(
        "rows read {} = accepted {} + quarantined {}; model {}",
        summary.rows_read, summary.rows_accepted, summary.rows_quarantined, summary.model_version
    );
    for warning in &summary.warnings {
        println!("warning: {warning}");
    }
}

fn exit_code(error: &anyhow::Error) -> i32 {
    for cause in error.chain() {
        if cause.downcast_ref::<Refused>().is_some() {
            return 1;
        }
        if cause.downcast_ref::<ConfigError>().is_some()
            || cause.downcast_ref::<IngestError>().is_some()
            || cause.downcast_ref::<DamagedRegistry>().is_some()
        {
            return 2;
        }
        if let Some(publish) = cause.downcast_ref::<PublishError>() {
            return match publish {
                PublishError::Locked { .. } => 4,
                _ => 3,
            };
        }
    }
    3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_folder_may_be_absent_or_a_folder_but_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tables");
        std::fs::write(&file, "").unwrap();

        let refused = folder(file.to_str().unwrap()).unwrap_err();
        assert!(
            refused.ends_with("tables exists and is not a folder"),
            "{refused}"
        );
        assert!(folder(dir.path().to_str().unwrap()).is_ok());
        assert!(folder(dir.path().join("new").to_str().unwrap()).is_ok());
    }
}
