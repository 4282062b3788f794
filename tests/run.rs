//! End-to-end tests of `radar run` and `radar check`: each runs the real
//! binary on small inputs in a temporary folder and reads the published
//! Parquet tables back, asserting exact rows, counts, owners and bytes.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::DateTime;
use polars::prelude::DataFrame;
use tempfile::TempDir;

use common::*;

fn temp_dir() -> TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// The sales history with default signal rules, in `<tmp>/data`.
fn default_history(tmp: &TempDir) -> PathBuf {
    write_sales_history(&tmp.path().join("data"), "")
}

fn assert_frames_equal(table: &str, first: &DataFrame, second: &DataFrame) {
    assert!(
        first.equals_missing(second),
        "table `{table}` differs\nfirst:\n{first}\nsecond:\n{second}"
    );
}

#[test]
fn bad_row_is_quarantined_with_its_line() {
    let tmp = temp_dir();
    let case = fixture("bad_order_rows");
    let out = tmp.path().join("out");
    Radar::run(&case.join("radar.toml"), &out).succeeds();

    let quarantine = read_table(&out, "quarantine");
    let orders_file = "orders.csv";
    assert_eq!(quarantine.height(), 2, "{quarantine}");
    assert_eq!(texts(&quarantine, "source"), present(&["orders", "orders"]));
    assert_eq!(
        texts(&quarantine, "file"),
        present(&[orders_file, orders_file])
    );
    assert_eq!(counts(&quarantine, "line"), [4, 6]);
    assert_eq!(
        texts(&quarantine, "column"),
        present(&["amount", "account_id"])
    );
    assert_eq!(texts(&quarantine, "value"), present(&["12,5x", ""]));
    let reasons = texts(&quarantine, "reason");
    let bad_amount = reasons[0].as_deref().unwrap_or_default();
    assert!(
        bad_amount.contains("12,5x") && bad_amount.contains("not a number"),
        "{bad_amount}"
    );
    let no_account = reasons[1].as_deref().unwrap_or_default();
    assert!(no_account.contains("missing"), "{no_account}");

    let inputs = read_table(&out, "run_inputs");
    assert_eq!(
        input_counts(&inputs, "orders"),
        (7, 5, 2),
        "read = accepted + quarantined"
    );

    let scores = read_table(&out, "account_scores");
    assert_eq!(
        texts(&scores, "account_id"),
        present(&["C1", "C2", "C3"]),
        "the accounts of the five accepted lines"
    );
}

#[test]
fn events_after_as_of_change_nothing() {
    let tmp = temp_dir();
    let config = default_history(&tmp);
    let before = tmp.path().join("before");
    Radar::run(&config, &before).succeeds();

    let data = config.parent().expect("the data folder");
    add_events_from_d_on(data);
    let after = tmp.path().join("after");
    Radar::run(&config, &after).succeeds();

    let orders_read = |out: &Path| input_counts(&read_table(out, "run_inputs"), "orders").0;
    assert_eq!(
        orders_read(&after),
        orders_read(&before) + 3,
        "the second run did read the added orders"
    );
    for table in ["account_scores", "signals", "white_space"] {
        let first = read_table(&before, table);
        let second = read_table(&after, table);
        assert!(first.height() > 0, "table `{table}` is empty");
        assert_frames_equal(table, &first, &second);
    }
}

/// Appends rows that happen on or after D 00:00 in the company's zone:
/// orders (one at exactly midnight), a won deal, a new account with an
/// order and an open deal, and market sizes for D's own year (one for a
/// region that appears nowhere else).
fn add_events_from_d_on(data: &Path) {
    append_lines(
        &data.join("orders.csv"),
        &[
            "O01-900,A01,2026-01-01 00:00:00,999.00",
            "O02-901,A02,2026-01-10 10:00:00,500.00",
            "O61-000,A61,2026-01-05 10:00:00,300.00",
        ],
    );
    append_lines(
        &data.join("opportunities.csv"),
        &[
            "D02-90,A02,Won,5000,2026-01-01,2026-02-01",
            "D61-00,A61,Open,2000,2026-01-03,",
        ],
    );
    append_lines(
        &data.join("accounts.csv"),
        &["A61,Account 61,tools,West,2026-01-02,50"],
    );
    append_lines(
        &data.join("market.csv"),
        &["West,tools,2026,99000000", "Polar,food,2026,88000000"],
    );
}

#[test]
fn rerun_of_d_is_identical() {
    let tmp = temp_dir();
    let config = default_history(&tmp);
    let out = tmp.path().join("out");

    Radar::run(&config, &out).succeeds();
    let first = published_files(&out);
    Radar::run(&config, &out).succeeds();
    let second = published_files(&out);

    for table in TABLES {
        let key = format!("{table}/run_date={AS_OF}/part-00000.parquet");
        assert!(first.contains_key(&key), "{key} not published");
        assert_eq!(
            entry_names(&partition(&out, table)),
            ["part-00000.parquet"],
            "partition of `{table}` after the rerun"
        );
    }
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(second[path] == *bytes, "{path} changed on the rerun");
    }
}

#[test]
fn crash_between_staging_and_swap_keeps_old_partition() {
    let tmp = temp_dir();
    let config = default_history(&tmp);
    let out = tmp.path().join("out");
    Radar::run(&config, &out).succeeds();
    let published = published_files(&out);
    let orders_before = input_counts(&read_table(&out, "run_inputs"), "orders").0;

    let data = config.parent().expect("the data folder");
    append_lines(
        &data.join("orders.csv"),
        &["O03-900,A03,2025-12-20 10:00:00,777.00"],
    );
    let crashed = Radar::run(&config, &out)
        .env("RADAR_FAILPOINT", "after_staging")
        .outcome();
    assert_eq!(crashed.code, EXIT_INTERNAL, "stderr:\n{}", crashed.stderr);
    let after_crash = published_files(&out);
    assert_eq!(
        after_crash.keys().collect::<Vec<_>>(),
        published.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &published {
        assert!(
            after_crash[path] == *bytes,
            "{path} changed by the crashed run"
        );
    }

    Radar::run(&config, &out).succeeds();
    let orders_after = input_counts(&read_table(&out, "run_inputs"), "orders").0;
    assert_eq!(orders_after, orders_before + 1, "the new run is published");
    assert!(
        !out.join(".staging").exists(),
        "left behind: {:?}",
        entry_names(&out.join(".staging"))
    );
}

#[test]
fn thresholds_and_owners_come_out_as_configured() {
    let tmp = temp_dir();
    let rules = "high_probability_min = 1.0\n\
                 high_probability_due_minutes = 30\n\
                 churn_risk_max = 99.0\n\
                 churn_risk_due_minutes = 120\n\
                 white_space_due_minutes = 1440";
    let config = write_sales_history(&tmp.path().join("data"), rules);
    let out = tmp.path().join("out");
    Radar::run(&config, &out).succeeds();

    let scores = read_table(&out, "account_scores");
    let signals = read_table(&out, "signals");
    assert_eq!(scores.height(), ACCOUNTS);
    high_probability_goes_to_the_director(&scores, &signals);
    churn_risk_goes_to_the_success_owner(&scores, &signals);
    white_space_goes_to_the_sales_vp(&read_table(&out, "white_space"), &signals);
}

/// Every account with propensity >= 1 has a signal for its region's
/// director (`unassigned` in East, which has none), due 30 minutes after
/// the run's clock.
fn high_probability_goes_to_the_director(scores: &DataFrame, signals: &DataFrame) {
    let high = signal_rows(signals, "high_probability");
    let expected = scored_accounts(scores, "propensity", |p| p >= 1.0);
    assert_eq!(
        high.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    let regions: BTreeSet<&str> = high.values().map(|s| s.region.as_str()).collect();
    assert_eq!(regions, BTreeSet::from(["East", "North", "South"]));
    for (account, signal) in &high {
        assert_eq!(signal.score, expected[account], "score of {account}");
        assert_eq!(signal.region, expected_region(account));
        let owner = director_of(&signal.region);
        assert_eq!(signal.owner, owner, "owner of {account}");
        assert_eq!(signal.due_at, at("2026-01-01T04:00:00Z"));
    }
    assert!(high.values().any(|s| s.owner == "unassigned"));
}

/// Every current customer with health <= 99 has a signal for its region's
/// customer-success owner, due 120 minutes after the run's clock.
fn churn_risk_goes_to_the_success_owner(scores: &DataFrame, signals: &DataFrame) {
    let churn = signal_rows(signals, "churn_risk");
    let expected = scored_accounts(scores, "health", |h| h <= 99.0);
    assert!(!churn.is_empty());
    assert_eq!(
        churn.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (account, signal) in &churn {
        assert_eq!(signal.score, expected[account], "score of {account}");
        assert_eq!(signal.owner, success_owner_of(&signal.region));
        assert_eq!(signal.due_at, at("2026-01-01T05:30:00Z"));
    }
}

/// One signal per reported cell, for the sales VP, due a day later.
fn white_space_goes_to_the_sales_vp(white_space: &DataFrame, signals: &DataFrame) {
    let kinds = texts(signals, "kind");
    let owners = texts(signals, "owner");
    let due = millis(signals, "due_at");
    let cells: Vec<usize> = (0..signals.height())
        .filter(|&i| kinds[i].as_deref() == Some("white_space"))
        .collect();
    assert!(!cells.is_empty());
    assert_eq!(cells.len(), white_space.height());
    for i in cells {
        assert_eq!(owners[i].as_deref(), Some(SALES_VP));
        assert_eq!(due[i], Some(at("2026-01-02T03:30:00Z")));
    }
}

/// One account signal as the signals table holds it.
struct AccountSignal {
    region: String,
    score: f64,
    owner: String,
    due_at: i64,
}

fn signal_rows(signals: &DataFrame, kind: &str) -> BTreeMap<String, AccountSignal> {
    let kinds = texts(signals, "kind");
    let accounts = texts(signals, "account_id");
    let regions = texts(signals, "region");
    let scores = numbers(signals, "score");
    let owners = texts(signals, "owner");
    let due = millis(signals, "due_at");

    let mut rows = BTreeMap::new();
    for i in (0..signals.height()).filter(|&i| kinds[i].as_deref() == Some(kind)) {
        let account = accounts[i]
            .clone()
            .expect("an account signal names its account");
        let signal = AccountSignal {
            region: regions[i].clone().unwrap_or_default(),
            score: scores[i].expect("a signal has a score"),
            owner: owners[i].clone().unwrap_or_default(),
            due_at: due[i].expect("a signal has a deadline"),
        };
        assert!(rows.insert(account, signal).is_none(), "two {kind} signals");
    }
    rows
}

/// Account id -> score, for the accounts whose score passes `rule`.
fn scored_accounts(
    scores: &DataFrame,
    score: &str,
    rule: fn(f64) -> bool,
) -> BTreeMap<String, f64> {
    let accounts = texts(scores, "account_id");
    let values = numbers(scores, score);
    accounts
        .into_iter()
        .zip(values)
        .filter_map(|(account, value)| Some((account?, value.filter(|v| rule(*v))?)))
        .collect()
}

fn expected_region(account: &str) -> &'static str {
    let number: usize = account[1..].parse().expect("an account number");
    region_of(number)
}

fn director_of(region: &str) -> &'static str {
    let (_, director, _) = ORG.iter().find(|(r, _, _)| *r == region).expect("a region");
    if director.is_empty() {
        "unassigned"
    } else {
        director
    }
}

fn success_owner_of(region: &str) -> &'static str {
    let (_, _, owner) = ORG.iter().find(|(r, _, _)| *r == region).expect("a region");
    owner
}

fn at(instant: &str) -> i64 {
    DateTime::parse_from_rfc3339(instant)
        .expect("an RFC 3339 instant")
        .timestamp_millis()
}

#[test]
fn check_reports_sources_without_publishing() {
    let tmp = temp_dir();
    let case = fixture("bad_order_rows");
    let fixture_files = entry_names(&case);

    let checked = Radar::check(&case.join("radar.toml"))
        .in_dir(tmp.path())
        .outcome();
    assert_eq!(checked.code, EXIT_OK, "stderr:\n{}", checked.stderr);
    let orders_line: Vec<&str> = checked
        .stdout
        .lines()
        .find(|line| line.starts_with("orders "))
        .unwrap_or_else(|| panic!("no counts for orders in:\n{}", checked.stdout))
        .split_whitespace()
        .collect();
    // source, files, read, accepted, quarantined, share
    assert_eq!(
        orders_line[..7],
        ["orders", "1", "7", "5", "2", "28.6", "%"]
    );

    assert!(
        entry_names(tmp.path()).is_empty(),
        "check wrote into its folder"
    );
    assert_eq!(
        entry_names(&case),
        fixture_files,
        "check wrote next to its config"
    );
}

#[test]
fn missing_mapped_column_is_a_contract_error() {
    let tmp = temp_dir();
    let case = fixture("missing_mapped_column");
    let out = tmp.path().join("out");
    let failed = Radar::run(&case.join("radar.toml"), &out).outcome();

    assert_eq!(failed.code, EXIT_CONTRACT, "stderr:\n{}", failed.stderr);
    let orders_file = case.join("orders.csv").display().to_string();
    for named in ["`orders`", orders_file.as_str(), "`net_amount`"] {
        assert!(
            failed.stderr.contains(named),
            "{named} not in:\n{}",
            failed.stderr
        );
    }
    assert!(!partition(&out, "account_scores").exists());
}

#[test]
fn lock_held_exits_4() {
    let tmp = temp_dir();
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).expect("the output folder");
    let lock = out.join(format!(".lock-run_date={AS_OF}"));
    let holder = std::process::id().to_string();
    fs::write(&lock, &holder).expect("the lock file");
    let held = fs::File::open(&lock).expect("the lock file");
    held.try_lock().expect("the test holds the lock");

    let config = fixture("bad_order_rows").join("radar.toml");
    let refused = Radar::run(&config, &out).outcome();
    assert_eq!(refused.code, EXIT_LOCKED, "stderr:\n{}", refused.stderr);
    assert!(refused.stderr.contains("lock"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&lock.display().to_string()),
        "{}",
        refused.stderr
    );
    assert_eq!(fs::read_to_string(&lock).expect("the lock stays"), holder);
    assert_eq!(entry_names(&out), [format!(".lock-run_date={AS_OF}")]);
    drop(held);
}

fn example_config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config/examples")
        .join(name)
}

fn run_example(config: &str, data: &Path, out: &Path, as_of: &str) {
    let config = example_config(config);
    assert!(config.is_file(), "{} does not exist", config.display());
    let now = format!("{as_of}T03:30:00Z");
    Radar::run_for(&config, out, as_of, &now)
        .arg("--data-dir")
        .arg(data)
        .succeeds();
}

#[test]
fn online_retail_scores_every_customer_seen_before_d() {
    let Some(data) = shared_data() else { return };
    let as_of = "2011-09-01";
    let tmp = temp_dir();
    let out = tmp.path().join("out");
    run_example("online_retail.toml", &data, &out, as_of);

    let scores = read_table_on(&out, "account_scores", as_of);
    let customers = retail_customers_before(&data, "2011-09-01 00:00:00");
    assert_eq!(scores.height(), customers);

    let runs = read_table_on(&out, "runs", as_of);
    assert_eq!(runs.height(), 1);
    let read = counts(&runs, "rows_read")[0];
    let accepted = counts(&runs, "rows_accepted")[0];
    let quarantined = counts(&runs, "rows_quarantined")[0];
    assert_eq!(read, accepted + quarantined);

    let inputs = read_table_on(&out, "run_inputs", as_of);
    // Checked apart from radar with Python's csv and gzip modules: 135,080
    // lines have no CustomerID, and of the 406,829 lines that have one,
    // 5,225 repeat an earlier line in every column (401,604 distinct).
    assert_eq!(
        input_counts(&inputs, "orders"),
        (541_909, 401_604, 135_080 + 5_225)
    );

    let signals = read_table_on(&out, "signals", as_of);
    let kinds = texts(&signals, "kind");
    for kind in ["high_probability", "churn_risk", "white_space"] {
        let n = kinds.iter().filter(|k| k.as_deref() == Some(kind)).count();
        assert!(n >= 1, "no {kind} signal");
    }

    let reports = partition_on(&out, "reports", as_of);
    assert!(!entry_names(&reports).is_empty(), "no region report");
}

/// Distinct non-empty CustomerID values with an InvoiceDate before `cut`
/// (both written `YYYY-MM-DD HH:MM:SS`, so text order is time order).
fn retail_customers_before(data: &Path, cut: &str) -> usize {
    let path = data.join("uci_online_retail/online_retail.csv.gz");
    let file = fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("a gzip CSV");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("a header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (date, customer) = (column("InvoiceDate"), column("CustomerID"));

    let mut customers = BTreeSet::new();
    for record in reader.records() {
        let record = record.expect("a CSV record");
        let id = record[customer].trim();
        if !id.is_empty() && &record[date] < cut {
            customers.insert(id.to_string());
        }
    }
    customers.len()
}

#[test]
fn maven_crm_scores_open_deals_and_says_propensity_lacks_data() {
    let Some(data) = shared_data() else { return };
    let as_of = "2017-10-01";
    let tmp = temp_dir();
    let out = tmp.path().join("out");
    run_example("maven_crm.toml", &data, &out, as_of);

    let inputs = read_table_on(&out, "run_inputs", as_of);
    let (read, _, quarantined) = input_counts(&inputs, "opportunities");
    assert_eq!(read, 8_800);
    assert!(quarantined >= 1_425, "only {quarantined} deals quarantined");

    let accounts = maven_accounts(&data);
    let scores = read_table_on(&out, "account_scores", as_of);
    let scored: BTreeSet<String> = texts(&scores, "account_id").into_iter().flatten().collect();
    assert_eq!(scored, accounts);
    // Nearly every account wins within 90 days of every cut-off, so there
    // are too few negative examples to learn from: no propensity, and the
    // reason says so instead of a confident 99.9.
    let propensity = numbers(&scores, "propensity");
    assert!(propensity.iter().all(Option::is_none));
    let reasons = texts(&scores, "propensity_reasons");
    let first = reasons[0].clone().unwrap();
    assert!(
        first.starts_with("insufficient data: the training cut-offs hold "),
        "{first}"
    );

    // Deals are plentiful: every deal open at D gets a win probability.
    let deals = read_table_on(&out, "opportunity_scores", as_of);
    assert!(deals.height() > 100, "{} open deals", deals.height());
    let probabilities = numbers(&deals, "win_probability");
    assert!(probabilities
        .iter()
        .all(|p| p.is_some_and(|p| (0.0..=100.0).contains(&p))));
}

fn maven_accounts(data: &Path) -> BTreeSet<String> {
    let path = data.join("maven_crm_sales_opportunities/accounts.csv");
    let mut reader =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .records()
        .map(|record| record.expect("a CSV record")[0].trim().to_string())
        .collect()
}

#[test]
fn output_tables_carry_logical_types_analysts_rely_on() {
    use polars::prelude::{DataType, TimeUnit, TimeZone};

    let tmp = temp_dir();
    let config = default_history(&tmp);
    let out = tmp.path().join("out");
    Radar::run(&config, &out).succeeds();

    let utc = DataType::Datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
    let scores = read_table(&out, "account_scores");
    let signals = read_table(&out, "signals");
    let runs = read_table(&out, "runs");
    let dtype = |frame: &DataFrame, name: &str| frame.column(name).unwrap().dtype().clone();

    assert_eq!(dtype(&scores, "run_date"), DataType::Date);
    assert_eq!(dtype(&scores, "is_customer"), DataType::Boolean);
    assert_eq!(dtype(&scores, "propensity"), DataType::Float64);
    assert_eq!(dtype(&signals, "run_date"), DataType::Date);
    assert_eq!(dtype(&signals, "due_at"), utc);
    assert_eq!(dtype(&runs, "started_at"), utc);
    assert_eq!(dtype(&runs, "finished_at"), utc);
    assert_eq!(runs.height(), 1);
}
