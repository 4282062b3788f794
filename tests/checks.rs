//! The quality gate end to end: `radar check` figures and exit codes, the
//! run that refuses to publish and leaves every earlier output as it was,
//! config values out of range, and a publish whose swap fails midway.

#[allow(dead_code)]
mod common;

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use common::*;

const EXIT_REFUSED: i32 = 1;
/// A second clock for reruns, so their `runs` rows differ from the first.
const LATER: &str = "2026-01-01T05:00:00Z";

fn temp_dir() -> TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// The `bad_order_rows` fixture's config with extra settings: `company` is
/// added to the `[company]` table, `tables` after it, and `checks` becomes
/// the body of `[sources.orders.checks]`. `orders_path` replaces the path.
struct Case<'a> {
    company: &'a str,
    tables: &'a str,
    orders_path: &'a str,
    checks: &'a str,
}

impl Default for Case<'_> {
    fn default() -> Self {
        Case {
            company: "",
            tables: "",
            orders_path: "orders.csv",
            checks: "",
        }
    }
}

impl Case<'_> {
    /// Writes the config into `dir` (with the fixture's orders file when
    /// the path is the default) and returns the config's path.
    fn write(&self, dir: &Path) -> PathBuf {
        fs::create_dir_all(dir).expect("the case folder");
        if self.orders_path == "orders.csv" {
            let orders = fixture("bad_order_rows").join("orders.csv");
            fs::copy(orders, dir.join("orders.csv")).expect("the orders copy");
        }
        let text = format!(
            r#"[company]
name = "Fixture Traders"
time_zone = "UTC"
base_currency = "EUR"
{company}

{tables}

[sources.orders]
path = "{path}"
currency = "EUR"

[sources.orders.columns]
id = "order_id"
account = "account_id"
date = "ordered_at"
amount = "amount"

[sources.orders.checks]
{checks}
"#,
            company = self.company,
            tables = self.tables,
            path = self.orders_path,
            checks = self.checks,
        );
        let config = dir.join("radar.toml");
        fs::write(&config, text).expect("the config");
        config
    }
}

/// `radar check` as of D.
fn check_as_of(config: &Path, as_of: &str) -> Outcome {
    Radar::check(config).arg("--as-of").arg(as_of).outcome()
}

/// The cells of the report row of one source.
fn table_row(stdout: &str, source: &str) -> Vec<String> {
    stdout
        .lines()
        .find(|line| line.starts_with(&format!("{source} ")))
        .unwrap_or_else(|| panic!("no row for {source} in:\n{stdout}"))
        .split_whitespace()
        .map(String::from)
        .collect()
}

fn assert_contains(text: &str, expected: &str) {
    assert!(text.contains(expected), "`{expected}` not in:\n{text}");
}

#[test]
fn quarantine_share_over_the_limit_refuses_and_leaves_outputs_untouched() {
    let tmp = temp_dir();
    let data = tmp.path().join("data");
    let config = write_sales_history(&data, "");
    let out = tmp.path().join("out");
    Radar::run(&config, &out).succeeds();
    Radar::run_for(&config, &out, "2025-12-01", "2025-12-01T03:30:00Z").succeeds();
    let before = published_files(&out);
    let entries_before = entry_names(&out);

    let orders = data.join("orders.csv");
    let good_lines = fs::read_to_string(&orders).expect("orders").lines().count() - 1;
    let bad: Vec<String> = (0..40)
        .map(|k| format!("X{k:02},,2025-12-20 10:00:00,10.00"))
        .collect();
    append_lines(&orders, &bad.iter().map(String::as_str).collect::<Vec<_>>());
    let mut text = fs::read_to_string(&config).expect("the config");
    text.push_str("\n[sources.orders.checks]\nmax_quarantined_share = 0.01\n");
    fs::write(&config, text).expect("the config");

    let refused = Radar::run_for(&config, &out, AS_OF, LATER).outcome();
    assert_eq!(refused.code, EXIT_REFUSED, "stderr:\n{}", refused.stderr);
    let read = good_lines + 40;
    let share = 40.0 / read as f64 * 100.0;
    assert_contains(
        &refused.stdout,
        &format!(
            "error: orders: 40 of {read} rows quarantined ({share:.1} %), \
             above the limit of 1.0 %"
        ),
    );
    assert_contains(
        &refused.stderr,
        "refused to publish 2026-01-01: orders: 40 of",
    );
    assert_eq!(
        table_row(&refused.stdout, "orders").last().unwrap(),
        "error"
    );

    assert!(published_files(&out) == before, "published files changed");
    assert_eq!(entry_names(&out), entries_before);
}

#[test]
fn stale_source_refuses_to_publish() {
    let tmp = temp_dir();
    let case = Case {
        checks: "freshness_error_days = 7",
        ..Case::default()
    };
    let config = case.write(&tmp.path().join("data"));
    let out = tmp.path().join("out");

    // The latest order is on 2025-12-15: fresh for D = 2025-12-16.
    Radar::run_for(&config, &out, "2025-12-16", "2025-12-16T03:30:00Z").succeeds();
    let before = published_files(&out);

    let checked = check_as_of(&config, AS_OF);
    assert_eq!(checked.code, EXIT_REFUSED, "stderr:\n{}", checked.stderr);
    let stale = "error: orders: stale: latest event on 2025-12-15, 16 days before \
                 2025-12-31; error limit is 7 days";
    assert_contains(&checked.stdout, stale);

    let refused = Radar::run(&config, &out).outcome();
    assert_eq!(refused.code, EXIT_REFUSED, "stderr:\n{}", refused.stderr);
    assert_contains(&refused.stdout, stale);
    assert!(published_files(&out) == before, "published files changed");
    assert!(!partition(&out, "runs").exists());
}

#[test]
fn warning_alone_keeps_exit_0_and_is_printed() {
    let tmp = temp_dir();
    let case = Case {
        checks: "freshness_warn_days = 7\nfreshness_error_days = 30",
        ..Case::default()
    };
    let config = case.write(&tmp.path().join("data"));
    let warning = "warning: orders: stale: latest event on 2025-12-15, 16 days \
                   before 2025-12-31; warning limit is 7 days";

    let checked = check_as_of(&config, AS_OF);
    assert_eq!(checked.code, EXIT_OK, "stderr:\n{}", checked.stderr);
    assert_contains(&checked.stdout, warning);
    let row = table_row(&checked.stdout, "orders");
    assert_eq!(row[7..], ["2025-12-15", "16", "warning"]);

    let out = tmp.path().join("out");
    let run = Radar::run(&config, &out).succeeds();
    assert_contains(&run.stdout, warning);
    assert!(partition(&out, "runs").join("part-00000.parquet").is_file());
}

#[test]
fn header_only_orders_report_zero_rows_and_freshness_decides() {
    let tmp = temp_dir();
    let header = "order_id,account_id,ordered_at,amount\n";

    // Only a header-only file: no data, and nothing says it must be fresh.
    let quiet = tmp.path().join("quiet");
    fs::create_dir_all(quiet.join("orders")).expect("orders folder");
    fs::write(quiet.join("orders/2025-12-31.csv"), header).expect("orders file");
    let lenient = Case {
        orders_path: "orders/*.csv",
        ..Case::default()
    }
    .write(&quiet);
    let checked = check_as_of(&lenient, AS_OF);
    assert_eq!(checked.code, EXIT_OK, "stderr:\n{}", checked.stderr);
    let row = table_row(&checked.stdout, "orders");
    assert_eq!(
        row,
        ["orders", "1", "0", "0", "0", "0.0", "%", "none", "-", "warning"]
    );
    assert_contains(&checked.stdout, "warning: orders: no rows at all");

    // The same file where the orders must be at most 2 days old.
    let strict = Case {
        orders_path: "orders/*.csv",
        checks: "freshness_error_days = 2",
        ..Case::default()
    }
    .write(&quiet);
    let checked = check_as_of(&strict, AS_OF);
    assert_eq!(checked.code, EXIT_REFUSED, "stderr:\n{}", checked.stderr);
    assert_contains(
        &checked.stdout,
        "error: orders: stale: no event before 2026-01-01; error limit is 2 days",
    );
    let out = tmp.path().join("out");
    let refused = Radar::run(&strict, &out).outcome();
    assert_eq!(refused.code, EXIT_REFUSED, "stderr:\n{}", refused.stderr);
    assert!(!partition(&out, "runs").exists());

    // Yesterday's file is empty, the day before holds orders: one day late.
    let daily = tmp.path().join("daily");
    fs::create_dir_all(daily.join("orders")).expect("orders folder");
    let day_before = format!("{header}O1,C1,2025-12-30 09:00:00,10.00\n");
    fs::write(daily.join("orders/2025-12-30.csv"), day_before).expect("orders file");
    fs::write(daily.join("orders/2025-12-31.csv"), header).expect("orders file");
    for (limit, code, status) in [(1, EXIT_OK, "ok"), (0, EXIT_REFUSED, "error")] {
        let config = Case {
            orders_path: "orders/*.csv",
            checks: &format!("freshness_error_days = {limit}"),
            ..Case::default()
        }
        .write(&daily);
        let checked = check_as_of(&config, AS_OF);
        assert_eq!(checked.code, code, "limit {limit}:\n{}", checked.stdout);
        let row = table_row(&checked.stdout, "orders");
        assert_eq!(
            row,
            [
                "orders",
                "2",
                "1",
                "1",
                "0",
                "0.0",
                "%",
                "2025-12-30",
                "1",
                status
            ]
        );
    }
}

#[test]
fn check_json_figures_are_exact() {
    let config = fixture("bad_order_rows").join("radar.toml");
    let checked = Radar::check(&config)
        .arg("--as-of")
        .arg(AS_OF)
        .arg("--json")
        .arg("--problems")
        .arg("1")
        .outcome();
    assert_eq!(checked.code, EXIT_OK, "stderr:\n{}", checked.stderr);
    let report: Value = serde_json::from_str(&checked.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", checked.stdout));

    assert_eq!(report["as_of"], "2026-01-01");
    assert_eq!(report["expected_day"], "2025-12-31");
    assert_eq!(report["status"], "ok");
    let sources = report["sources"].as_array().expect("a list of sources");
    assert_eq!(sources.len(), 1);
    let orders = &sources[0];
    assert_eq!(orders["source"], "orders");
    assert_eq!(orders["files"], serde_json::json!(["orders.csv"]));
    assert_eq!(orders["rows_read"], 7);
    assert_eq!(orders["rows_accepted"], 5);
    assert_eq!(orders["rows_quarantined"], 2);
    let share = orders["quarantined_share"].as_f64().expect("a share");
    assert!((share - 2.0 / 7.0).abs() < 1e-15, "share {share}");
    assert_eq!(orders["max_quarantined_share"], 1.0);
    assert_eq!(orders["latest_event_day"], "2025-12-15");
    assert_eq!(orders["lag_days"], 16);
    assert_eq!(orders["freshness_warn_days"], Value::Null);
    assert_eq!(orders["freshness_error_days"], Value::Null);
    assert_eq!(orders["findings"], serde_json::json!([]));
    assert_eq!(
        orders["problems"],
        serde_json::json!([{
            "file": "orders.csv",
            "line": 4,
            "column": "amount",
            "value": "12,5x",
            "reason": "`12,5x` is not a number (`,` is not a thousands separator here)",
        }])
    );
}

#[test]
fn config_values_out_of_range_exit_2_naming_the_key() {
    let cases: [(&str, &str, &str, &str); 13] = [
        (
            "fx_max_carry_days = -1",
            "",
            "",
            "company.fx_max_carry_days",
        ),
        (
            "",
            "[model]\ncutoff_step_days = 0",
            "",
            "model.cutoff_step_days",
        ),
        ("", "[model]\nl2 = 0.0", "", "model.l2"),
        (
            "",
            "[signals]\nhigh_probability_min = 100.5",
            "",
            "signals.high_probability_min",
        ),
        (
            "",
            "[signals]\nchurn_risk_max = -1",
            "",
            "signals.churn_risk_max",
        ),
        (
            "",
            "[signals]\nhigh_probability_due_minutes = 0",
            "",
            "signals.high_probability_due_minutes",
        ),
        (
            "",
            "[signals]\nchurn_risk_due_minutes = -60",
            "",
            "signals.churn_risk_due_minutes",
        ),
        (
            "",
            "[signals]\nwhite_space_due_minutes = 0",
            "",
            "signals.white_space_due_minutes",
        ),
        ("", "[white_space]\ncells = 0", "", "white_space.cells"),
        (
            "",
            "",
            "max_quarantined_share = 1.5",
            "sources.orders.checks.max_quarantined_share",
        ),
        (
            "",
            "",
            "freshness_warn_days = -1",
            "sources.orders.checks.freshness_warn_days",
        ),
        (
            "",
            "",
            "freshness_error_days = -3",
            "sources.orders.checks.freshness_error_days",
        ),
        (
            "",
            "",
            "freshness_warn_days = 9\nfreshness_error_days = 3",
            "sources.orders.checks.freshness_warn_days",
        ),
    ];
    let tmp = temp_dir();
    for (n, (company, tables, checks, key)) in cases.into_iter().enumerate() {
        let case = Case {
            company,
            tables,
            checks,
            ..Case::default()
        };
        let config = case.write(&tmp.path().join(format!("case{n}")));
        let checked = check_as_of(&config, AS_OF);
        assert_eq!(checked.code, EXIT_CONTRACT, "{key}:\n{}", checked.stderr);
        assert_contains(&checked.stderr, key);
        assert!(checked.stdout.is_empty(), "{key}: {}", checked.stdout);
    }

    let edge = Case {
        company: "fx_max_carry_days = 0",
        tables: "[signals]\nhigh_probability_min = 100\nchurn_risk_max = 0",
        checks: "max_quarantined_share = 0.3\nfreshness_warn_days = 0\n\
                 freshness_error_days = 16",
        ..Case::default()
    }
    .write(&tmp.path().join("edge"));
    let checked = check_as_of(&edge, AS_OF);
    assert_eq!(checked.code, EXIT_OK, "stderr:\n{}", checked.stderr);
}

#[test]
fn swap_failing_midway_puts_back_the_previous_partition() {
    let tmp = temp_dir();
    let config = Case::default().write(&tmp.path().join("data"));
    let out = tmp.path().join("out");
    Radar::run(&config, &out).succeeds();
    let before = published_files(&out);

    // A new bad row changes the quarantine and run_inputs tables.
    let orders = tmp.path().join("data/orders.csv");
    append_lines(&orders, &["O8,,2025-12-20 08:00:00,10.00"]);
    let failed = Radar::run_for(&config, &out, AS_OF, LATER)
        .env("RADAR_FAILPOINT", "mid_swap")
        .outcome();
    assert_eq!(failed.code, EXIT_INTERNAL, "stderr:\n{}", failed.stderr);
    assert_contains(&failed.stderr, "permission denied");
    assert!(
        published_files(&out) == before,
        "a mix of two runs is published"
    );
    assert!(!out.join(".staging").exists(), "staging was left behind");

    Radar::run_for(&config, &out, AS_OF, LATER).succeeds();
    let inputs = read_table(&out, "run_inputs");
    assert_eq!(input_counts(&inputs, "orders"), (8, 5, 3));
    assert_eq!(read_table(&out, "quarantine").height(), 3);
    let runs = read_table(&out, "runs");
    assert_eq!(millis(&runs, "started_at"), [Some(at_later())]);
}

fn at_later() -> i64 {
    chrono::DateTime::parse_from_rfc3339(LATER)
        .expect("an instant")
        .timestamp_millis()
}

#[test]
fn os_errors_are_named_once() {
    let tmp = temp_dir();
    let missing = tmp.path().join("absent.toml");
    let checked = Radar::check(&missing).outcome();
    assert_eq!(checked.code, EXIT_CONTRACT, "stderr:\n{}", checked.stderr);
    assert_contains(&checked.stderr, &missing.display().to_string());
    assert_eq!(
        checked.stderr.matches("No such file or directory").count(),
        1
    );

    let config = Case::default().write(&tmp.path().join("data"));
    let blocker = tmp.path().join("a-file");
    fs::write(&blocker, "not a folder").expect("the blocking file");
    let failed = Radar::run(&config, &blocker.join("out")).outcome();
    assert_eq!(failed.code, EXIT_INTERNAL, "stderr:\n{}", failed.stderr);
    assert_eq!(
        failed.stderr.matches("Not a directory").count(),
        1,
        "{}",
        failed.stderr
    );
}

#[test]
fn generate_with_zero_days_is_a_usage_error() {
    let tmp = temp_dir();
    let out = tmp.path().join("generated");
    let failed = std::process::Command::new(env!("CARGO_BIN_EXE_radar"))
        .args(["generate", "--days", "0", "--out"])
        .arg(&out)
        .output()
        .expect("the radar binary can be started");
    assert_eq!(failed.status.code(), Some(EXIT_CONTRACT));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_contains(&stderr, "--days");
    assert!(!out.exists(), "generate wrote files");
}

/// The example's source row in `check --json`, checked as of `as_of`.
fn example_source(config: &str, data: &Path, as_of: &str, source: &str) -> Value {
    let config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config/examples")
        .join(config);
    let checked = Radar::check(&config)
        .arg("--data-dir")
        .arg(data)
        .arg("--as-of")
        .arg(as_of)
        .arg("--json")
        .outcome();
    assert_eq!(checked.code, EXIT_OK, "stderr:\n{}", checked.stderr);
    let report: Value = serde_json::from_str(&checked.stdout).expect("a JSON report");
    assert_eq!(report["status"], "ok");
    let sources = report["sources"].as_array().expect("sources");
    sources
        .iter()
        .find(|s| s["source"] == source)
        .unwrap_or_else(|| panic!("no {source} in {sources:?}"))
        .clone()
}

#[test]
fn example_limits_pass_the_public_exports_as_they_come() {
    let Some(data) = shared_data() else {
        return;
    };

    let orders = example_source("online_retail.toml", &data, "2011-09-01", "orders");
    assert_eq!(orders["rows_read"], 541_909);
    // 135,080 lines without CustomerID and 5,225 exact copies of an
    // earlier line (counted with Python's csv and gzip modules).
    assert_eq!(orders["rows_quarantined"], 140_305);
    assert_eq!(orders["max_quarantined_share"], 0.30);
    assert_eq!(orders["latest_event_day"], "2011-08-31");
    assert_eq!(orders["lag_days"], 0);

    let deals = example_source("maven_crm.toml", &data, "2017-10-01", "opportunities");
    assert_eq!(deals["rows_read"], 8_800);
    assert_eq!(deals["rows_quarantined"], 1_588);
    assert_eq!(deals["max_quarantined_share"], 0.25);
    assert_eq!(deals["latest_event_day"], "2017-09-30");
}
