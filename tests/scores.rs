//! Trained scores end to end on a generated data set: `radar train` writes
//! versioned models with their evaluation, the nightly run serves the
//! promoted model until retraining is due, a rerun of an earlier date never
//! uses a model that learnt from later outcomes, and too little data is
//! said plainly instead of scored.

#[allow(dead_code)]
mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::*;
use radar::score::metrics;

use common::*;

const GENERATED_END: &str = "2026-01-01";

/// 400 generated accounts over two years ending on 2025-12-31.
fn generated(tmp: &Path) -> PathBuf {
    let data = tmp.join("data");
    let status = Command::new(env!("CARGO_BIN_EXE_radar"))
        .args([
            "generate",
            "--accounts",
            "400",
            "--days",
            "730",
            "--seed",
            "7",
        ])
        .args(["--end", GENERATED_END, "--out"])
        .arg(&data)
        .output()
        .expect("radar generate runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    data.join("radar.toml")
}

fn train(config: &Path, as_of: &str, models: &Path, export: Option<&Path>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_radar"));
    command
        .args(["train", "--config"])
        .arg(config)
        .args(["--as-of", as_of, "--models"])
        .arg(models);
    if let Some(folder) = export {
        command.arg("--export").arg(folder);
    }
    let output = command.output().expect("radar train runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "train failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn run_with(config: &Path, out: &Path, models: &Path, as_of: &str) {
    Radar::run_for(config, out, as_of, NOW)
        .arg("--models")
        .arg(models)
        .succeeds();
}

fn promotions(models: &Path, score: &str) -> serde_json::Value {
    let path = models.join(score).join("promotions.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("promotions are JSON")
}

fn promoted_version(models: &Path, score: &str) -> String {
    let list = promotions(models, score);
    let last = list.as_array().and_then(|l| l.last()).expect("a promotion");
    last["version"].as_str().expect("a version").to_string()
}

fn served_rows(evaluations: &DataFrame, score: &str) -> DataFrame {
    evaluations
        .clone()
        .lazy()
        .filter(
            col("score")
                .eq(lit(score))
                .and(col("role").eq(lit("served"))),
        )
        .collect()
        .expect("filter")
}

#[test]
fn train_stores_versioned_models_whose_evaluation_matches_the_export() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generated(tmp.path());
    let models = tmp.path().join("models");
    let export = tmp.path().join("export");

    let printed = train(&config, GENERATED_END, &models, Some(&export));
    assert!(printed.contains("propensity: "), "{printed}");

    for score in ["propensity", "health", "win_probability"] {
        let version = promoted_version(&models, score);
        let folder = models.join(score).join(&version);
        assert!(folder.join("model.json").is_file(), "{score}: model.json");
        let table = fs::File::open(folder.join("model_evaluations.parquet")).unwrap();
        let table = ParquetReader::new(table).finish().unwrap();
        assert_eq!(texts(&table, "role")[0].as_deref(), Some("served"));

        let rows: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(folder.join("evaluations.json")).unwrap())
                .unwrap();
        let roles: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["segment"] == "all")
            .map(|r| r["role"].as_str().unwrap())
            .collect();
        assert_eq!(
            roles,
            ["served", "logistic", "trees", "naive_bayes"],
            "{score}"
        );

        let served = &rows[0];
        let table = export.join(format!("{score}.parquet"));
        let file = fs::File::open(&table).unwrap();
        let frame = ParquetReader::new(file)
            .finish()
            .unwrap()
            .lazy()
            .filter(col("split").eq(lit("holdout")))
            .collect()
            .unwrap();
        let labels: Vec<bool> = frame
            .column("label")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect();
        let probabilities: Vec<f64> = frame
            .column("radar_probability")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .map(|v| v.unwrap())
            .collect();

        // The table's figures are the export's held-out rows, recomputed.
        let recomputed = metrics::metrics(&probabilities, &labels);
        let stored = &served["metrics"];
        assert_eq!(
            stored["rows"].as_u64().unwrap() as usize,
            labels.len(),
            "{score}"
        );
        let auc = stored["auc"].as_f64().unwrap();
        assert!((auc - recomputed.auc.unwrap()).abs() < 1e-12, "{score}");
        let ece = stored["ece"].as_f64().unwrap();
        assert!((ece - recomputed.ece).abs() < 1e-12, "{score}");
        assert!(served["beats_chance"].as_bool().unwrap(), "{score}");
        assert!(served["promoted"].as_bool().unwrap(), "{score}");
    }
}

#[test]
fn nightly_run_serves_the_promoted_model_until_retraining_is_due() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generated(tmp.path());

    // Trained three days before D: fresh (cadence 7 days), served as is.
    let fresh = tmp.path().join("fresh");
    train(&config, "2025-12-29", &fresh, None);
    let version = promoted_version(&fresh, "propensity");
    let out = tmp.path().join("out-fresh");
    run_with(&config, &out, &fresh, AS_OF);

    let scores = read_table(&out, "account_scores");
    // No score claims certainty: the held-out slice bounds it.
    for score in numbers(&scores, "propensity").into_iter().flatten() {
        assert!(score > 0.0 && score < 100.0, "propensity {score}");
    }
    let versions = texts(&scores, "model_version");
    let expected = format!("propensity={version};");
    assert!(versions
        .iter()
        .all(|v| v.as_deref().unwrap().starts_with(&expected)));
    let evaluations = read_table(&out, "model_evaluations");
    let served = served_rows(&evaluations, "propensity");
    assert_eq!(texts(&served, "model_version"), present(&[&version]));
    assert_eq!(
        promotions(&fresh, "propensity").as_array().unwrap().len(),
        1
    );

    // Trained ten days before D: due, so the run trains and the new model
    // (older than nothing the guard protects) is promoted for D.
    let stale = tmp.path().join("stale");
    train(&config, "2025-12-22", &stale, None);
    let out = tmp.path().join("out-stale");
    run_with(&config, &out, &stale, AS_OF);

    let list = promotions(&stale, "propensity");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[1]["trained_as_of"], AS_OF);
    let evaluations = read_table(&out, "model_evaluations");
    let previous = evaluations
        .clone()
        .lazy()
        .filter(
            col("score")
                .eq(lit("propensity"))
                .and(col("role").eq(lit("previous"))),
        )
        .collect()
        .unwrap();
    assert_eq!(previous.height(), 1, "the previous model is measured too");
    let note = texts(&previous, "note")[0].clone().unwrap();
    assert!(note.starts_with("previous model "), "{note}");
}

#[test]
fn a_rerun_of_an_earlier_date_never_serves_a_later_model() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generated(tmp.path());
    let models = tmp.path().join("models");
    train(&config, AS_OF, &models, None);
    let later = promoted_version(&models, "propensity");

    let out = tmp.path().join("out");
    run_with(&config, &out, &models, "2025-12-01");

    let scores = read_table_on(&out, "account_scores", "2025-12-01");
    let version = texts(&scores, "model_version")[0].clone().unwrap();
    assert!(
        !version.contains(&later),
        "{version} serves the later {later}"
    );
    let list = promotions(&models, "propensity");
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "the backfill promoted nothing"
    );
    let evaluations = read_table_on(&out, "model_evaluations", "2025-12-01");
    let note = texts(&served_rows(&evaluations, "propensity"), "note")[0]
        .clone()
        .unwrap();
    assert!(note.contains("serves this date only"), "{note}");
}

#[test]
fn too_little_data_is_said_not_scored() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generated(tmp.path());
    let text = fs::read_to_string(&config)
        .unwrap()
        .replace("[model]\n", "[model]\nmin_positive_examples = 100000\n");
    fs::write(&config, text).unwrap();
    let out = tmp.path().join("out");
    Radar::run(&config, &out).succeeds();

    let scores = read_table(&out, "account_scores");
    assert!(numbers(&scores, "propensity").iter().all(Option::is_none));
    let reasons = texts(&scores, "propensity_reasons");
    let first = reasons[0].clone().unwrap();
    assert!(
        first.starts_with("insufficient data: the training cut-offs hold "),
        "{first}"
    );
    assert!(first.ends_with("100000 and 40 are needed"), "{first}");

    let deals = read_table(&out, "opportunity_scores");
    assert!(deals.height() > 0);
    let stages = texts(&deals, "stage");
    assert!(
        stages.iter().all(|s| s.as_deref() == Some("open")),
        "{stages:?}"
    );
    assert!(numbers(&deals, "win_probability")
        .iter()
        .all(Option::is_none));

    let evaluations = read_table(&out, "model_evaluations");
    assert_eq!(evaluations.height(), 3, "one row per score, no model");
    for note in texts(&evaluations, "note") {
        assert!(note.unwrap().starts_with("insufficient data: "));
    }
}

/// Rewrites the generated config's `[model]` settings and company name.
fn variant(config: &Path, name: &str, company: &str, model: &str) -> PathBuf {
    let text = fs::read_to_string(config).unwrap();
    let text = text
        .replace("[model]\n", &format!("[model]\n{model}"))
        .replace(
            "name = \"Brightmoor Instruments\"",
            &format!("name = \"{company}\""),
        );
    let path = config.with_file_name(name);
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_thin_history_keeps_only_a_young_model_of_the_same_company() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generated(tmp.path());
    let models = tmp.path().join("models");
    train(&config, "2025-12-22", &models, None);
    let version = promoted_version(&models, "propensity");
    let thin = "min_positive_examples = 100000\n";

    // Same company, model ten days old (due, but well within 28 days):
    // the retraining finds too little data and the model keeps serving.
    let same = variant(&config, "same.toml", "Brightmoor Instruments", thin);
    let out = tmp.path().join("same");
    run_with(&same, &out, &models, AS_OF);
    let scores = read_table(&out, "account_scores");
    assert!(numbers(&scores, "propensity").iter().all(Option::is_some));
    let served = texts(&scores, "model_version")[0].clone().unwrap();
    assert!(
        served.starts_with(&format!("propensity={version};")),
        "{served}"
    );
    let evaluations = read_table(&out, "model_evaluations");
    let note = texts(&served_rows(&evaluations, "propensity"), "note")[0]
        .clone()
        .unwrap();
    assert!(note.ends_with("keeps serving"), "{note}");

    // Another horizon is another score: that model is not served.
    let longer = variant(
        &config,
        "longer.toml",
        "Brightmoor Instruments",
        "min_positive_examples = 100000\nhorizon_days = 60\n",
    );
    let text = fs::read_to_string(&longer)
        .unwrap()
        .replace("horizon_days = 90\n", "");
    fs::write(&longer, text).unwrap();
    let out = tmp.path().join("longer");
    run_with(&longer, &out, &models, AS_OF);
    let scores = read_table(&out, "account_scores");
    assert!(numbers(&scores, "propensity").iter().all(Option::is_none));

    // Another company on the same registry never gets that model.
    let other = variant(&config, "other.toml", "Other Company", thin);
    let out = tmp.path().join("other");
    run_with(&other, &out, &models, AS_OF);
    let scores = read_table(&out, "account_scores");
    assert!(numbers(&scores, "propensity").iter().all(Option::is_none));
    let served = texts(&scores, "model_version")[0].clone().unwrap();
    assert!(served.starts_with("propensity=none;"), "{served}");
}

#[test]
fn a_damaged_registry_file_is_a_usage_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let config = generated(tmp.path());
    let models = tmp.path().join("models");
    train(&config, AS_OF, &models, None);
    let version = promoted_version(&models, "health");
    let model = models.join("health").join(&version).join("model.json");
    let text = fs::read_to_string(&model).unwrap();
    fs::write(&model, &text[..100]).unwrap();

    let outcome = Radar::run_for(&config, &tmp.path().join("out"), AS_OF, NOW)
        .arg("--models")
        .arg(&models)
        .outcome();
    assert_eq!(outcome.code, EXIT_CONTRACT, "{}", outcome.stderr);
    let expected = format!("model registry file {} is damaged", model.display());
    assert!(outcome.stderr.contains(&expected), "{}", outcome.stderr);
}
