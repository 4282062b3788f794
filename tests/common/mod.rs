//! Shared steps of the end-to-end tests: running the `radar` binary, reading
//! back the tables it published, and writing a small, deterministic sales
//! history that has enough wins, losses and lapsed customers for both
//! models to train on.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{Duration, NaiveDate};
use polars::prelude::*;

/// The as-of date D every test runs for.
pub const AS_OF: &str = "2026-01-01";
/// The fixed clock of every run: 03:30 UTC on D.
pub const NOW: &str = "2026-01-01T03:30:00Z";
/// The tables a run publishes, one partition each.
pub const TABLES: [&str; 8] = [
    "account_scores",
    "opportunity_scores",
    "model_evaluations",
    "signals",
    "white_space",
    "quarantine",
    "run_inputs",
    "runs",
];
/// Process exit codes of the command line.
pub const EXIT_OK: i32 = 0;
pub const EXIT_CONTRACT: i32 = 2;
pub const EXIT_INTERNAL: i32 = 3;
pub const EXIT_LOCKED: i32 = 4;

/// Environment variables that would change a run if the caller had them set.
const RADAR_ENV: [&str; 7] = [
    "RADAR_CONFIG",
    "RADAR_AS_OF",
    "RADAR_DATA_DIR",
    "RADAR_OUT",
    "RADAR_NOW",
    "RADAR_FAILPOINT",
    "RADAR_LOG",
];

/// The folder of a hand-written fixture case under `tests/fixtures`.
pub fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(case)
}

/// One invocation of the real binary, built up step by step.
pub struct Radar {
    command: Command,
}

/// What an invocation left behind: its exit code and its output.
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Radar {
    fn new(args: &[&OsStr]) -> Radar {
        let mut command = Command::new(env!("CARGO_BIN_EXE_radar"));
        for name in RADAR_ENV {
            command.env_remove(name);
        }
        command.env("RADAR_LOG", "warn").args(args);
        Radar { command }
    }

    /// `radar run` for D with the fixed clock, publishing into `out`.
    pub fn run(config: &Path, out: &Path) -> Radar {
        Radar::run_for(config, out, AS_OF, NOW)
    }

    /// `radar run` for any as-of date and clock.
    pub fn run_for(config: &Path, out: &Path, as_of: &str, now: &str) -> Radar {
        Radar::new(&[
            "run".as_ref(),
            "--config".as_ref(),
            config.as_os_str(),
            "--as-of".as_ref(),
            as_of.as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            "--now".as_ref(),
            now.as_ref(),
        ])
    }

    /// `radar check` of a config and its sources.
    pub fn check(config: &Path) -> Radar {
        Radar::new(&["check".as_ref(), "--config".as_ref(), config.as_os_str()])
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Radar {
        self.command.arg(arg);
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Radar {
        self.command.env(name, value);
        self
    }

    pub fn in_dir(mut self, dir: &Path) -> Radar {
        self.command.current_dir(dir);
        self
    }

    pub fn outcome(mut self) -> Outcome {
        let output = self
            .command
            .output()
            .expect("the radar binary can be started");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs to completion and insists that the run succeeded.
    pub fn succeeds(self) -> Outcome {
        let outcome = self.outcome();
        assert_eq!(
            outcome.code, EXIT_OK,
            "radar failed\nstdout:\n{}\nstderr:\n{}",
            outcome.stdout, outcome.stderr
        );
        outcome
    }
}

/// The partition folder of one table for D.
pub fn partition(out: &Path, table: &str) -> PathBuf {
    partition_on(out, table, AS_OF)
}

/// The partition folder of one table for any run date.
pub fn partition_on(out: &Path, table: &str, run_date: &str) -> PathBuf {
    out.join(table).join(format!("run_date={run_date}"))
}

/// One published table of D, read back with polars.
pub fn read_table(out: &Path, table: &str) -> DataFrame {
    read_table_on(out, table, AS_OF)
}

/// One published table of any run date, read back with polars.
pub fn read_table_on(out: &Path, table: &str, run_date: &str) -> DataFrame {
    let path = partition_on(out, table, run_date).join("part-00000.parquet");
    let file = fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file)
        .finish()
        .unwrap_or_else(|e| panic!("{} is not readable Parquet: {e}", path.display()))
}

/// Every published file under `out` by relative path, with its bytes;
/// the staging area of an unfinished publish is not published.
pub fn published_files(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    collect_files(out, out, &mut files);
    files
}

fn collect_files(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a readable folder entry").path();
        if path.file_name() == Some(OsStr::new(".staging")) {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("below the root");
            let bytes = fs::read(&path).expect("a readable published file");
            files.insert(relative.display().to_string(), bytes);
        }
    }
}

/// The names of the entries of a folder, sorted.
pub fn entry_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            e.expect("a readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

pub fn texts(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
    let column = frame.column(name).expect("the column exists");
    let column = column.cast(&DataType::String).expect("castable to text");
    let values = column.str().expect("a text column");
    values.iter().map(|v| v.map(String::from)).collect()
}

/// Expected text cells, none of them null.
pub fn present(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some(v.to_string())).collect()
}

pub fn numbers(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let column = frame.column(name).expect("the column exists");
    let column = column.cast(&DataType::Float64).expect("castable to float");
    column.f64().expect("a float column").iter().collect()
}

pub fn counts(frame: &DataFrame, name: &str) -> Vec<u64> {
    let column = frame.column(name).expect("the column exists");
    let column = column.cast(&DataType::UInt64).expect("castable to u64");
    let values = column.u64().expect("a u64 column");
    values
        .iter()
        .map(|v| v.expect("a count is never null"))
        .collect()
}

/// A UTC timestamp column as milliseconds since the epoch.
pub fn millis(frame: &DataFrame, name: &str) -> Vec<Option<i64>> {
    let column = frame.column(name).expect("the column exists");
    let column = column.cast(&DataType::Int64).expect("castable to i64");
    column.i64().expect("an i64 column").iter().collect()
}

/// The row counts that a `run_inputs` table reports for one source:
/// (read, accepted, quarantined).
pub fn input_counts(inputs: &DataFrame, source: &str) -> (u64, u64, u64) {
    let sources = texts(inputs, "source");
    let row = sources
        .iter()
        .position(|s| s.as_deref() == Some(source))
        .unwrap_or_else(|| panic!("run_inputs has no row for `{source}`: {sources:?}"));
    (
        counts(inputs, "rows_read")[row],
        counts(inputs, "rows_accepted")[row],
        counts(inputs, "rows_quarantined")[row],
    )
}

/// Appends lines to a CSV file that already ends with a newline.
pub fn append_lines(path: &Path, lines: &[&str]) {
    let mut text = fs::read_to_string(path).expect("the file exists");
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    fs::write(path, text).expect("the file is writable");
}

/// Sales regions with their director and customer-success owner, as the
/// org source lists them. East has no director.
pub const ORG: [(&str, &str, &str); 3] = [
    ("North", "Nadia North", "Noel North"),
    ("South", "Sofia South", "Saul South"),
    ("East", "", "Erin East"),
];
/// Who receives white-space signals.
pub const SALES_VP: &str = "Vera Vance";
/// How many accounts the history holds.
pub const ACCOUNTS: usize = 60;

const INDUSTRIES: [&str; 2] = ["tools", "food"];
/// Days from the first day of history to D: two full years.
const HISTORY_DAYS: i64 = 731;
const ORDER_EVERY_DAYS: i64 = 14;
const DEAL_EVERY_DAYS: i64 = 60;
const DEAL_CYCLE_DAYS: i64 = 30;

/// Writes a two-year sales history before D plus its `radar.toml` into
/// `dir` and returns the config's path. `signal_rules` is the body of the
/// config's `[signals]` table (empty for the defaults).
///
/// Odd-numbered accounts buy every two weeks and win a deal every two
/// months throughout. Even-numbered accounts do the same until their own
/// stop day, spread from mid 2024 to late 2025, and lose every deal after
/// it. Deals that would close on or after D are still open at D.
pub fn write_sales_history(dir: &Path, signal_rules: &str) -> PathBuf {
    fs::create_dir_all(dir).expect("the data folder can be created");
    write_file(dir, "accounts.csv", &accounts_csv());
    write_file(dir, "orders.csv", &orders_csv());
    write_file(dir, "opportunities.csv", &opportunities_csv());
    write_file(dir, "org.csv", &org_csv());
    write_file(dir, "market.csv", &market_csv());
    let config = dir.join("radar.toml");
    fs::write(&config, config_toml(signal_rules)).expect("the config is writable");
    config
}

fn write_file(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).expect("the data file is writable");
}

/// The region every account `number` (1-based) belongs to.
pub fn region_of(number: usize) -> &'static str {
    ORG[(number - 1) % ORG.len()].0
}

pub fn account_id(number: usize) -> String {
    format!("A{number:02}")
}

fn first_day() -> NaiveDate {
    let as_of: NaiveDate = AS_OF.parse().expect("a valid date");
    as_of - Duration::days(HISTORY_DAYS)
}

fn day(offset: i64) -> NaiveDate {
    first_day() + Duration::days(offset)
}

/// The day (from the start of history) after which an account lapses.
fn stop_day(number: usize) -> Option<i64> {
    number.is_multiple_of(2).then(|| 120 + 9 * number as i64)
}

fn active_on(number: usize, offset: i64) -> bool {
    stop_day(number).is_none_or(|stop| offset < stop)
}

fn accounts_csv() -> String {
    let mut csv = String::from("account_id,name,industry,region,created,employees\n");
    for number in 1..=ACCOUNTS {
        let industry = INDUSTRIES[(number - 1) / ORG.len() % INDUSTRIES.len()];
        let created = format!("2023-{:02}-01", number % 12 + 1);
        let _ = writeln!(
            csv,
            "{},Account {number:02},{industry},{},{created},{}",
            account_id(number),
            region_of(number),
            20 + 17 * number
        );
    }
    csv
}

fn orders_csv() -> String {
    let mut csv = String::from("order_id,account_id,ordered_at,amount\n");
    for number in 1..=ACCOUNTS {
        let start = (number as i64 * 5) % ORDER_EVERY_DAYS;
        let offsets = (start..HISTORY_DAYS).step_by(ORDER_EVERY_DAYS as usize);
        for (k, offset) in offsets.enumerate() {
            if !active_on(number, offset) {
                break;
            }
            let amount = 100 + (number * 7) % 50 + (k % 5) * 10;
            let _ = writeln!(
                csv,
                "O{number:02}-{k:03},{},{} 10:00:00,{amount}.00",
                account_id(number),
                day(offset)
            );
        }
    }
    csv
}

fn opportunities_csv() -> String {
    let mut csv = String::from("opportunity_id,account_id,stage,amount,created,closed\n");
    for number in 1..=ACCOUNTS {
        let start = 10 + (number as i64 * 3) % DEAL_EVERY_DAYS;
        let offsets = (start..HISTORY_DAYS).step_by(DEAL_EVERY_DAYS as usize);
        for (k, created) in offsets.enumerate() {
            let closes = created + DEAL_CYCLE_DAYS;
            let (stage, closed) = if closes >= HISTORY_DAYS {
                ("Open", String::new())
            } else if active_on(number, closes) {
                ("Won", day(closes).to_string())
            } else {
                ("Lost", day(closes).to_string())
            };
            let _ = writeln!(
                csv,
                "D{number:02}-{k:02},{},{stage},{},{},{closed}",
                account_id(number),
                1000 + 10 * number,
                day(created)
            );
        }
    }
    csv
}

fn org_csv() -> String {
    let mut csv = String::from("region,director,success_owner\n");
    for (region, director, success_owner) in ORG {
        let _ = writeln!(csv, "{region},{director},{success_owner}");
    }
    csv
}

/// Market sizes for the account regions and for two regions without a
/// single account, for the four years before D.
fn market_csv() -> String {
    let regions = [
        ("North", 4_000_000),
        ("South", 3_000_000),
        ("East", 2_000_000),
        ("West", 6_000_000),
        ("Central", 5_000_000),
    ];
    let mut csv = String::from("region,industry,year,market_size\n");
    for (region, size) in regions {
        for (i, industry) in INDUSTRIES.iter().enumerate() {
            for (step, year) in (2022..2026).enumerate() {
                let value = size / (i + 1) + step * 250_000;
                let _ = writeln!(csv, "{region},{industry},{year},{value}");
            }
        }
    }
    csv
}

fn config_toml(signal_rules: &str) -> String {
    format!(
        r#"# A two-year sales history of {ACCOUNTS} accounts in three regions.

[company]
name = "Tiny Tools"
time_zone = "Europe/Berlin"
base_currency = "EUR"
sales_vp = "{SALES_VP}"

[signals]
{signal_rules}

[sources.accounts]
path = "accounts.csv"

[sources.accounts.columns]
id = "account_id"
name = "name"
industry = "industry"
region = "region"
created = "created"
size = "employees"

[sources.opportunities]
path = "opportunities.csv"
currency = "EUR"

[sources.opportunities.columns]
id = "opportunity_id"
account = "account_id"
stage = "stage"
amount = "amount"
created = "created"
closed = "closed"

[sources.opportunities.stages]
open = ["Open"]
won = ["Won"]
lost = ["Lost"]

[sources.orders]
path = "orders.csv"
currency = "EUR"

[sources.orders.columns]
id = "order_id"
account = "account_id"
date = "ordered_at"
amount = "amount"

[sources.org]
path = "org.csv"

[sources.org.columns]
region = "region"
director = "director"
success_owner = "success_owner"

[sources.market]
path = "market.csv"

[sources.market.columns]
region = "region"
industry = "industry"
year = "year"
market_size = "market_size"
"#
    )
}

/// `../shared/data` next to the crate, when it is there.
#[allow(dead_code)]
pub fn shared_data() -> Option<PathBuf> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if data.is_dir() {
        Some(data)
    } else {
        eprintln!("skipped: ../shared/data not found");
        None
    }
}
