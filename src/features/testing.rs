//! Tiny frames and readers shared by the feature groups' tests: four
//! accounts, a cut at 2024-03-01 UTC, and lookups by account id.

use chrono::NaiveDate;
use polars::prelude::*;

use crate::config::Config;
use crate::contract::SourceKind;
use crate::fx::FxTable;
use crate::ingest::Ingested;
use crate::regions::RegionResolver;
use crate::snapshot::{Cutoff, MS_PER_DAY};

/// The cut of every group test: D = 2024-03-01 00:00 UTC.
pub(crate) fn cutoff() -> Cutoff {
    let date = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    Cutoff::new(date, chrono_tz::UTC)
}

/// The instant `days` days before D (negative: after D).
pub(crate) fn ms_before(days: i64) -> i64 {
    cutoff().millis - days * MS_PER_DAY
}

/// The day number `days` days before D (negative: after D).
pub(crate) fn day_before(days: i32) -> i32 {
    cutoff().day() - days
}

/// Accounts a and b (North; Retail and Mining), c (South, no industry)
/// and d (no region, Retail), all created 400 days before D.
pub(crate) fn accounts() -> DataFrame {
    df!(
        "account_id" => ["a", "b", "c", "d"],
        "account_name" => [Some("A"), Some("B"), Some("C"), Some("D")],
        "industry" => [Some("Retail"), Some("Mining"), None, Some("retail")],
        "region" => [Some("North"), Some("North"), Some("South"), None],
        "currency" => [Some("EUR"); 4],
        "created_ms" => [Some(ms_before(400)); 4],
        "size" => [None::<f64>; 4],
    )
    .unwrap()
}

pub(crate) fn ingested(frames: Vec<(SourceKind, DataFrame)>) -> Ingested {
    let mut all = vec![(SourceKind::Accounts, accounts())];
    all.extend(frames);
    only(all)
}

/// Ingested frames of exactly these sources, no accounts source added.
pub(crate) fn only(frames: Vec<(SourceKind, DataFrame)>) -> Ingested {
    Ingested {
        frames: frames.into_iter().collect(),
        fx: FxTable::new("EUR"),
        regions: RegionResolver::default(),
        known_accounts: None,
        stats: Vec::new(),
        quarantine: Vec::new(),
    }
}

/// A minimal config; `extra` is appended TOML.
pub(crate) fn config(extra: &str) -> Config {
    let text =
        format!("[company]\nname = \"t\"\ntime_zone = \"UTC\"\nbase_currency = \"EUR\"\n{extra}");
    toml::from_str(&text).unwrap()
}

/// The features of the four accounts at D with these sources declared.
pub(crate) fn features(frames: Vec<(SourceKind, DataFrame)>) -> DataFrame {
    features_with(frames, "")
}

/// Like [`features`], with `extra` TOML in the config. Insists that the
/// joins kept one row per account.
pub(crate) fn features_with(frames: Vec<(SourceKind, DataFrame)>, extra: &str) -> DataFrame {
    let frame = super::compute(&ingested(frames), &config(extra), cutoff()).unwrap();
    let ids: Vec<Option<&str>> = frame
        .column("account_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(
        ids,
        [Some("a"), Some("b"), Some("c"), Some("d")],
        "one row per account"
    );
    frame
}

/// Feature `name` of account `account`.
pub(crate) fn value(frame: &DataFrame, name: &str, account: &str) -> Option<f64> {
    let ids = frame.column("account_id").unwrap().str().unwrap();
    let row = ids
        .iter()
        .position(|id| id == Some(account))
        .unwrap_or_else(|| panic!("account {account} not in the feature frame"));
    frame
        .column(name)
        .unwrap_or_else(|_| panic!("feature {name} not in the feature frame"))
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .get(row)
}

/// Feature `name` of accounts a, b, c and d.
pub(crate) fn values(frame: &DataFrame, name: &str) -> [Option<f64>; 4] {
    ["a", "b", "c", "d"].map(|account| value(frame, name, account))
}

/// Asserts `actual` is `expected` within 1e-9, naming the feature.
pub(crate) fn assert_close(actual: Option<f64>, expected: Option<f64>, what: &str) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{what}: {a} != {e}"),
        _ => assert_eq!(actual, expected, "{what}"),
    }
}
