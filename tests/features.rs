//! The feature catalogue end to end: `radar features` lists every
//! dimension of DESIGN.md section 5, and a real export, read through its
//! example config, yields every catalogue column with the null rules the
//! catalogue states.

#[allow(dead_code)]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use polars::prelude::*;
use radar::config::Config;
use radar::features::{self, CATALOGUE};
use radar::ingest;
use radar::snapshot::Cutoff;

use common::shared_data;

/// Dimensions per group: DESIGN.md section 5, plus the two extra order
/// features (order days and order value over 365 days) and the three
/// lifetime features of the BG/NBD and Gamma-Gamma models.
const GROUP_SIZES: [(&str, usize); 16] = [
    ("deals", 8),
    ("contracts", 3),
    ("orders", 6),
    ("complaints", 3),
    ("tickets", 4),
    ("web", 4),
    ("social", 3),
    ("channel", 2),
    ("competitors", 2),
    ("policy", 2),
    ("weather", 2),
    ("holidays", 1),
    ("fx", 2),
    ("commodities", 2),
    ("account", 2),
    ("lifetime", 3),
];

/// Groups without a value in the online retail example: their sources are
/// not declared, or (commodities) its customers carry no industry.
const GROUPS_WITHOUT_VALUES: [&str; 10] = [
    "deals",
    "contracts",
    "complaints",
    "tickets",
    "web",
    "social",
    "channel",
    "competitors",
    "policy",
    "commodities",
];

#[test]
fn catalogue_has_every_group_of_the_design_in_its_order() {
    let mut sizes: Vec<(&str, usize)> = Vec::new();
    for spec in CATALOGUE {
        match sizes.last_mut() {
            Some((group, n)) if *group == spec.group => *n += 1,
            _ => sizes.push((spec.group, 1)),
        }
    }
    assert_eq!(sizes, GROUP_SIZES, "groups must be contiguous and complete");
}

#[test]
fn features_command_prints_group_name_description_and_null_rule() {
    let output = Command::new(env!("CARGO_BIN_EXE_radar"))
        .arg("features")
        .env_remove("RADAR_CONFIG")
        .output()
        .expect("the radar binary can be started");
    assert!(output.status.success(), "radar features failed");
    let text = String::from_utf8(output.stdout).expect("utf-8 output");
    let lines: Vec<&str> = text.lines().collect();

    assert_eq!(lines.len(), CATALOGUE.len());
    for (line, spec) in lines.iter().zip(CATALOGUE) {
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some(spec.name), "{line}");
        assert_eq!(words.next(), Some(spec.group), "{line}");
        assert!(line.contains(spec.description), "{line}");
        let null_rule = format!("(null: {})", spec.when_null);
        assert!(line.ends_with(&null_rule), "{line}");
    }
}

fn floats(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
    let column = frame
        .column(name)
        .unwrap_or_else(|_| panic!("{name} missing"));
    let column = column.cast(&DataType::Float64).unwrap();
    column.f64().unwrap().iter().collect()
}

#[test]
fn online_retail_features_follow_the_catalogue_null_rules() {
    let Some(data) = shared_data() else { return };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/examples/online_retail.toml");
    let config = Config::load(&path).expect("the example config loads");
    let ingested = ingest::ingest(&config, Some(&data)).expect("the example ingests");
    let date = NaiveDate::from_ymd_opt(2011, 9, 1).unwrap();
    let cutoff = Cutoff::new(date, config.company_zone());

    let frame = features::compute(&ingested, &config, cutoff).expect("features compute");
    assert!(frame.height() > 3000, "{} accounts", frame.height());
    let columns: BTreeMap<&str, Vec<Option<f64>>> = CATALOGUE
        .iter()
        .map(|spec| (spec.name, floats(&frame, spec.name)))
        .collect();

    for spec in CATALOGUE
        .iter()
        .filter(|s| GROUPS_WITHOUT_VALUES.contains(&s.group))
    {
        let present = columns[spec.name].iter().flatten().count();
        assert_eq!(present, 0, "{} has values without its source", spec.name);
    }
    weather_is_known_for_france_only(&frame, &columns);
    for name in ["order_amount_90d", "order_days_365d", "order_amount_365d"] {
        let missing = columns[name].iter().filter(|v| v.is_none()).count();
        assert_eq!(
            missing, 0,
            "{name} is a sum of a declared source: 0, not null"
        );
    }
    let ordered_lately = columns["order_days_365d"]
        .iter()
        .zip(&columns["days_since_last_order"]);
    for (days, since) in ordered_lately {
        if days.is_some_and(|d| d > 0.0) {
            assert!(
                since.is_some_and(|s| (0.0..=365.0).contains(&s)),
                "{days:?} {since:?}"
            );
        }
    }
    let covered = columns["holidays_next_14d"].iter().flatten().count();
    assert!(
        covered > 0,
        "the holiday calendar covers some customers' countries"
    );
    let positive = |v: &&Option<f64>| v.is_some_and(|v| v >= 0.0);
    let counted = columns["order_days_365d"].iter().filter(positive).count();
    assert_eq!(counted, frame.height(), "order days are never negative");
}

/// The example's only weather is Orléans, standing for France (2009-2020).
fn weather_is_known_for_france_only(frame: &DataFrame, columns: &BTreeMap<&str, Vec<Option<f64>>>) {
    let regions = frame.column("region").unwrap().str().unwrap();
    let severe = &columns["severe_weather_days_30d"];
    let anomaly = &columns["temperature_anomaly_30d"];
    let mut french = 0;
    for (i, region) in regions.iter().enumerate() {
        if region == Some("France") {
            french += 1;
            assert!(
                severe[i].is_some_and(|d| (0.0..=30.0).contains(&d)),
                "{:?}",
                severe[i]
            );
            assert!(
                anomaly[i].is_some_and(|t| t.abs() < 10.0),
                "{:?}",
                anomaly[i]
            );
        } else {
            assert_eq!((severe[i], anomaly[i]), (None, None), "{region:?}");
        }
    }
    assert!(french > 0, "no French customer before D");
}
