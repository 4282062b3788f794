//! Faults of real exports, one fixture each under `tests/fixtures/`: every
//! test reads its case through the product's own config and ingest, and
//! checks the exact rows accepted, the exact quarantine entries (file, line,
//! column, value, reason) and that rows read = accepted + quarantined.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use radar::config::Config;
use radar::contract::SourceKind;
use radar::ingest::{ingest, IngestError, Ingested};

/// A quarantine entry as (file name, line, column, value, reason).
type Entry = (String, u64, String, String, String);

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(case)
}

fn read(case: &str) -> Result<Ingested, IngestError> {
    let config = Config::load(&fixture(case).join("radar.toml")).expect("fixture config loads");
    ingest(&config, None)
}

fn read_ok(case: &str) -> Ingested {
    let ingested = read(case).unwrap_or_else(|e| panic!("{case}: {e}"));
    for stats in &ingested.stats {
        assert_eq!(
            stats.rows_read,
            stats.rows_accepted + stats.rows_quarantined,
            "{case}: rows read must equal accepted plus quarantined"
        );
    }
    ingested
}

fn read_err(case: &str) -> String {
    match read(case) {
        Ok(_) => panic!("{case}: a broken export must not be read"),
        Err(e) => e.to_string(),
    }
}

fn counts(ingested: &Ingested) -> (u64, u64, u64) {
    let stats = &ingested.stats[0];
    (stats.rows_read, stats.rows_accepted, stats.rows_quarantined)
}

fn entries(ingested: &Ingested) -> Vec<Entry> {
    ingested
        .quarantine
        .iter()
        .map(|q| {
            let name = Path::new(&q.file).file_name().unwrap();
            (
                name.to_string_lossy().into_owned(),
                q.line,
                q.column.clone(),
                q.value.clone(),
                q.reason.clone(),
            )
        })
        .collect()
}

fn entry(file: &str, line: u64, column: &str, value: &str, reason: &str) -> Entry {
    (
        file.into(),
        line,
        column.into(),
        value.into(),
        reason.into(),
    )
}

fn frame(ingested: &Ingested, kind: SourceKind) -> &DataFrame {
    ingested.frame(kind).expect("source has a frame")
}

fn texts(frame: &DataFrame, column: &str) -> Vec<Option<String>> {
    let column = frame.column(column).unwrap().str().unwrap();
    column.iter().map(|v| v.map(String::from)).collect()
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some(v.to_string())).collect()
}

fn floats(frame: &DataFrame, column: &str) -> Vec<f64> {
    let column = frame.column(column).unwrap().f64().unwrap();
    column.iter().map(|v| v.unwrap()).collect()
}

fn millis(frame: &DataFrame, column: &str) -> Vec<i64> {
    let column = frame.column(column).unwrap().i64().unwrap();
    column.iter().map(|v| v.unwrap()).collect()
}

#[test]
fn crlf_line_numbers() {
    let ingested = read_ok("crlf_line_numbers");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (5, 3, 2));
    assert_eq!(texts(orders, "order_id"), some(&["O1", "O2", "O4"]));
    assert_eq!(floats(orders, "amount_base"), vec![120.0, 75.5, 40.0]);
    assert_eq!(
        entries(&ingested),
        vec![
            entry("orders.csv", 5, "amount", "12x", "`12x` is not a number"),
            entry(
                "orders.csv",
                7,
                "account_id",
                "",
                "required identifier is missing (blank or null)"
            ),
        ]
    );
}

#[test]
fn unterminated_quote() {
    let error = read_err("unterminated_quote");

    assert!(error.contains("unterminated_quote/orders.csv"), "{error}");
    assert!(
        error.contains("unterminated quote: the quoted field opened on line 3 never closes"),
        "{error}"
    );
}

#[test]
fn runaway_quote() {
    let error = read_err("runaway_quote");

    assert!(error.contains("runaway_quote/orders.csv"), "{error}");
    assert!(
        error.contains(
            "quoted field opened on line 5 runs to line 11 and the record does not \
             fit the header (8 fields, the header has 7): the rows between cannot be \
             told apart"
        ),
        "{error}"
    );
}

#[test]
fn gb18030_four_byte() {
    let ingested = read_ok("gb18030_four_byte");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (3, 3, 0));
    assert_eq!(
        texts(orders, "account_id"),
        some(&["客户一", "客户二", "客户三"])
    );
    assert_eq!(
        texts(orders, "industry"),
        some(&["制造业", "𠀀科技", "零售"])
    );
}

#[test]
fn gbk_declared() {
    let ingested = read_ok("gbk_declared");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (3, 2, 1));
    assert_eq!(texts(orders, "industry"), some(&["制造业", "零售"]));
    assert_eq!(
        entries(&ingested),
        vec![entry(
            "orders.csv",
            3,
            "industry",
            "bad \u{fffd} byte",
            "not valid GBK/GB18030"
        )]
    );
}

#[test]
fn auto_detected_encodings() {
    let ingested = read_ok("auto_detected_encodings");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (3, 3, 0));
    assert_eq!(ingested.stats[0].files.len(), 3);
    assert_eq!(texts(orders, "order_id"), some(&["A1", "A2", "A3"]));
    assert_eq!(texts(orders, "industry"), some(&["制造业", "零售", "能源"]));
}

#[test]
fn gzip_daily_glob() {
    let ingested = read_ok("gzip_daily_glob");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (3, 3, 0));
    assert_eq!(texts(orders, "order_id"), some(&["D1", "D2", "D3"]));
    assert_eq!(
        ingested.stats[0].notes,
        vec![
            "file orders-2025-11-01.csv.gz has no column `industry` (mapped to \
              `industry`): read as null"
        ]
    );
    let names = [
        "orders-2025-11-01.csv.gz",
        "orders-2025-11-02.csv.gz",
        "orders-2025-11-03.csv",
    ];
    assert_eq!(ingested.stats[0].files, names);
    assert_eq!(floats(orders, "amount_base"), vec![10.0, 1250.0, 7.0]);
    assert_eq!(
        texts(orders, "industry"),
        vec![None, Some("Retail".into()), Some("Energy".into())]
    );
    let at = vec![1_761_987_600_000, 1_762_074_000_000, 1_762_160_400_000];
    assert_eq!(millis(orders, "ts_ms"), at);
}

#[test]
fn truncated_gzip() {
    let error = read_err("truncated_gzip");

    assert!(error.contains("truncated_gzip/orders.csv.gz"), "{error}");
    assert!(error.contains("cannot decompress"), "{error}");
}

#[test]
fn money_formats() {
    let ingested = read_ok("money_formats");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (9, 4, 5));
    assert_eq!(texts(orders, "order_id"), some(&["M1", "M2", "M3", "M8"]));
    assert_eq!(
        floats(orders, "amount_base"),
        vec![1280.0, -1234.5, 88.0, 3000.1]
    );
    assert_eq!(texts(orders, "currency"), some(&["CNY"; 4]));
    let returns: Vec<bool> = orders
        .column("is_return")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .map(|v| v.unwrap())
        .collect();
    assert_eq!(returns, vec![false, true, false, false]);

    let nines = "9".repeat(40);
    assert_eq!(
        entries(&ingested),
        vec![
            entry(
                "orders.csv",
                5,
                "amount",
                "12345678901234567.89",
                "`12345678901234567.89`: 12345678901234567.89 has more significant \
                 digits than can be kept exactly (at most 15 are guaranteed)"
            ),
            entry(
                "orders.csv",
                6,
                "amount",
                &nines,
                &format!("`{nines}` has more digits than can be held exactly (38 at most)")
            ),
            entry(
                "orders.csv",
                7,
                "amount",
                "12,5",
                "`12,5` is not a number (`,` is not a thousands separator here)"
            ),
            entry(
                "orders.csv",
                8,
                "amount",
                "1e400",
                "`1e400` is out of the range numbers can hold"
            ),
            entry(
                "orders.csv",
                10,
                "amount",
                "$5",
                "amount is written in USD or CAD or AUD or NZD or SGD or HKD or MXN or TWD \
                 but the row's currency is CNY"
            ),
        ]
    );
}

#[test]
fn decimal_comma() {
    let ingested = read_ok("decimal_comma");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (4, 3, 1));
    assert_eq!(floats(orders, "amount_base"), vec![1234.56, -12.5, 3.0]);
    assert_eq!(
        entries(&ingested),
        vec![entry(
            "orders.csv",
            5,
            "amount",
            "1,234.56",
            "`1,234.56` is not a number"
        )]
    );
}

#[test]
fn dates_and_zones() {
    let ingested = read_ok("dates_and_zones");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (7, 5, 2));
    assert_eq!(
        texts(orders, "order_id"),
        some(&["T1", "T2", "T3", "T4", "T5"])
    );
    let at = vec![
        1_625_133_600_000,   // 12:00 CEST is 10:00 UTC
        1_625_140_800_000,   // the written offset wins over the zone
        1_616_895_000_000,   // 02:30 in the gap reads as 03:30 CEST
        1_635_640_200_000,   // 02:30 repeated: the first, CEST
        253_402_210_800_000, // 9999-12-31 00:00 CET, not wrapped
    ];
    assert_eq!(millis(orders, "ts_ms"), at);

    let formats = "%d.%m.%Y %H:%M | %Y-%m-%dT%H:%M:%S%:z | %d.%m.%Y";
    assert_eq!(
        entries(&ingested),
        vec![
            entry(
                "orders.csv",
                7,
                "ordered_at",
                "2021/07/01",
                &format!("`2021/07/01` matches none of the formats {formats}")
            ),
            entry(
                "orders.csv",
                8,
                "ordered_at",
                "30.02.2021",
                &format!("`30.02.2021` matches none of the formats {formats}")
            ),
        ]
    );
}

#[test]
fn identifiers() {
    let ingested = read_ok("identifiers");
    let accounts = frame(&ingested, SourceKind::Accounts);

    assert_eq!(counts(&ingested), (7, 3, 4));
    assert_eq!(
        texts(accounts, "account_id"),
        some(&["00123", "C-9", "AB 12"])
    );
    let blank = "required identifier is missing (blank or null)";
    assert_eq!(
        entries(&ingested),
        vec![
            entry(
                "accounts.csv",
                4,
                "account_id",
                "C-9",
                "duplicate account id"
            ),
            entry("accounts.csv", 5, "account_id", "", blank),
            entry("accounts.csv", 6, "account_id", "NULL", blank),
            entry("accounts.csv", 7, "account_id", "Null", blank),
        ]
    );
}

#[test]
fn duplicate_headers() {
    let error = read_err("duplicate_headers");

    assert!(error.contains("duplicate_headers/orders.csv"), "{error}");
    assert!(
        error.contains("header names column `amount` twice (columns 4 and 5)"),
        "{error}"
    );
}

#[test]
fn unmapped_duplicate_header() {
    let ingested = read_ok("unmapped_duplicate_header");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (2, 2, 0));
    assert_eq!(floats(orders, "amount_base"), vec![1.0, 2.5]);
}

#[test]
fn position_mapping() {
    let ingested = read_ok("position_mapping");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (2, 1, 1));
    assert_eq!(floats(orders, "amount_base"), vec![10.0]);
    assert_eq!(
        entries(&ingested),
        vec![entry(
            "orders.csv",
            3,
            "amount (#5)",
            "bad",
            "`bad` is not a number"
        )]
    );
}

#[test]
fn header_only_day() {
    let ingested = read_ok("header_only_day");

    assert_eq!(counts(&ingested), (1, 1, 0));
    assert_eq!(ingested.stats[0].files.len(), 2);
    let orders = frame(&ingested, SourceKind::Orders);
    assert_eq!(texts(orders, "order_id"), some(&["E1"]));
}

#[test]
fn zero_byte_file() {
    let error = read_err("zero_byte_file");

    assert!(error.contains("zero_byte_file/orders.csv"), "{error}");
    assert!(error.contains("file is empty (0 bytes)"), "{error}");
}

#[test]
fn jsonl_orders() {
    let ingested = read_ok("jsonl_orders");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (6, 3, 3));
    assert_eq!(texts(orders, "order_id"), some(&["007", "009", "012"]));
    assert_eq!(
        floats(orders, "amount_base"),
        vec![12345.678901, 1250.0, 7.0]
    );
    let at = vec![1_762_160_400_000, 1_762_214_400_000, 1_762_333_200_000];
    assert_eq!(millis(orders, "ts_ms"), at);
    assert_eq!(
        entries(&ingested),
        vec![
            entry(
                "orders.jsonl",
                2,
                "account_id",
                "",
                "required identifier is missing (blank or null)"
            ),
            entry(
                "orders.jsonl",
                5,
                "amount",
                "12345678901234567.89",
                "`12345678901234567.89`: 12345678901234567.89 has more significant \
                 digits than can be kept exactly (at most 15 are guaranteed)"
            ),
            entry(
                "orders.jsonl",
                6,
                "",
                "not json",
                "not a JSON object: expected `{`"
            ),
        ]
    );
}

#[test]
fn jsonl_truncated() {
    let error = read_err("jsonl_truncated");

    assert!(error.contains("jsonl_truncated/orders.jsonl"), "{error}");
    assert!(error.contains("line 2 is cut short"), "{error}");
}

#[test]
fn parquet_widened_types() {
    let ingested = read_ok("parquet_widened_types");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (4, 3, 1));
    assert_eq!(texts(orders, "order_id"), some(&["Q1", "Q2", "Q3"]));
    assert_eq!(texts(orders, "account_id"), some(&["007", "008", "009"]));
    assert_eq!(floats(orders, "amount_base"), vec![10.0, 20.0, 30.25]);
    let at = vec![1_762_160_400_000, 1_762_246_800_000, 1_762_333_200_000];
    assert_eq!(millis(orders, "ts_ms"), at);
    assert_eq!(
        entries(&ingested),
        vec![entry(
            "orders-2.parquet",
            2,
            "AMOUNT",
            "",
            "required value is missing"
        )]
    );
}

#[test]
fn parquet_int96_far_future() {
    let ingested = read_ok("parquet_int96_far_future");
    let orders = frame(&ingested, SourceKind::Orders);

    assert_eq!(counts(&ingested), (4, 3, 1));
    assert_eq!(texts(orders, "order_id"), some(&["F1", "F2", "F3"]));
    let at = vec![1_762_160_400_000, 253_402_214_400_000, 1_762_160_400_000];
    assert_eq!(millis(orders, "ts_ms"), at, "9999-12-31 read, not wrapped");
    assert_eq!(
        entries(&ingested),
        vec![entry(
            "orders-2-legacy.parquet",
            2,
            "ordered_at",
            "2262-04-11T23:47:16.854775807",
            "timestamp beyond 2262-04-11 (an INT96 value such as a 9999-12-31 \
             sentinel); the Parquet reader cannot hold it in nanoseconds, so its \
             true value is unknown"
        )]
    );
}

#[test]
fn jsonl_no_valid_object() {
    let ingested = read_ok("jsonl_no_valid_object");

    assert_eq!(counts(&ingested), (2, 0, 2));
    let reasons: Vec<String> = entries(&ingested).into_iter().map(|e| e.4).collect();
    assert!(reasons[0].starts_with("not valid JSON: "), "{}", reasons[0]);
    assert_eq!(reasons[1], "not a JSON object: expected `{`");
    let lines: Vec<u64> = entries(&ingested).iter().map(|e| e.1).collect();
    assert_eq!(lines, vec![1, 2]);
}

/// The UCI Online Retail export (gzipped CSV, 541,909 invoice lines) read
/// through the example config: every line is accounted for.
#[test]
fn real_online_retail_orders_balance() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = repo.join("../shared/data");
    if !data.is_dir() {
        println!("skipped: ../shared/data not found");
        return;
    }
    let config = Config::load(&repo.join("config/examples/online_retail.toml")).unwrap();
    let ingested = ingest(&config, Some(&data)).unwrap();

    let orders = ingested
        .stats
        .iter()
        .find(|s| s.source == SourceKind::Orders)
        .unwrap();
    assert_eq!(orders.rows_read, 541_909);
    // 135,080 lines without a customer plus 5,225 exact copies of an
    // earlier line (counted with Python's csv and gzip modules).
    assert_eq!(orders.rows_accepted, 401_604);
    assert_eq!(orders.rows_quarantined, 140_305);
    let blank_customer = ingested
        .quarantine
        .iter()
        .filter(|q| q.column == "CustomerID" && q.value.is_empty())
        .count();
    assert_eq!(blank_customer, 135_080, "refusals for a missing customer");
    let copies = ingested
        .quarantine
        .iter()
        .filter(|q| q.reason.starts_with("duplicate of line"))
        .count();
    assert_eq!(copies, 5_225, "the other refusals are exact copies");
}
