//! `radar train --export`: the training table of each score as Parquet,
//! with its time split and radar's own held-out probabilities, so that
//! another learner (bench/lightgbm) is trained and judged on exactly the
//! same rows.

use std::fs::{self, File};
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;
use serde_json::json;

use super::dataset::{Dataset, Example};
use super::TrainReport;

/// Writes `<score>.parquet` and `<score>.json` per score into `folder`.
pub fn write(folder: &Path, reports: &[TrainReport]) -> Result<()> {
    fs::create_dir_all(folder)
        .with_context(|| format!("creating export folder {}", folder.display()))?;

    for report in reports {
        let name = report.dataset.score.name();
        let mut frame = table(&report.dataset, &report.holdout_probabilities)?;
        let path = folder.join(format!("{name}.parquet"));
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        ParquetWriter::new(file)
            .finish(&mut frame)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("writing {}", path.display()))?;

        let summary = summary(report);
        let path = folder.join(format!("{name}.json"));
        fs::write(&path, serde_json::to_string_pretty(&summary)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn table(dataset: &Dataset, holdout_probabilities: &[f64]) -> Result<DataFrame> {
    let examples: Vec<(&Example, &str)> = dataset
        .fit
        .iter()
        .map(|e| (e, "fit"))
        .chain(dataset.holdout.iter().map(|e| (e, "holdout")))
        .collect();
    let served: Vec<Option<f64>> = dataset
        .fit
        .iter()
        .map(|_| None)
        .chain((0..dataset.holdout.len()).map(|i| holdout_probabilities.get(i).copied()))
        .collect();

    let days: Vec<i32> = examples
        .iter()
        .map(|(e, _)| crate::ingest::parse::days_since_epoch(e.cutoff))
        .collect();
    let mut columns: Vec<Column> = vec![
        Series::new(
            "account_id".into(),
            examples
                .iter()
                .map(|(e, _)| e.key.as_str())
                .collect::<Vec<_>>(),
        )
        .into(),
        Series::new("cutoff".into(), days)
            .cast(&DataType::Date)?
            .into(),
        Series::new(
            "split".into(),
            examples.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "fold".into(),
            examples.iter().map(|(e, _)| e.fold).collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "segment".into(),
            examples
                .iter()
                .map(|(e, _)| e.segment.as_str())
                .collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "label".into(),
            examples.iter().map(|(e, _)| e.label).collect::<Vec<_>>(),
        )
        .into(),
    ];
    for (j, name) in dataset.feature_names.iter().enumerate() {
        let values: Vec<Option<f64>> = examples
            .iter()
            .map(|(e, _)| e.row[j].filter(|v| v.is_finite()))
            .collect();
        columns.push(Series::new(name.as_str().into(), values).into());
    }
    columns.push(Series::new("radar_probability".into(), served).into());
    Ok(DataFrame::new_infer_height(columns)?)
}

fn summary(report: &TrainReport) -> serde_json::Value {
    let served = report
        .serving
        .evaluations
        .iter()
        .find(|row| row.role == "served");
    let baseline = report
        .serving
        .evaluations
        .iter()
        .find(|row| row.role == "naive_bayes");
    json!({
        "score": report.dataset.score.name(),
        "learner": served.map(|r| r.learner.clone()),
        "calibration": served.map(|r| r.calibration.clone()),
        "model_version": served.map(|r| r.model_version.clone()),
        "auc": served.and_then(|r| r.metrics.as_ref().and_then(|m| m.auc)),
        "raw_auc": served.and_then(|r| r.raw_auc),
        "ece": served.and_then(|r| r.metrics.as_ref().map(|m| m.ece)),
        "brier": served.and_then(|r| r.metrics.as_ref().map(|m| m.brier)),
        "beats_chance": served.map(|r| r.beats_chance),
        "naive_bayes_auc": baseline.and_then(|r| r.metrics.as_ref().and_then(|m| m.auc)),
        "note": served.map(|r| r.note.clone()),
        "insufficient": report.serving.insufficient.clone(),
    })
}
