//! Stage 7, publish: write every table of one run date at once.
//!
//! Everything is written to a staging folder first. Only when all of it is
//! on disk is a commit marker written; then each `<table>/run_date=D`
//! partition is swapped in. A run that dies before the marker leaves the
//! previous partitions untouched (its staging is discarded next time). One
//! that dies during the swap leaves D mixed until the next run of any date
//! into the same folder, which rolls it forward before it reads any input.
//! A swap that fails on an I/O error puts back what it already swapped and
//! discards its staging, so D stays as the previous run left it; only if
//! that rollback fails too does the marker stay for the next run to roll
//! forward. An OS lock on one lock file per date keeps two runs of the same
//! date apart; it ends with its holder, so a dead run blocks nobody.

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
/// way a crash would, to `mid_swap` to fail the swap with an I/O error
/// after two tables are in, or to `crash_mid_swap` to end the process
/// there at once, with the third table's old partition retired and its new
/// one not yet moved in; used by the crash-safety tests.
pub const FAILPOINT_ENV: &str = "RADAR_FAILPOINT";
/// How many tables the `mid_swap` failpoint lets through.
const MID_SWAP_TABLES: usize = 2;
/// The exit code of the `crash_mid_swap` failpoint, as after a SIGKILL.
pub const CRASH_EXIT: i32 = 137;

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

/// Holds the lock of one run date for as long as it lives: an OS lock on
/// `out/.lock-run_date=D`, which the OS drops when the holder dies, so a
/// lock file a dead run left behind blocks nobody. The file carries the
/// holder's pid for people; the pid is never trusted.
pub struct RunLock {
    path: PathBuf,
    run_date: NaiveDate,
    _file: fs::File,
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

        let mut file = loop {
            refuse_link(&path).map_err(|e| io("opening lock", &path, e))?;
            let file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| io("opening lock", &path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(PublishError::Locked { run_date, path });
                }
                Err(fs::TryLockError::Error(e)) => return Err(io("locking", &path, e)),
            }
            // A run that finishes removes its lock file while still holding
            // it; a lock won on that removed file guards nothing, so it is
            // taken again on the file now at the path.
            if still_at(&file, &path) {
                break file;
            }
        };

        let _ = file
            .set_len(0)
            .and_then(|()| write!(file, "{}", std::process::id()));
        Ok(RunLock {
            path,
            run_date,
            _file: file,
        })
    }
}

/// A lock path that is a symbolic link would have the run write its pid
/// through the link into whatever file it names; it is refused instead.
/// (Checked just before opening; a link planted in between is not caught.)
fn refuse_link(path: &Path) -> std::io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the lock file is a symbolic link; remove it",
        )),
        _ => Ok(()),
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Removed while still locked; the file closes (and unlocks) after.
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether the open `file` is still the one at `path`.
#[cfg(unix)]
fn still_at(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Without inode numbers a removed lock file cannot be told apart; on such
/// systems two runs starting just as a third finishes may both proceed.
#[cfg(not(unix))]
fn still_at(_file: &fs::File, path: &Path) -> bool {
    path.exists()
}

/// Finishes every publish an earlier run left half done in `out`, for any
/// run date, each under that date's lock: a committed staging is rolled
/// forward, one without its commit marker is discarded. `held` is the
/// caller's own lock; a date another live run holds is left to that run.
/// Returns the dates whose swap was finished.
pub fn recover_interrupted(out: &Path, held: &RunLock) -> Result<Vec<NaiveDate>, PublishError> {
    let staging = out.join(STAGING);
    let dates = match staged_dates(&staging) {
        Ok(dates) => dates,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(PublishError::Io {
                run_date: held.run_date,
                action: "listing",
                path: staging,
                source: e,
            })
        }
    };

    let mut finished = Vec::new();
    for run_date in dates {
        let _other = if run_date == held.run_date {
            None
        } else {
            match RunLock::acquire(out, run_date) {
                Ok(lock) => Some(lock),
                Err(PublishError::Locked { .. }) => {
                    info!(%run_date, "staging left to the run that holds its lock");
                    continue;
                }
                Err(e) => return Err(e),
            }
        };
        if Publisher::new(out, run_date).recover()? == Recovered::Finished {
            info!(%run_date, "finished the swap of an interrupted publish");
            finished.push(run_date);
        }
    }
    Ok(finished)
}

/// The run dates with staging or retired partitions under `staging`.
fn staged_dates(staging: &Path) -> std::io::Result<Vec<NaiveDate>> {
    let mut dates = Vec::new();
    for entry in fs::read_dir(staging)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let date = name
            .strip_prefix("run_date=")
            .map(|rest| rest.strip_suffix(".old").unwrap_or(rest))
            .and_then(|text| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
        match date {
            Some(date) if !dates.contains(&date) => dates.push(date),
            Some(_) => {}
            None => {
                warn!(entry = %staging.join(&name).display(), "not a staging entry; left alone")
            }
        }
    }
    dates.sort();
    Ok(dates)
}

/// What [`Publisher::recover`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovered {
    /// No staging of this date.
    Nothing,
    /// Staging without its commit marker, removed.
    Discarded,
    /// A committed swap, rolled forward.
    Finished,
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
    /// staging that never reached its commit marker. The caller holds the
    /// date's lock.
    pub fn recover(&self) -> Result<Recovered, PublishError> {
        let staging = self.staging();
        if !staging.exists() {
            // Retired partitions outlive their staging only if a run died
            // while removing them; the swap they belong to is complete.
            let retired = self.retired();
            if retired.exists() {
                fs::remove_dir_all(&retired).map_err(|e| self.io("removing", &retired, e))?;
                let _ = fs::remove_dir(self.out.join(STAGING));
            }
            return Ok(Recovered::Nothing);
        }
        if staging.join(COMMIT_MARKER).exists() {
            warn!(run_date = %self.run_date, "finishing the swap of an interrupted publish");
            // Tables an interrupted swap moved have lost their retired
            // copies, so only rolling forward gives a whole partition.
            self.swap(Failure::KeepStaging)?;
            return Ok(Recovered::Finished);
        }
        warn!(run_date = %self.run_date, "discarding staging of an unfinished run");
        fs::remove_dir_all(&staging).map_err(|e| self.io("removing", &staging, e))?;
        let _ = fs::remove_dir_all(self.retired());
        let _ = fs::remove_dir(self.out.join(STAGING));
        Ok(Recovered::Discarded)
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

        if failpoint("crash_mid_swap") && done == MID_SWAP_TABLES {
            // Dies the way a killed process would: no rollback, no cleanup.
            std::process::exit(CRASH_EXIT);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn a_lock_path_that_is_a_link_is_refused_and_its_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir_all(&out).unwrap();
        let precious = dir.path().join("precious.txt");
        fs::write(&precious, "keep me").unwrap();
        std::os::unix::fs::symlink(&precious, lock_path(&out, "2026-01-01")).unwrap();

        let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let error = RunLock::acquire(&out, date).err().expect("a refusal");

        let text = format!("{error:#}");
        assert!(text.contains("opening lock"), "{text}");
        assert_eq!(fs::read_to_string(&precious).unwrap(), "keep me");
    }

    fn lock_path(out: &Path, run_date: &str) -> PathBuf {
        out.join(format!(".lock-run_date={run_date}"))
    }

    #[test]
    fn os_locks_conflict_between_two_handles_of_one_process() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let path = tmp.path().join("lock");
        let first = fs::File::create(&path).expect("the first handle");
        let second = fs::File::open(&path).expect("the second handle");

        first.try_lock().expect("the first handle locks");
        assert!(matches!(
            second.try_lock(),
            Err(fs::TryLockError::WouldBlock)
        ));
        drop(first);
        second
            .try_lock()
            .expect("free once the first handle closes");
    }

    #[test]
    fn second_holder_of_a_date_is_refused_until_the_first_ends() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let out = tmp.path();
        let first = RunLock::acquire(out, date("2026-01-01")).expect("the first lock");
        let pid = std::process::id().to_string();
        assert_eq!(
            fs::read_to_string(lock_path(out, "2026-01-01")).unwrap(),
            pid
        );

        match RunLock::acquire(out, date("2026-01-01")) {
            Err(PublishError::Locked { run_date, path }) => {
                assert_eq!(run_date, date("2026-01-01"));
                assert_eq!(path, lock_path(out, "2026-01-01"));
            }
            Err(other) => panic!("expected the held error, got {other}"),
            Ok(_) => panic!("two holders of one date"),
        }
        let other_date = RunLock::acquire(out, date("2026-01-02")).expect("another date");
        assert_eq!(
            fs::read_to_string(lock_path(out, "2026-01-01")).unwrap(),
            pid
        );

        drop(first);
        drop(other_date);
        assert!(
            !lock_path(out, "2026-01-01").exists(),
            "lock file left behind"
        );
        let again = RunLock::acquire(out, date("2026-01-01")).expect("free again");
        drop(again);
    }

    #[test]
    fn lock_file_of_a_dead_or_foreign_process_blocks_nobody() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let out = tmp.path();
        let path = lock_path(out, "2026-01-01");
        let pid = std::process::id().to_string();
        for leftover in ["", "garbage\n", "1", "999999"] {
            fs::write(&path, leftover).expect("a leftover lock file");
            let lock = RunLock::acquire(out, date("2026-01-01"))
                .unwrap_or_else(|e| panic!("lock file {leftover:?} blocked: {e}"));
            assert_eq!(
                fs::read_to_string(&path).unwrap(),
                pid,
                "after {leftover:?}"
            );
            drop(lock);
        }
    }

    /// Staging of `run_date` with one table and, if `committed`, its marker.
    fn stage_by_hand(out: &Path, run_date: &str, committed: bool) -> PathBuf {
        let staging = out.join(STAGING).join(format!("run_date={run_date}"));
        fs::create_dir_all(staging.join("runs")).expect("a staged table");
        fs::write(staging.join("runs/part-00000.parquet"), "new").expect("a staged file");
        if committed {
            fs::write(staging.join(COMMIT_MARKER), "staged\n").expect("the marker");
        }
        staging
    }

    #[test]
    fn interrupted_publishes_of_every_free_date_are_settled() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let out = tmp.path();
        stage_by_hand(out, "2025-12-01", true);
        let uncommitted = stage_by_hand(out, "2025-12-02", false);
        let busy = stage_by_hand(out, "2025-12-03", false);
        let old = out.join("runs/run_date=2025-12-01");
        fs::create_dir_all(&old).expect("a published partition");
        fs::write(old.join("part-00000.parquet"), "old").expect("a published file");

        let held = RunLock::acquire(out, date("2026-01-01")).expect("our lock");
        let other_run = RunLock::acquire(out, date("2025-12-03")).expect("a live run");
        let finished = recover_interrupted(out, &held).expect("recovery");

        assert_eq!(finished, [date("2025-12-01")]);
        let published = fs::read_to_string(old.join("part-00000.parquet")).unwrap();
        assert_eq!(published, "new");
        assert!(!uncommitted.exists(), "uncommitted staging kept");
        assert!(
            busy.join("runs/part-00000.parquet").exists(),
            "a live run's staging"
        );
        assert!(
            !lock_path(out, "2025-12-01").exists(),
            "a borrowed lock kept"
        );

        drop(other_run);
        assert_eq!(recover_interrupted(out, &held).expect("recovery"), []);
        assert!(!out.join(STAGING).exists(), "staging left behind");
    }
}
