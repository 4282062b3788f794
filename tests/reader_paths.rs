//! What the reader records about its files: schema drift across the files
//! of a glob shows as a check warning, and file names in the published
//! tables are relative to the data root, whatever the working directory.

#[allow(dead_code)]
mod common;

use std::path::Path;

use polars::prelude::*;
use tempfile::TempDir;

use common::*;

/// The gzip glob fixture: its first daily file lacks the `industry`
/// column the later files have.
#[test]
fn a_file_missing_an_optional_column_is_a_check_warning() {
    let config = fixture("gzip_daily_glob").join("radar.toml");

    let checked = Radar::check(&config).arg("--as-of").arg(AS_OF).outcome();

    assert_eq!(checked.code, EXIT_OK, "stderr:\n{}", checked.stderr);
    let warning = "warning: orders: file orders-2025-11-01.csv.gz has no column \
                   `industry` (mapped to `industry`): read as null";
    assert!(checked.stdout.contains(warning), "{}", checked.stdout);
    let json = Radar::check(&config)
        .arg("--as-of")
        .arg(AS_OF)
        .arg("--json")
        .outcome();
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("json report");
    assert_eq!(report["status"], "warning");
    let findings = &report["sources"][0]["findings"];
    assert_eq!(findings.as_array().map(Vec::len), Some(1), "{findings}");
    assert_eq!(findings[0]["check"], "schema_drift");
    assert_eq!(findings[0]["level"], "warning");
}

fn table_without_run_date(out: &Path, table: &str) -> DataFrame {
    read_table(out, table)
        .drop("run_date")
        .expect("run_date column")
}

#[test]
fn tables_name_files_the_same_from_any_working_directory() {
    let tmp = TempDir::new().expect("a temp dir");
    let data = tmp.path().join("data");
    let config = write_sales_history(&data, "");
    append_lines(&data.join("orders.csv"), &["X1,A001,not a date,10"]);

    let absolute = tmp.path().join("out_absolute");
    Radar::run(&config, &absolute)
        .arg("--data-dir")
        .arg(&data)
        .succeeds();
    let relative = tmp.path().join("out_relative");
    Radar::run(Path::new("data/radar.toml"), &relative)
        .arg("--data-dir")
        .arg("./data/")
        .in_dir(tmp.path())
        .succeeds();

    for table in ["quarantine", "run_inputs"] {
        let first = table_without_run_date(&absolute, table);
        let second = table_without_run_date(&relative, table);
        assert!(first.equals_missing(&second), "{table}:\n{first}\n{second}");
    }
    let quarantine = read_table(&absolute, "quarantine");
    assert_eq!(texts(&quarantine, "file"), present(&["orders.csv"]));
    let inputs = read_table(&absolute, "run_inputs");
    assert!(
        texts(&inputs, "files").contains(&Some("orders.csv".into())),
        "{inputs}"
    );
}
