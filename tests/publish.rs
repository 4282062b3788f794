//! Crash safety of publishing across run dates: a run killed in the middle
//! of its swap leaves its date mixed only until the next run of any date
//! into the same folder, even one the quality gate refuses.

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use common::*;

const EXIT_REFUSED: i32 = 1;
/// The exit code of the `crash_mid_swap` failpoint, as after a SIGKILL.
const EXIT_CRASHED: i32 = 137;
/// The clock of the run that crashes, so its `runs` row differs.
const LATER: &str = "2026-01-01T05:00:00Z";
/// Another run date, published into the same folder.
const OTHER_DATE: &str = "2025-12-01";
const OTHER_NOW: &str = "2025-12-01T03:30:00Z";

fn at(instant: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(instant)
        .expect("an instant")
        .timestamp_millis()
}

/// A folder where D was published at `NOW`, then republished at `LATER`
/// with one more order by a run killed after two of its tables (in name
/// order: account_scores, model_evaluations) were swapped in and the third
/// (opportunity_scores) retired. Returns the temporary folder, the config, the output
/// folder and the orders count of the first run.
fn crashed_mid_swap() -> (TempDir, PathBuf, PathBuf, u64) {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = write_sales_history(&tmp.path().join("data"), "");
    let out = tmp.path().join("out");
    Radar::run(&config, &out).succeeds();
    let orders_before = input_counts(&read_table(&out, "run_inputs"), "orders").0;

    let data = config.parent().expect("the data folder");
    append_lines(
        &data.join("orders.csv"),
        &["O03-900,A03,2025-12-20 10:00:00,777.00"],
    );
    let crashed = Radar::run_for(&config, &out, AS_OF, LATER)
        .env("RADAR_FAILPOINT", "crash_mid_swap")
        .outcome();
    assert_eq!(crashed.code, EXIT_CRASHED, "stderr:\n{}", crashed.stderr);

    assert!(
        !partition(&out, "opportunity_scores").exists(),
        "opportunity_scores not retired"
    );
    assert_eq!(
        millis(&read_table(&out, "runs"), "started_at"),
        [Some(at(NOW))]
    );
    let orders = input_counts(&read_table(&out, "run_inputs"), "orders").0;
    assert_eq!(orders, orders_before, "run_inputs swapped before the crash");
    let lock = out.join(format!(".lock-run_date={AS_OF}"));
    assert!(lock.exists(), "the killed run left its lock file");
    (tmp, config, out, orders_before)
}

/// D is wholly the crashed run's: every partition there, from `LATER`.
fn assert_rolled_forward(out: &Path, orders_before: u64) {
    for table in TABLES.iter().chain(&["reports"]) {
        assert!(
            partition(out, table).exists(),
            "{table} missing for {AS_OF}"
        );
    }
    assert_eq!(
        millis(&read_table(out, "runs"), "started_at"),
        [Some(at(LATER))]
    );
    let orders = input_counts(&read_table(out, "run_inputs"), "orders").0;
    assert_eq!(orders, orders_before + 1);
    assert!(!out.join(".staging").exists(), "staging left behind");
    let lock = out.join(format!(".lock-run_date={AS_OF}"));
    assert!(!lock.exists(), "the dead run's lock file is still there");
}

/// The published files of one run date.
fn files_of(out: &Path, run_date: &str) -> BTreeMap<String, Vec<u8>> {
    let partition = format!("run_date={run_date}");
    published_files(out)
        .into_iter()
        .filter(|(path, _)| path.contains(&partition))
        .collect()
}

#[test]
fn crash_mid_swap_is_finished_by_a_run_of_another_date() {
    let (_tmp, config, out, orders_before) = crashed_mid_swap();

    let other = Radar::run_for(&config, &out, OTHER_DATE, OTHER_NOW).succeeds();
    assert!(
        other
            .stderr
            .contains("finishing the swap of an interrupted publish"),
        "stderr:\n{}",
        other.stderr
    );
    assert_rolled_forward(&out, orders_before);
    let finished = files_of(&out, AS_OF);

    Radar::run_for(&config, &out, AS_OF, LATER).succeeds();
    let rerun = files_of(&out, AS_OF);
    assert_eq!(
        finished.keys().collect::<Vec<_>>(),
        rerun.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &finished {
        assert!(rerun[path] == *bytes, "{path} differs from a whole run");
    }
}

#[test]
fn crash_mid_swap_is_finished_by_a_refused_run_of_the_same_date() {
    let (tmp, config, out, orders_before) = crashed_mid_swap();

    let bad: Vec<String> = (0..40)
        .map(|k| format!("X{k:02},,2025-12-20 10:00:00,10.00"))
        .collect();
    let orders = tmp.path().join("data/orders.csv");
    append_lines(&orders, &bad.iter().map(String::as_str).collect::<Vec<_>>());
    let mut text = fs::read_to_string(&config).expect("the config");
    text.push_str("\n[sources.orders.checks]\nmax_quarantined_share = 0.01\n");
    fs::write(&config, text).expect("the config");

    let refused = Radar::run_for(&config, &out, AS_OF, "2026-01-01T06:00:00Z").outcome();
    assert_eq!(refused.code, EXIT_REFUSED, "stderr:\n{}", refused.stderr);
    assert_rolled_forward(&out, orders_before);
}

#[test]
fn leftover_lock_files_do_not_block_a_run() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let config = write_sales_history(&tmp.path().join("data"), "");
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).expect("the output folder");
    let lock = out.join(format!(".lock-run_date={AS_OF}"));

    for leftover in ["", "not a pid\n", "1", "999999"] {
        fs::write(&lock, leftover).expect("a leftover lock file");
        let outcome = Radar::run(&config, &out).outcome();
        assert_eq!(
            outcome.code, EXIT_OK,
            "lock file {leftover:?} blocked the run; stderr:\n{}",
            outcome.stderr
        );
        assert!(!lock.exists(), "the run left its lock file");
    }
}
