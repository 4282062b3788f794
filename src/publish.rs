//! Stage 7, publish: write every table of one run date at once.
//!
//! Everything is written to a staging folder first. Only when all of it is
//! on disk is a commit marker written; then each `<table>/run_date=D`
//! partition is swapped in. A run that dies before the marker leaves the
//! previous partitions untouched (its staging is discarded next time); one
//! that dies during the swap is rolled forward by the next run. A swap that
//! fails on an I/O error puts back what it already swapped and discards its
//! staging, so D stays as the previous run left it; only if that rollback
//! fails too does the marker stay for the next run to roll forward. Either
//! way readers never keep a mix of two runs. A lock file keeps two runs of
//! the same date apart.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use thiserror::Error;
use tracing::{info, warn};

const STAGING: &str = ".staging";
const COMMIT_MARKER: &str = "_COMMIT";
/// Set to `after_staging` to stop a run between staging and the swap, the
/// way a crash would, or to `mid_swap` to fail the swap with an I/O error
/// after two tables are in; used by the crash-safety tests.
pub const FAILPOINT_ENV: &str = "RADAR_FAILPOINT";
/// How many tables the `mid_swap` failpoint lets through.
const MID_SWAP_TABLES: usize = 2;

#[derive(Debug, Error)]
pub enum PublishError {
    #[error("another run for {run_date} holds the lock {path}")]
    Locked { run_date: NaiveDate, path: PathBuf },
    #[error("publishing {run_date}: {action} {path}")]
    Io {
        run_date: NaiveDate,
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("publishing {run_date}: writing table `{table}`: {message}")]
    Table {
        run_date: NaiveDate,
        table: String,
        message: String,
    },
    #[error("publishing {run_date}: stopped after staging by {FAILPOINT_ENV}")]
    Failpoint { run_date: NaiveDate },
    #[error(
        "publishing {run_date}: the swap failed and so did putting back the \
         previous partitions ({rollback}); the next run of {run_date} finishes the swap"
    )]
    RollbackFailed {
        run_date: NaiveDate,
        rollback: String,
        source: Box<PublishError>,
    },
}

/// Everything one run date publishes.
pub struct Partition {
    pub tables: Vec<(&'static str, DataFrame)>,
    /// Report folder name and (file name, contents).
    pub reports: Vec<(String, String)>,
}

/// Holds the lock of one run date for as long as it lives.
pub struct RunLock {
    path: PathBuf,
}

impl RunLock {
    pub fn acquire(out: &Path, run_date: NaiveDate) -> Result<RunLock, PublishError> {
        let io = |action, path: &Path, source| PublishError::Io {
            run_date,
            action,
            path: path.to_path_buf(),
            source,
        };
        fs::create_dir_all(out).map_err(|e| io("creating", out, e))?;
        let path = out.join(format!(".lock-run_date={run_date}"));

        if let Some(holder) = lock_holder(&path) {
            if !process_alive(holder) {
                warn!(lock = %path.display(), pid = holder, "removing the lock of a run that died");
                fs::remove_file(&path).map_err(|e| io("removing stale lock", &path, e))?;
            }
        }

        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => PublishError::Locked {
                    run_date,
                    path: path.clone(),
                },
                _ => io("creating lock", &path, e),
            })?;
        let _ = write!(file, "{}", std::process::id());
        Ok(RunLock { path })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn lock_holder(path: &Path) -> Option<u32> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn process_alive(pid: u32) -> bool {
    // Without /proc (not Linux) a lock is never taken for stale.
    !Path::new("/proc").exists() || Path::new(&format!("/proc/{pid}")).exists()
}

pub struct Publisher<'a> {
    out: &'a Path,
    run_date: NaiveDate,
}

impl<'a> Publisher<'a> {
    pub fn new(out: &'a Path, run_date: NaiveDate) -> Publisher<'a> {
        Publisher { out, run_date }
    }

    fn staging(&self) -> PathBuf {
        self.out.join(STAGING).join(self.partition_name())
    }

    fn partition_name(&self) -> String {
        format!("run_date={}", self.run_date)
    }

    fn io(&self, action: &'static str, path: &Path, source: std::io::Error) -> PublishError {
        PublishError::Io {
            run_date: self.run_date,
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// Finishes a swap that an earlier run of this date began, or discards
    /// staging that never reached its commit marker.
    pub fn recover(&self) -> Result<(), PublishError> {
        let staging = self.staging();
        if !staging.exists() {
            return Ok(());
        }
        if staging.join(COMMIT_MARKER).exists() {
            warn!(run_date = %self.run_date, "finishing the swap of an interrupted publish");
            // Tables an interrupted swap moved have lost their retired
            // copies, so only rolling forward gives a whole partition.
            return self.swap(Failure::KeepStaging);
        }
        warn!(run_date = %self.run_date, "discarding staging of an unfinished run");
        fs::remove_dir_all(&staging).map_err(|e| self.io("removing", &staging, e))?;
        let _ = fs::remove_dir(self.out.join(STAGING));
        Ok(())
    }

    pub fn publish(&self, partition: Partition) -> Result<(), PublishError> {
        self.recover()?;
        self.stage(partition)?;

        if failpoint("after_staging") {
            return Err(PublishError::Failpoint {
                run_date: self.run_date,
            });
        }

        let marker = self.staging().join(COMMIT_MARKER);
        write_atomically(&marker, b"staged\n").map_err(|e| self.io("writing", &marker, e))?;
        self.swap(Failure::RollBack)?;
        info!(run_date = %self.run_date, out = %self.out.display(), "published");
        Ok(())
    }

    fn stage(&self, partition: Partition) -> Result<(), PublishError> {
        let staging = self.staging();
        fs::create_dir_all(&staging).map_err(|e| self.io("creating", &staging, e))?;

        for (table, mut frame) in partition.tables {
            let folder = staging.join(table);
            fs::create_dir_all(&folder).map_err(|e| self.io("creating", &folder, e))?;
            self.write_parquet(table, &folder.join("part-00000.parquet"), &mut frame)?;
        }

        let reports = staging.join("reports");
        fs::create_dir_all(&reports).map_err(|e| self.io("creating", &reports, e))?;
        for (name, text) in partition.reports {
            let path = reports.join(name);
            fs::write(&path, text).map_err(|e| self.io("writing", &path, e))?;
        }
        Ok(())
    }

    fn write_parquet(
        &self,
        table: &str,
        path: &Path,
        frame: &mut DataFrame,
    ) -> Result<(), PublishError> {
        let file = fs::File::create(path).map_err(|e| self.io("creating", path, e))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Snappy)
            .finish(frame)
            .map_err(|e| PublishError::Table {
                run_date: self.run_date,
                table: table.to_string(),
                message: e.to_string(),
            })?;
        Ok(())
    }

    fn retired(&self) -> PathBuf {
        self.out
            .join(STAGING)
            .join(format!("{}.old", self.partition_name()))
    }

    fn target(&self, table: &str) -> PathBuf {
        self.out.join(table).join(self.partition_name())
    }

    /// Moves each staged table over its published partition. Safe to repeat
    /// after a crash: tables already moved are no longer in staging.
    fn swap(&self, on_failure: Failure) -> Result<(), PublishError> {
        let staging = self.staging();
        let retired = self.retired();
        let _ = fs::remove_dir_all(&retired);
        fs::create_dir_all(&retired).map_err(|e| self.io("creating", &retired, e))?;

        let tables = staged_tables(&staging).map_err(|e| self.io("listing", &staging, e))?;
        for (done, table) in tables.iter().enumerate() {
            if let Err(error) = self.swap_table(table, done) {
                return match on_failure {
                    Failure::RollBack => Err(self.roll_back(&tables[..=done], error)),
                    Failure::KeepStaging => Err(error),
                };
            }
        }

        fs::remove_dir_all(&staging).map_err(|e| self.io("removing", &staging, e))?;
        fs::remove_dir_all(&retired).map_err(|e| self.io("removing", &retired, e))?;

        // Another date may be staging beside this one; then the folder stays.
        let _ = fs::remove_dir(self.out.join(STAGING));
        Ok(())
    }

    /// Retires one table's published partition and moves its staged one in;
    /// `done` tables are already swapped.
    fn swap_table(&self, table: &str, done: usize) -> Result<(), PublishError> {
        let target = self.target(table);
        if target.exists() {
            let old = self.retired().join(table);
            fs::rename(&target, &old).map_err(|e| self.io("retiring", &target, e))?;
        }

        let staged = self.staging().join(table);
        if failpoint("mid_swap") && done == MID_SWAP_TABLES {
            let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
            return Err(self.io("moving", &staged, denied));
        }
        let parent = target.parent().expect("a partition has a table folder");
        fs::create_dir_all(parent).map_err(|e| self.io("creating", parent, e))?;
        fs::rename(&staged, &target).map_err(|e| self.io("moving", &staged, e))
    }

    /// Puts the retired partitions of `tables` back, moves their new ones
    /// back to staging, then discards staging with its commit marker, so
    /// the date is as the previous run left it. Returns the error to report.
    fn roll_back(&self, tables: &[String], cause: PublishError) -> PublishError {
        warn!(run_date = %self.run_date, "swap failed; putting back the previous partitions");
        let restored = tables
            .iter()
            .rev()
            .try_for_each(|table| self.restore_table(table))
            .and_then(|()| {
                let staging = self.staging();
                fs::remove_dir_all(&staging).map_err(|e| self.io("removing", &staging, e))?;
                let _ = fs::remove_dir_all(self.retired());
                let _ = fs::remove_dir(self.out.join(STAGING));
                Ok(())
            });
        match restored {
            Ok(()) => cause,
            Err(failed) => PublishError::RollbackFailed {
                run_date: self.run_date,
                rollback: chain_text(&failed),
                source: Box::new(cause),
            },
        }
    }

    fn restore_table(&self, table: &str) -> Result<(), PublishError> {
        let target = self.target(table);
        let staged = self.staging().join(table);
        if target.exists() && !staged.exists() {
            fs::rename(&target, &staged).map_err(|e| self.io("moving back", &target, e))?;
        }
        let old = self.retired().join(table);
        if old.exists() {
            fs::rename(&old, &target).map_err(|e| self.io("restoring", &old, e))?;
        }
        Ok(())
    }
}

/// What a failed swap does with what it already moved.
#[derive(Debug, Clone, Copy)]
enum Failure {
    /// Put the previous partitions back and discard staging.
    RollBack,
    /// Leave everything for the next run to roll forward.
    KeepStaging,
}

/// An error and its causes on one line, for an error kept as text.
fn chain_text(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

fn failpoint(name: &str) -> bool {
    std::env::var(FAILPOINT_ENV).as_deref() == Ok(name)
}

fn staged_tables(staging: &Path) -> std::io::Result<Vec<String>> {
    let mut tables = Vec::new();
    for entry in fs::read_dir(staging)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            tables.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    tables.sort();
    Ok(tables)
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    let mut file = fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&temporary, path)
}
