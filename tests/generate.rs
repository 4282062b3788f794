//! Tests of `radar generate` and of a run over what it writes: the files
//! are the same for the same seed, the manifest counts what the files
//! hold, every bad row it plants is quarantined and nothing else is, the
//! planted accounts raise (or do not raise) their signals, and GBK files
//! hold the same names as UTF-8 ones.

#[allow(dead_code)]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use radar::config::Config;
use radar::contract::{FieldType, SourceKind};
use radar::generate::{CONFIG_FILE, TEXT_HEAVY};
use serde_json::Value;

use common::*;

/// Runs `radar generate` into `out` for history ending at D.
fn generate(out: &Path, accounts: u32, days: u32, seed: u32, extra: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_radar"))
        .env("RADAR_LOG", "warn")
        .args(["generate", "--end", AS_OF, "--out"])
        .arg(out)
        .args(["--accounts", &accounts.to_string()])
        .args(["--days", &days.to_string(), "--seed", &seed.to_string()])
        .args(extra)
        .output()
        .expect("the radar binary can be started");
    assert!(
        output.status.success(),
        "generate failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("a manifest");
    serde_json::from_str(&manifest).expect("the manifest is JSON")
}

/// Per source name: (files, rows written, bad rows planted).
fn written(manifest: &Value) -> BTreeMap<String, (Vec<String>, u64, u64)> {
    let sources = manifest["sources"].as_array().expect("a list of sources");
    sources
        .iter()
        .map(|s| {
            let name = s["source"].as_str().unwrap().to_string();
            let files = s["files"].as_array().unwrap();
            let files = files.iter().map(|f| f.as_str().unwrap().to_string());
            let rows = s["rows"].as_u64().unwrap();
            (
                name,
                (files.collect(), rows, s["bad_rows"].as_u64().unwrap()),
            )
        })
        .collect()
}

/// The data records of every file of a source, with each file's header.
fn records(dir: &Path, files: &[String]) -> Vec<(csv::StringRecord, csv::StringRecord)> {
    let mut all = Vec::new();
    for file in files {
        let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
        let header = reader.headers().unwrap().clone();
        for record in reader.records() {
            all.push((header.clone(), record.unwrap()));
        }
    }
    all
}

fn ids(manifest: &Value, key: &str) -> Vec<String> {
    let list = manifest["planted"][key].as_array().expect("a planted list");
    list.iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// Every file of a folder, by name, with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

#[test]
fn same_seed_gives_byte_identical_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, second, other) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    generate(&first, 60, 200, 11, &[]);
    generate(&second, 60, 200, 11, &[]);
    generate(&other, 60, 200, 12, &[]);

    let weather = contents(&first.join("weather"));
    let first = contents(&first);
    // Nineteen sources, radar.toml and manifest.json; weather has a folder.
    assert_eq!(first.len(), 19 + 2, "{:?}", first.keys());
    assert_eq!(weather.len(), 9, "one weather file per region");
    assert_eq!(weather, contents(&second.join("weather")));
    assert_eq!(first, contents(&second));
    let other = contents(&other);
    assert_ne!(first["orders.csv"], other["orders.csv"]);
    assert_ne!(first["web_events.csv"], other["web_events.csv"]);
}

#[test]
fn manifest_counts_the_rows_of_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = generate(tmp.path(), 80, 300, 5, &[]);
    let written = written(&manifest);

    let names: BTreeSet<&str> = written.keys().map(String::as_str).collect();
    let all: BTreeSet<&str> = SourceKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names, all);
    for (source, (files, rows, bad)) in &written {
        let records = records(tmp.path(), files).len() as u64;
        assert_eq!(records, *rows, "{source}");
        assert!(*rows > 0, "{source} is empty");
        assert!(bad <= rows, "{source}");
    }
    assert_eq!(
        written["accounts"].1, 80,
        "80 accounts; a share of 0.005 adds no bad one"
    );
    let bad: u64 = written.values().map(|w| w.2).sum();
    assert!(bad > 50, "only {bad} bad rows planted");
}

/// A cell as the contract reads it: required cells must be present,
/// numbers must parse and days must exist. This is a check of its own,
/// independent of ingest, of which rows the generator made bad.
fn cell_is_valid(kind: FieldType, text: &str) -> bool {
    let day = |t: &str| chrono::NaiveDate::parse_from_str(t.get(..10).unwrap_or(""), "%Y-%m-%d");
    match kind {
        FieldType::Number => text.parse::<f64>().is_ok(),
        FieldType::Date => day(text).is_ok(),
        FieldType::Timestamp => day(text).is_ok(),
        FieldType::Year => text.parse::<i32>().is_ok(),
        _ => true,
    }
}

#[test]
fn bad_rows_are_exactly_the_rows_with_an_invalid_cell() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = generate(tmp.path(), 150, 400, 3, &["--bad-share", "0.02"]);
    let config = Config::load(&tmp.path().join(CONFIG_FILE)).expect("a valid config");
    assert_eq!(config.sources.len(), 20);

    for (kind, source) in &config.sources {
        let (files, rows, bad) = &written(&manifest)[kind.name()];
        let mut invalid = 0;
        for (header, record) in records(tmp.path(), files) {
            let broken = match &source.wide {
                Some(wide) => header.iter().zip(record.iter()).any(|(column, text)| {
                    let kind = if column == wide.date_column {
                        FieldType::Date
                    } else {
                        FieldType::Number
                    };
                    !cell_is_valid(kind, text)
                }),
                None => kind.contract().iter().any(|field| {
                    let Some(column) = source.column(field.name) else {
                        return false;
                    };
                    let at = header.iter().position(|h| h == column).unwrap();
                    let text = record[at].trim();
                    if text.is_empty() {
                        return field.required;
                    }
                    !cell_is_valid(field.kind, text)
                }),
            };
            invalid += u64::from(broken);
        }
        assert_eq!(invalid, *bad, "{kind}: of {rows} rows");
    }
}

#[test]
fn every_planted_bad_row_is_quarantined_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let manifest = generate(&data, 150, 500, 9, &["--bad-share", "0.01"]);
    let out = tmp.path().join("out");
    Radar::run(&data.join(CONFIG_FILE), &out).succeeds();

    let inputs = read_table(&out, "run_inputs");
    let written = written(&manifest);
    for kind in SourceKind::ALL {
        let (_, rows, bad) = &written[kind.name()];
        let (read, accepted, quarantined) = input_counts(&inputs, kind.name());
        assert_eq!(read, *rows, "{kind}: rows read = rows written");
        assert_eq!(read, accepted + quarantined, "{kind}");
        assert_eq!(quarantined, *bad, "{kind}: quarantined = planted");
    }

    let quarantine = read_table(&out, "quarantine");
    let mut per_source: BTreeMap<String, u64> = BTreeMap::new();
    for source in texts(&quarantine, "source").into_iter().flatten() {
        *per_source.entry(source).or_default() += 1;
    }
    for (source, count) in per_source {
        assert_eq!(count, written[&source].2, "{source}");
    }
}

#[test]
fn planted_accounts_raise_their_signals_in_a_demo_sized_run() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let manifest = generate(&data, 400, 730, 7, &[]);
    let out = tmp.path().join("out");
    Radar::run(&data.join(CONFIG_FILE), &out).succeeds();

    let signals = read_table(&out, "signals");
    let raised: BTreeSet<(String, String)> = texts(&signals, "kind")
        .into_iter()
        .zip(texts(&signals, "account_id"))
        .filter_map(|(kind, account)| Some((kind?, account?)))
        .collect();
    let has = |kind: &str, id: &str| raised.contains(&(kind.to_string(), id.to_string()));

    let rising = ids(&manifest, "high_probability");
    let leaving = ids(&manifest, "churn_risk");
    assert_eq!(rising.len(), 3);
    assert_eq!(leaving.len(), 3);
    for id in &rising {
        assert!(
            has("high_probability", id),
            "{id} should raise high_probability"
        );
        assert!(!has("churn_risk", id), "{id} should not raise churn_risk");
    }
    for id in &leaving {
        assert!(has("churn_risk", id), "{id} should raise churn_risk");
        assert!(
            !has("high_probability", id),
            "{id} should not raise high_probability"
        );
    }
    for id in ids(&manifest, "no_churn_risk") {
        assert!(!has("churn_risk", &id), "{id} should not raise churn_risk");
    }
    for id in ids(&manifest, "no_signal") {
        assert!(
            !has("churn_risk", &id) && !has("high_probability", &id),
            "{id}"
        );
    }

    let cells = read_table(&out, "white_space");
    let regions: BTreeSet<String> = texts(&cells, "region").into_iter().flatten().collect();
    let open: BTreeSet<String> = ids(&manifest, "white_space_regions").into_iter().collect();
    assert!(
        regions.intersection(&open).count() >= 2,
        "white space {regions:?} misses the open regions {open:?}"
    );
    for covered in ids(&manifest, "covered_regions") {
        assert!(!regions.contains(&covered), "{covered} is no white space");
    }
}

#[test]
fn gbk_files_hold_the_same_names_as_utf8_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (utf8, gbk) = (tmp.path().join("utf8"), tmp.path().join("gbk"));
    generate(&utf8, 120, 200, 4, &[]);
    let manifest = generate(&gbk, 120, 200, 4, &["--encoding", "gbk"]);

    for kind in TEXT_HEAVY {
        let (files, _, _) = &written(&manifest)[kind.name()];
        let file = &files[0];
        let plain = std::fs::read(utf8.join(file)).unwrap();
        let encoded = std::fs::read(gbk.join(file)).unwrap();
        let (decoded, _, unmappable) = encoding_rs::GBK.decode(&encoded);
        assert!(!unmappable, "{file} is not valid GBK");
        assert_eq!(decoded.as_bytes(), plain.as_slice(), "{file}");
        if kind == SourceKind::Accounts {
            assert_ne!(encoded, plain, "{file} holds no Chinese name");
            assert!(decoded.contains("有限公司"), "{file} holds no Chinese name");
        }
    }

    let config = Config::load(&gbk.join(CONFIG_FILE)).unwrap();
    for (kind, source) in &config.sources {
        let expected = if TEXT_HEAVY.contains(kind) {
            radar::config::Encoding::Gbk
        } else {
            radar::config::Encoding::Utf8
        };
        assert_eq!(source.encoding, expected, "{kind}");
    }
}

#[test]
fn config_maps_every_source_to_the_columns_written() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = generate(tmp.path(), 40, 120, 2, &[]);

    let full = Config::load(&tmp.path().join(CONFIG_FILE)).unwrap();
    assert_eq!(full.sources.len(), SourceKind::ALL.len());
    for (kind, source) in &full.sources {
        let (files, _, _) = &written(&manifest)[kind.name()];
        let [pattern] = source.path.patterns() else {
            panic!("{kind}: one path pattern expected");
        };
        let pattern = tmp.path().join(pattern).display().to_string();
        let matched = glob::glob(&pattern).unwrap().count();
        assert_eq!(matched, files.len(), "{kind}: {pattern}");
        for file in files {
            let mut reader = csv::Reader::from_path(tmp.path().join(file)).unwrap();
            let header = reader.headers().unwrap().clone();
            for (field, column) in &source.columns {
                let found = header.iter().any(|h| h == column);
                assert!(found, "{kind}.{field} -> {column}");
            }
        }
        for field in kind.contract().iter().filter(|f| f.required) {
            let covered = source.column(field.name).is_some()
                || source.constants.contains_key(field.name)
                || source.wide.is_some();
            assert!(covered, "{kind} leaves {} unmapped", field.name);
        }
    }
    let weather = &full.sources[&SourceKind::Weather];
    assert_eq!(weather.constants["region"], "{file_stem}");
    assert_eq!(full.industry_symbols["energy"], ["COPPER", "BRENT"]);
    let prices = &full.sources[&SourceKind::CompetitorPrices];
    assert_eq!(prices.own_name.as_deref(), Some(full.company.name.as_str()));
}

#[test]
fn bad_share_out_of_range_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_radar"))
        .args(["generate", "--bad-share", "0.9", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad row share"), "{stderr}");
}

#[test]
fn a_run_over_gbk_files_reads_the_same_names_as_over_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for encoding in ["utf8", "gbk"] {
        let data = tmp.path().join(encoding).join("data");
        let manifest = generate(&data, 120, 400, 6, &["--encoding", encoding]);
        let out = tmp.path().join(encoding).join("out");
        Radar::run(&data.join(CONFIG_FILE), &out).succeeds();

        let inputs = read_table(&out, "run_inputs");
        for kind in TEXT_HEAVY {
            let (_, rows, bad) = &written(&manifest)[kind.name()];
            let (read, _, quarantined) = input_counts(&inputs, kind.name());
            assert_eq!((read, quarantined), (*rows, *bad), "{encoding} {kind}");
        }
        let scores = read_table(&out, "account_scores");
        names.push(texts(&scores, "account_name"));
    }
    assert_eq!(names[0], names[1]);
    let chinese = names[1]
        .iter()
        .flatten()
        .filter(|n| n.ends_with("有限公司"));
    assert!(
        chinese.count() >= 5,
        "too few Chinese names: {:?}",
        names[1]
    );
}
