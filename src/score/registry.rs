//! The model registry: a folder of trained score models, each with its
//! evaluation, and the promotions that decide which one the nightly run
//! serves.
//!
//! ```text
//! <registry>/<score>/<version>/model.json        the ScoreModel
//! <registry>/<score>/<version>/evaluations.json  its model_evaluations rows
//! <registry>/<score>/<version>/model_evaluations.parquet  the same, as the
//!                                                table the nightly run writes
//! <registry>/<score>/promotions.json             promotions, oldest first
//! ```
//!
//! Files are written to a temporary name and renamed, so a reader sees a
//! whole file or none.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::evaluation::EvaluationRow;
use super::served::ScoreModel;

/// A registry file that exists but cannot be read back: a person must
/// restore or remove it, so a retry cannot help (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error(
    "model registry file {path} is damaged ({detail}); restore it, or remove the \
     model's folder (and its line in promotions.json), or start a new registry \
     with --models"
)]
pub struct DamagedRegistry {
    pub path: PathBuf,
    pub detail: String,
}

/// One decision to serve a model from a day on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Promotion {
    pub version: String,
    pub trained_as_of: NaiveDate,
    pub reason: String,
}

pub struct Registry {
    root: PathBuf,
}

impl Registry {
    pub fn open(root: &Path) -> Result<Registry> {
        fs::create_dir_all(root)
            .with_context(|| format!("creating model registry {}", root.display()))?;
        Ok(Registry {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stores a model and its evaluation rows under its version.
    pub fn save(&self, model: &ScoreModel, evaluations: &[EvaluationRow]) -> Result<()> {
        let folder = self.root.join(&model.score).join(&model.version);
        fs::create_dir_all(&folder)
            .with_context(|| format!("creating model folder {}", folder.display()))?;
        write_json(&folder.join("model.json"), model)?;
        write_json(&folder.join("evaluations.json"), &evaluations)?;
        write_table(&folder, model.trained_as_of, evaluations)
    }

    pub fn load(&self, score: &str, version: &str) -> Result<ScoreModel> {
        read_json(&self.root.join(score).join(version).join("model.json"))
    }

    pub fn evaluations(&self, score: &str, version: &str) -> Result<Vec<EvaluationRow>> {
        read_json(&self.root.join(score).join(version).join("evaluations.json"))
    }

    /// Every promotion of `score`, oldest first.
    pub fn promotions(&self, score: &str) -> Result<Vec<Promotion>> {
        let path = self.root.join(score).join("promotions.json");
        if !path.exists() {
            return Ok(Vec::new());
        }
        read_json(&path)
    }

    /// The model serving `as_of`: the latest promotion of a model trained
    /// on or before `as_of`, so a rerun of an old date never uses a model
    /// that learnt from later outcomes.
    pub fn current(
        &self,
        score: &str,
        as_of: NaiveDate,
    ) -> Result<Option<(Promotion, ScoreModel)>> {
        let promotion = self
            .promotions(score)?
            .into_iter()
            .filter(|p| p.trained_as_of <= as_of)
            .max_by_key(|p| p.trained_as_of);
        match promotion {
            None => Ok(None),
            Some(promotion) => {
                let model = self.load(score, &promotion.version)?;
                Ok(Some((promotion, model)))
            }
        }
    }

    /// Holds the OS lock on `<score>/.promotions.lock` until the returned
    /// file is dropped. Runs of different dates may train the same score at
    /// the same time; each decides and promotes under this lock, against
    /// the promotions as they stand then, so none is lost or skipped.
    pub fn lock(&self, score: &str) -> Result<fs::File> {
        let folder = self.root.join(score);
        fs::create_dir_all(&folder).with_context(|| format!("creating {}", folder.display()))?;
        let path = folder.join(".promotions.lock");
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        lock.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(lock)
    }

    /// Records a promotion (replacing one of the same version) under the
    /// score's lock.
    pub fn promote(&self, score: &str, promotion: Promotion) -> Result<()> {
        let _lock = self.lock(score)?;
        self.promote_locked(score, promotion)
    }

    /// [`Self::promote`] for a caller that already holds [`Self::lock`].
    pub fn promote_locked(&self, score: &str, promotion: Promotion) -> Result<()> {
        let mut promotions = self.promotions(score)?;
        promotions.retain(|p| p.version != promotion.version);
        promotions.push(promotion);
        promotions.sort_by_key(|p| p.trained_as_of);
        write_json(&self.root.join(score).join("promotions.json"), &promotions)
    }
}

/// Writes `value` with its object keys sorted (through `serde_json::Value`),
/// so the same model is the same bytes whatever order its maps iterate in.
fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_value(value)
        .and_then(|sorted| serde_json::to_string_pretty(&sorted))
        .with_context(|| format!("encoding {}", path.display()))?;
    // One staging name per process, so two writers never share one.
    let staging = path.with_extension(format!("json.partial-{}", std::process::id()));
    fs::write(&staging, text).with_context(|| format!("writing {}", staging.display()))?;
    fs::rename(&staging, path).with_context(|| format!("replacing {}", path.display()))
}

fn write_table(folder: &Path, trained_as_of: NaiveDate, rows: &[EvaluationRow]) -> Result<()> {
    let mut frame = super::evaluation::frame(trained_as_of, rows)?;
    let path = folder.join("model_evaluations.parquet");
    let staging = path.with_extension(format!("parquet.partial-{}", std::process::id()));
    let file =
        fs::File::create(&staging).with_context(|| format!("creating {}", staging.display()))?;
    polars::prelude::ParquetWriter::new(file)
        .finish(&mut frame)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("writing {}", staging.display()))?;
    fs::rename(&staging, &path).with_context(|| format!("replacing {}", path.display()))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let damaged = |detail: String| DamagedRegistry {
        path: path.to_path_buf(),
        detail,
    };
    let text = fs::read_to_string(path).map_err(|e| damaged(e.to_string()))?;
    Ok(serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_promotions_are_all_kept() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path().to_path_buf();
        let day = |n: i64| NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + chrono::Duration::days(n);

        let writers: Vec<_> = (0..4)
            .map(|writer| {
                let root = root.clone();
                std::thread::spawn(move || {
                    let registry = Registry::open(&root).unwrap();
                    for k in 0..25 {
                        let promotion = Promotion {
                            version: format!("lr-{writer}-{k}"),
                            trained_as_of: day(writer * 25 + k),
                            reason: "test".into(),
                        };
                        registry.promote("propensity", promotion).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }

        let promotions = Registry::open(&root)
            .unwrap()
            .promotions("propensity")
            .unwrap();
        assert_eq!(promotions.len(), 100);
        assert!(promotions
            .windows(2)
            .all(|w| w[0].trained_as_of < w[1].trained_as_of));
    }
}
