//! Every example mapping in `config/examples` over the real public sets in
//! `../shared/data`: rows read, accepted and quarantined per source, and a
//! few values of the frames, each checked against a count made here with
//! the plain `csv` crate (or, where stated, with Python's csv module).
//! The examples that no other test runs are also run end to end.

#[allow(dead_code)]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use radar::config::Config;
use radar::contract::SourceKind;
use radar::ingest::{ingest, Ingested};

use common::{input_counts, read_table_on, shared_data, Radar};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config/examples")
        .join(name)
}

/// Ingests the sources of an example config exactly as a run would.
fn ingest_example(name: &str, data: &Path) -> Ingested {
    let config = Config::load(&example(name)).expect("the example config loads");
    let ingested = ingest(&config, Some(data)).expect("the example ingests");
    for stats in &ingested.stats {
        assert_eq!(
            stats.rows_read,
            stats.rows_accepted + stats.rows_quarantined,
            "{name}: {stats:?}"
        );
    }
    ingested
}

fn counts(ingested: &Ingested, kind: SourceKind) -> (u64, u64, u64) {
    let stats = ingested
        .stats
        .iter()
        .find(|s| s.source == kind)
        .unwrap_or_else(|| panic!("no stats for {kind}"));
    (stats.rows_read, stats.rows_accepted, stats.rows_quarantined)
}

/// Runs an example end to end and returns `(read, accepted, quarantined)`
/// of `source` from the published `run_inputs` table.
fn run_example(name: &str, data: &Path, as_of: &str, source: &str) -> (u64, u64, u64) {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let out = tmp.path().join("out");
    let now = format!("{as_of}T03:30:00Z");
    Radar::run_for(&example(name), &out, as_of, &now)
        .arg("--data-dir")
        .arg(data)
        .succeeds();
    input_counts(&read_table_on(&out, "run_inputs", as_of), source)
}

fn csv_rows(path: &Path, delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (headers, rows)
}

fn column_of(headers: &[String], name: &str) -> usize {
    headers.iter().position(|h| h == name).expect(name)
}

fn text_values(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
    let column = frame.column(name).expect(name);
    let values = column.str().expect("a text column");
    values.iter().map(|v| v.map(str::to_string)).collect()
}

fn float_values(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let column = frame.column(name).expect(name);
    column.f64().expect("a float column").iter().collect()
}

fn int_values(frame: &DataFrame, name: &str) -> Vec<Option<i32>> {
    let column = frame.column(name).expect(name);
    column.i32().expect("an i32 column").iter().collect()
}

fn true_count(frame: &DataFrame, name: &str) -> usize {
    let column = frame.column(name).expect(name);
    let values = column.bool().expect("a bool column");
    values.iter().filter(|v| *v == Some(true)).count()
}

#[test]
fn online_retail_adds_orleans_weather_and_crude_oil() {
    let Some(data) = shared_data() else { return };
    let ingested = ingest_example("online_retail.toml", &data);

    // Python's csv and gzip modules: 135,080 lines without CustomerID and
    // 5,225 exact copies among the 406,829 lines with one.
    assert_eq!(
        counts(&ingested, SourceKind::Orders),
        (541_909, 401_604, 140_305)
    );

    let (headers, rows) = csv_rows(
        &data.join("weather_orleans_france/weather_orleans_2009_2020.csv"),
        b',',
    );
    let code = column_of(&headers, "WEATHER_CODE_NOON");
    let severe_codes = ["230", "308", "338", "359", "389", "395"];
    let severe_days = rows
        .iter()
        .filter(|r| severe_codes.contains(&r[code].as_str()))
        .count();
    assert_eq!(rows.len(), 4_048);
    assert_eq!(severe_days, 2);
    assert_eq!(counts(&ingested, SourceKind::Weather), (4_048, 4_048, 0));
    let weather = ingested.frame(SourceKind::Weather).expect("weather");
    assert_eq!(true_count(weather, "severe"), severe_days);
    let regions: BTreeSet<_> = text_values(weather, "region").into_iter().collect();
    assert_eq!(regions, BTreeSet::from([Some("France".to_string())]));

    let brent = csv_rows(&data.join("oil_prices_datahub/brent-daily.csv"), b',').1;
    let wti = csv_rows(&data.join("oil_prices_datahub/wti-daily.csv"), b',').1;
    let gas = csv_rows(&data.join("natural_gas_datahub/daily.csv"), b',').1;
    let gold = csv_rows(&data.join("gold_prices_datahub/monthly.csv"), b',').1;
    let lengths = (brent.len(), wti.len(), gas.len(), gold.len());
    assert_eq!(lengths, (9_958, 10_226, 7_437, 2_322));
    let prices = (9_958 + 10_226 + 7_437 + 2_322) as u64;
    let gas_blank = gas.iter().filter(|r| r[1].trim().is_empty()).count();
    assert_eq!(gas_blank, 1, "Henry Hub has one day without a price");
    assert_eq!(
        counts(&ingested, SourceKind::Commodities),
        (prices, prices - 1, 1)
    );
    let oil = ingested
        .frame(SourceKind::Commodities)
        .expect("commodities");
    let symbols = text_values(oil, "symbol");
    let days_of = |symbol: &str| {
        symbols
            .iter()
            .filter(|s| s.as_deref() == Some(symbol))
            .count()
    };
    assert_eq!(days_of("oil_prices_datahub/wti-daily"), wti.len());
    assert_eq!(days_of("natural_gas_datahub/daily"), gas.len() - gas_blank);
    assert_eq!(days_of("gold_prices_datahub/monthly"), gold.len());
    let first_gold_day = int_values(oil, "day")
        .into_iter()
        .zip(&symbols)
        .filter(|(_, s)| s.as_deref() == Some("gold_prices_datahub/monthly"))
        .filter_map(|(day, _)| day)
        .min();
    // 1833-01 reads as 1833-01-01: 50,038 days before 1970-01-01.
    assert_eq!(first_gold_day, Some(-50_038));
    let lowest = float_values(oil, "close")
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
    assert_eq!(lowest, -36.98, "WTI on 2020-04-20 is kept");
}

#[test]
fn maven_crm_reads_imf_prices_wide_and_ties_them_to_sectors() {
    let Some(data) = shared_data() else { return };
    let ingested = ingest_example("maven_crm.toml", &data);

    let (headers, rows) = csv_rows(
        &data.join("commodity_prices_imf_datahub/commodity-prices.csv"),
        b',',
    );
    let filled = rows
        .iter()
        .flat_map(|r| r.iter().skip(1))
        .filter(|cell| !cell.trim().is_empty())
        .count();
    assert_eq!((rows.len(), headers.len(), filled), (450, 64, 27_198));

    assert_eq!(counts(&ingested, SourceKind::Commodities), (450, 450, 0));
    let prices = ingested
        .frame(SourceKind::Commodities)
        .expect("commodities");
    assert_eq!(prices.height(), filled);
    let mut feeds = BTreeMap::new();
    for (symbol, industries) in text_values(prices, "symbol")
        .into_iter()
        .zip(text_values(prices, "industries"))
    {
        feeds.insert(symbol.expect("a symbol"), industries);
    }
    assert_eq!(feeds.len(), 63);
    assert_eq!(
        feeds["Copper"].as_deref(),
        Some("technolgy;telecommunications")
    );
    assert_eq!(feeds["Wheat"], None);
}

#[test]
fn airline_tweets_become_social_interactions_with_sentiment() {
    let Some(data) = shared_data() else { return };
    let ingested = ingest_example("airline_tweets.toml", &data);

    let (headers, rows) = csv_rows(&data.join("twitter_us_airline_sentiment/Tweets.csv"), b',');
    let (id, label) = (
        column_of(&headers, "tweet_id"),
        column_of(&headers, "airline_sentiment"),
    );
    let mut seen = BTreeSet::new();
    let mut labels: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &rows {
        if seen.insert(row[id].clone()) {
            *labels.entry(row[label].as_str()).or_default() += 1;
        }
    }
    let firsts = seen.len() as u64;
    assert_eq!((rows.len(), firsts), (14_640, 14_485));
    assert_eq!(
        counts(&ingested, SourceKind::Social),
        (14_640, firsts, 14_640 - firsts)
    );

    let social = ingested.frame(SourceKind::Social).expect("social");
    let first = social
        .column("ts_ms")
        .expect("ts_ms")
        .i64()
        .expect("i64")
        .get(0);
    assert_eq!(
        first,
        Some(1_424_806_552_000),
        "2015-02-24 11:35:52 -0800 is 19:35:52 UTC"
    );
    let sentiment = float_values(social, "sentiment");
    let with = |value: f64| sentiment.iter().filter(|s| **s == Some(value)).count();
    assert_eq!(with(-1.0), labels["negative"]);
    assert_eq!(with(0.0), labels["neutral"]);
    assert_eq!(with(1.0), labels["positive"]);
    assert_eq!(labels["negative"], 9_082);

    let seattle = csv_rows(&data.join("weather_seattle_noaa/seattle-weather.csv"), b',').1;
    let snow = seattle.iter().filter(|r| r[5] == "snow").count();
    assert_eq!((seattle.len(), snow), (1_461, 23));
    assert_eq!(counts(&ingested, SourceKind::Weather), (1_461, 1_461, 0));
    let weather = ingested.frame(SourceKind::Weather).expect("weather");
    assert_eq!(true_count(weather, "severe"), snow);

    let published = run_example("airline_tweets.toml", &data, "2015-03-01", "social");
    assert_eq!(published, (14_640, firsts, 14_640 - firsts));
}

#[test]
fn telco_churn_feeds_accounts_only() {
    let Some(data) = shared_data() else { return };
    let ingested = ingest_example("telco_churn.toml", &data);

    let (headers, rows) = csv_rows(
        &data.join("ibm_telco_customer_churn/WA_Fn-UseC_-Telco-Customer-Churn.csv"),
        b',',
    );
    let id = column_of(&headers, "customerID");
    let customers: BTreeSet<&str> = rows.iter().map(|r| r[id].as_str()).collect();
    assert_eq!((rows.len(), customers.len()), (7_043, 7_043));
    assert_eq!(counts(&ingested, SourceKind::Accounts), (7_043, 7_043, 0));
    assert_eq!(ingested.stats.len(), 1, "no source but accounts");

    let published = run_example("telco_churn.toml", &data, "2020-01-01", "accounts");
    assert_eq!(published, (7_043, 7_043, 0));
}

#[test]
fn superstore_runs_with_subdivisions_as_regions() {
    let Some(data) = shared_data() else { return };
    let ingested = ingest_example("superstore.toml", &data);

    let (headers, rows) = csv_rows(
        &data.join("regions_iso3166_subdivisions/iso3166_2_subdivisions.csv"),
        b',',
    );
    let name = column_of(&headers, "name");
    let names: BTreeSet<String> = rows.iter().map(|r| r[name].trim().to_lowercase()).collect();
    let repeats = (rows.len() - names.len()) as u64;
    assert_eq!((rows.len(), repeats), (5_046, 155));
    assert_eq!(
        counts(&ingested, SourceKind::Regions),
        (5_046, 5_046 - repeats, repeats)
    );
    assert!(
        ingested.frame(SourceKind::Orders).is_none(),
        "no dates: no orders"
    );

    let published = run_example("superstore.toml", &data, "2017-01-01", "regions");
    assert_eq!(published, (5_046, 5_046 - repeats, repeats));
}

#[test]
fn online_shoppers_runs_without_inventing_web_events() {
    let Some(data) = shared_data() else { return };
    let ingested = ingest_example("online_shoppers.toml", &data);

    assert_eq!(counts(&ingested, SourceKind::FxRates), (7_126, 7_126, 0));
    assert_eq!(counts(&ingested, SourceKind::Holidays), (8_363, 8_363, 0));
    assert!(ingested.frame(SourceKind::WebEvents).is_none());

    let published = run_example("online_shoppers.toml", &data, "2017-01-01", "holidays");
    assert_eq!(published, (8_363, 8_363, 0));
}
