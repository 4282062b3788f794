//! The quality gate: per-source counts, quarantine share and freshness,
//! judged against each source's `[sources.<kind>.checks]` limits.
//!
//! `radar check` prints the report; `radar run` computes the same report
//! right after ingest and refuses to publish when any error-level check
//! fails. Freshness compares the latest event day before D (in the
//! company's zone) with D-1, the day a daily feed is expected to reach:
//! the lag is the number of days between the two, so a feed that holds
//! yesterday's events lags 0 days.

use std::fmt::{self, Write as _};

use chrono::{DateTime, Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use polars::prelude::*;
use serde::Serialize;

use crate::config::{Config, SourceChecks};
use crate::contract::SourceKind;
use crate::ingest::parse::date_from_days;
use crate::ingest::{Ingested, SourceStats};
use crate::snapshot::Cutoff;

/// How many quarantined rows per source a report lists by default.
pub const DEFAULT_PROBLEMS: usize = 5;

/// Where a source keeps the time of its events, in its ingested frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventTime {
    /// UTC epoch-millisecond columns; the latest of them is the event time.
    Millis(&'static [&'static str]),
    /// A column of days since 1970-01-01.
    Days(&'static str),
    /// A year column; a year's figure counts as of its last day.
    Year(&'static str),
    /// The days of the FX table (rates are not kept as a frame).
    FxDays,
    /// The source records no time at all (reference lists).
    Timeless,
}

/// The event time of a source and whether freshness is tracked without
/// any limit configured (reference and calendar sources are not).
pub fn event_time(kind: SourceKind) -> (EventTime, bool) {
    use SourceKind::*;
    match kind {
        Orders | WebEvents | Social => (EventTime::Millis(&["ts_ms"]), true),
        Opportunities => (EventTime::Millis(&["created_ms", "closed_ms"]), true),
        Contracts => (EventTime::Days("start_day"), true),
        Complaints => (EventTime::Millis(&["created_ms"]), true),
        Tickets => (EventTime::Millis(&["opened_ms"]), true),
        ChannelInventory | CompetitorPrices | Weather | Commodities => {
            (EventTime::Days("day"), true)
        }
        Policies => (EventTime::Days("published_day"), true),
        FxRates => (EventTime::FxDays, true),
        Holidays => (EventTime::Days("day"), false),
        Accounts => (EventTime::Millis(&["created_ms"]), false),
        Verifications => (EventTime::Millis(&["verified_ms"]), false),
        Market => (EventTime::Year("year"), false),
        Org | Regions | Prospects => (EventTime::Timeless, false),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    Error,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Error => "error",
        })
    }
}

/// One failed check of one source.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub level: Level,
    /// `quarantined_share`, `freshness`, `no_rows` or `schema_drift`.
    pub check: &'static str,
    pub message: String,
}

/// One quarantined row as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemRow {
    pub file: String,
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// Everything the gate found for one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub source: &'static str,
    pub status: Level,
    pub files: Vec<String>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    /// Quarantined rows over rows read; 0 when nothing was read.
    pub quarantined_share: f64,
    pub max_quarantined_share: f64,
    /// Whether the source's freshness is judged at all.
    pub freshness_tracked: bool,
    #[serde(serialize_with = "optional_day")]
    pub latest_event_day: Option<NaiveDate>,
    /// Days from the latest event day to D-1; null when there is none.
    pub lag_days: Option<i64>,
    pub freshness_warn_days: Option<i64>,
    pub freshness_error_days: Option<i64>,
    pub findings: Vec<Finding>,
    /// The first quarantined rows, in the order ingest met them.
    pub problems: Vec<ProblemRow>,
}

/// The gate's verdict on one night's inputs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    #[serde(serialize_with = "day")]
    pub as_of: NaiveDate,
    /// D-1: the latest day a daily feed can hold before D.
    #[serde(serialize_with = "day")]
    pub expected_day: NaiveDate,
    pub status: Level,
    pub sources: Vec<SourceReport>,
}

/// Days are written `YYYY-MM-DD` in JSON.
fn day<S: serde::Serializer>(day: &NaiveDate, to: S) -> Result<S::Ok, S::Error> {
    to.collect_str(day)
}

fn optional_day<S: serde::Serializer>(day: &Option<NaiveDate>, to: S) -> Result<S::Ok, S::Error> {
    match day {
        Some(day) => to.collect_str(day),
        None => to.serialize_none(),
    }
}

/// The run stopped before publishing because the gate found errors.
#[derive(Debug)]
pub struct Refused {
    pub report: Report,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors: Vec<String> = self
            .report
            .findings_at(Level::Error)
            .map(|(source, finding)| format!("{source}: {}", finding.message))
            .collect();
        write!(
            f,
            "refused to publish {}: {}",
            self.report.as_of,
            errors.join("; ")
        )
    }
}

impl std::error::Error for Refused {}

/// Judges every ingested source against its limits as of D.
pub fn assess(config: &Config, as_of: NaiveDate, ingested: &Ingested, problems: usize) -> Report {
    let zone = config.company_zone();
    let cutoff = Cutoff::new(as_of, zone);

    let sources: Vec<SourceReport> = ingested
        .stats
        .iter()
        .map(|stats| {
            let checks = config
                .sources
                .get(&stats.source)
                .map(|s| s.checks.clone())
                .unwrap_or_default();
            assess_source(stats, &checks, ingested, cutoff, zone, problems)
        })
        .collect();

    let status = sources.iter().map(|s| s.status).max().unwrap_or(Level::Ok);
    Report {
        as_of,
        expected_day: as_of - Duration::days(1),
        status,
        sources,
    }
}

fn assess_source(
    stats: &SourceStats,
    checks: &SourceChecks,
    ingested: &Ingested,
    cutoff: Cutoff,
    zone: Tz,
    problems: usize,
) -> SourceReport {
    let kind = stats.source;
    let share = if stats.rows_read == 0 {
        0.0
    } else {
        stats.rows_quarantined as f64 / stats.rows_read as f64
    };

    let (time, by_default) = event_time(kind);
    let configured = checks.freshness_warn_days.is_some() || checks.freshness_error_days.is_some();
    let tracked = time != EventTime::Timeless && (by_default || configured);
    let latest = if tracked {
        latest_event_day(ingested, kind, time, cutoff, zone)
    } else {
        None
    };
    let expected = cutoff.date - Duration::days(1);
    let lag = latest.map(|day| (expected - day).num_days());

    let mut report = SourceReport {
        source: kind.name(),
        status: Level::Ok,
        files: stats.files.clone(),
        rows_read: stats.rows_read,
        rows_accepted: stats.rows_accepted,
        rows_quarantined: stats.rows_quarantined,
        quarantined_share: share,
        max_quarantined_share: checks.max_quarantined_share,
        freshness_tracked: tracked,
        latest_event_day: latest,
        lag_days: lag,
        freshness_warn_days: checks.freshness_warn_days,
        freshness_error_days: checks.freshness_error_days,
        findings: Vec::new(),
        problems: first_problems(ingested, kind, problems),
    };
    report.findings = findings(&report, expected);
    report
        .findings
        .extend(stats.notes.iter().map(|note| Finding {
            level: Level::Warning,
            check: "schema_drift",
            message: note.clone(),
        }));
    report.status = report
        .findings
        .iter()
        .map(|f| f.level)
        .max()
        .unwrap_or(Level::Ok);
    report
}

fn findings(report: &SourceReport, expected: NaiveDate) -> Vec<Finding> {
    let mut found = Vec::new();

    if report.quarantined_share > report.max_quarantined_share {
        found.push(Finding {
            level: Level::Error,
            check: "quarantined_share",
            message: format!(
                "{} of {} rows quarantined ({}), above the limit of {}",
                report.rows_quarantined,
                report.rows_read,
                percent(report.quarantined_share),
                percent(report.max_quarantined_share)
            ),
        });
    }

    if let Some(finding) = freshness(report, expected) {
        found.push(finding);
    } else if report.rows_read == 0 {
        found.push(Finding {
            level: Level::Warning,
            check: "no_rows",
            message: "no rows at all (header-only files: no data for the day)".into(),
        });
    }
    found
}

/// The freshness finding, if the latest event is later than a limit allows.
fn freshness(report: &SourceReport, expected: NaiveDate) -> Option<Finding> {
    if !report.freshness_tracked {
        return None;
    }
    let stale_by = |limit: Option<i64>| match (limit, report.lag_days) {
        (Some(limit), Some(lag)) => lag > limit,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let (level, limit) = if stale_by(report.freshness_error_days) {
        (Level::Error, report.freshness_error_days?)
    } else if stale_by(report.freshness_warn_days) {
        (Level::Warning, report.freshness_warn_days?)
    } else {
        return None;
    };

    let seen = match (report.latest_event_day, report.lag_days) {
        (Some(day), Some(lag)) => format!("latest event on {day}, {lag} days before {expected}"),
        _ => format!("no event before {}", expected + Duration::days(1)),
    };
    Some(Finding {
        level,
        check: "freshness",
        message: format!("stale: {seen}; {level} limit is {limit} days"),
    })
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn first_problems(ingested: &Ingested, kind: SourceKind, limit: usize) -> Vec<ProblemRow> {
    ingested
        .quarantine
        .iter()
        .filter(|q| q.source == kind.name())
        .take(limit)
        .map(|q| ProblemRow {
            file: q.file.clone(),
            line: q.line,
            column: q.column.clone(),
            value: q.value.clone(),
            reason: q.reason.clone(),
        })
        .collect()
}

/// The latest day before D, in the company's zone, on which the source
/// recorded an event; `None` when it has none.
fn latest_event_day(
    ingested: &Ingested,
    kind: SourceKind,
    time: EventTime,
    cutoff: Cutoff,
    zone: Tz,
) -> Option<NaiveDate> {
    match time {
        EventTime::Timeless => None,
        EventTime::FxDays => ingested
            .fx
            .series
            .values()
            .flat_map(|points| points.iter().map(|&(day, _)| day))
            .filter(|&day| day < cutoff.day())
            .max()
            .map(date_from_days),
        EventTime::Days(column) => {
            let frame = ingested.frame(kind)?;
            let latest = column_max_below(frame, column, cutoff.day() as i64)?;
            Some(date_from_days(latest as i32))
        }
        EventTime::Year(column) => {
            let frame = ingested.frame(kind)?;
            let latest = column_max_below(frame, column, cutoff.date.year() as i64)?;
            NaiveDate::from_ymd_opt(latest as i32, 12, 31)
        }
        EventTime::Millis(columns) => {
            let frame = ingested.frame(kind)?;
            let latest = columns
                .iter()
                .filter_map(|c| column_max_below(frame, c, cutoff.millis))
                .max()?;
            let instant = DateTime::from_timestamp_millis(latest)?;
            Some(instant.with_timezone(&zone).date_naive())
        }
    }
}

/// The largest value of an integer-like column that is below `bound`.
fn column_max_below(frame: &DataFrame, name: &str, bound: i64) -> Option<i64> {
    let column = frame.column(name).ok()?;
    let values = column.cast(&DataType::Int64).ok()?;
    let values = values.i64().ok()?;
    values.iter().flatten().filter(|&v| v < bound).max()
}

impl Report {
    /// Whether the run must not publish.
    pub fn refuses(&self) -> bool {
        self.status == Level::Error
    }

    /// Every finding at `level`, with the name of its source.
    pub fn findings_at(&self, level: Level) -> impl Iterator<Item = (&str, &Finding)> {
        self.sources.iter().flat_map(move |s| {
            s.findings
                .iter()
                .filter(move |f| f.level == level)
                .map(move |f| (s.source, f))
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }

    /// The report as a table for people, then each source's findings and
    /// first problems.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "checks as of {} (daily feeds expected up to {}): {}",
            self.as_of, self.expected_day, self.status
        );
        let _ = writeln!(
            text,
            "{:<18} {:>5} {:>9} {:>9} {:>11} {:>7}  {:<10} {:>4}  status",
            "source", "files", "read", "accepted", "quarantined", "share", "latest", "lag"
        );
        for source in &self.sources {
            write_source_row(&mut text, source);
        }
        for source in &self.sources {
            write_details(&mut text, source);
        }
        text
    }
}

fn write_source_row(text: &mut String, source: &SourceReport) {
    let latest = match (source.freshness_tracked, source.latest_event_day) {
        (false, _) => "-".to_string(),
        (true, Some(day)) => day.to_string(),
        (true, None) => "none".to_string(),
    };
    let lag = source
        .lag_days
        .map_or_else(|| "-".to_string(), |d| d.to_string());
    let _ = writeln!(
        text,
        "{:<18} {:>5} {:>9} {:>9} {:>11} {:>7}  {:<10} {:>4}  {}",
        source.source,
        source.files.len(),
        source.rows_read,
        source.rows_accepted,
        source.rows_quarantined,
        percent(source.quarantined_share),
        latest,
        lag,
        source.status
    );
}

fn write_details(text: &mut String, source: &SourceReport) {
    for finding in &source.findings {
        let _ = writeln!(
            text,
            "{}: {}: {}",
            finding.level, source.source, finding.message
        );
    }
    if source.problems.is_empty() {
        return;
    }
    let _ = writeln!(
        text,
        "{}: first {} of {} quarantined rows:",
        source.source,
        source.problems.len(),
        source.rows_quarantined
    );
    for p in &source.problems {
        let _ = writeln!(
            text,
            "  {}:{} column `{}` value `{}`: {}",
            p.file, p.line, p.column, p.value, p.reason
        );
    }
}

/// Checks the `[sources.<kind>.checks]` limits of one source; the message
/// names the key that is out of range.
pub fn validate_limits(kind: SourceKind, checks: &SourceChecks) -> Result<(), String> {
    let key = |name: &str| format!("sources.{kind}.checks.{name}");
    let share = checks.max_quarantined_share;
    if !(0.0..=1.0).contains(&share) {
        return Err(format!(
            "{} must be between 0 and 1, got {share}",
            key("max_quarantined_share")
        ));
    }

    for (name, days) in [
        ("freshness_warn_days", checks.freshness_warn_days),
        ("freshness_error_days", checks.freshness_error_days),
    ] {
        match days {
            Some(d) if d < 0 => {
                return Err(format!("{} must be 0 or more, got {d}", key(name)));
            }
            Some(_) if event_time(kind).0 == EventTime::Timeless => {
                return Err(format!(
                    "{} cannot apply: source `{kind}` records no event time",
                    key(name)
                ));
            }
            _ => {}
        }
    }
    if let (Some(warn), Some(error)) = (checks.freshness_warn_days, checks.freshness_error_days) {
        if warn > error {
            return Err(format!(
                "{} ({warn}) must not exceed {} ({error})",
                key("freshness_warn_days"),
                key("freshness_error_days")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse::days_since_epoch;

    fn checks(share: f64, warn: Option<i64>, error: Option<i64>) -> SourceChecks {
        SourceChecks {
            max_quarantined_share: share,
            freshness_warn_days: warn,
            freshness_error_days: error,
        }
    }

    #[test]
    fn limits_out_of_range_name_their_key() {
        let orders = SourceKind::Orders;
        let cases = [
            (
                checks(1.5, None, None),
                "sources.orders.checks.max_quarantined_share",
            ),
            (
                checks(-0.1, None, None),
                "sources.orders.checks.max_quarantined_share",
            ),
            (
                checks(f64::NAN, None, None),
                "sources.orders.checks.max_quarantined_share",
            ),
            (
                checks(0.5, Some(-1), None),
                "sources.orders.checks.freshness_warn_days",
            ),
            (
                checks(0.5, None, Some(-2)),
                "sources.orders.checks.freshness_error_days",
            ),
            (
                checks(0.5, Some(5), Some(2)),
                "sources.orders.checks.freshness_warn_days",
            ),
        ];
        for (limits, key) in cases {
            let message = validate_limits(orders, &limits).expect_err(key);
            assert!(message.starts_with(key), "{message}");
        }
        assert!(validate_limits(orders, &checks(0.0, Some(0), Some(0))).is_ok());
        assert!(validate_limits(orders, &checks(1.0, Some(2), None)).is_ok());
        let org = validate_limits(SourceKind::Org, &checks(1.0, None, Some(1)));
        assert!(org.expect_err("org has no time").contains("no event time"));
    }

    #[test]
    fn latest_event_day_is_cut_at_d_in_the_company_zone() {
        let zone: Tz = "Europe/Berlin".parse().expect("a zone");
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
        let cutoff = Cutoff::new(d, zone);
        // 2025-12-31 22:30 UTC is already D in Berlin; 22:59 the day before
        // it is 23:59 on D-1 there.
        let on_d = cutoff.millis + 30 * 60_000;
        let last_minute = cutoff.millis - 60_000;
        let frame = df!("ts_ms" => [last_minute - 86_400_000, last_minute, on_d]).expect("a frame");
        let mut ingested = empty_ingested();
        ingested.frames.insert(SourceKind::Orders, frame);

        let (time, _) = event_time(SourceKind::Orders);
        let latest = latest_event_day(&ingested, SourceKind::Orders, time, cutoff, zone);
        assert_eq!(latest, NaiveDate::from_ymd_opt(2025, 12, 31));
    }

    #[test]
    fn each_kind_of_event_time_gives_the_latest_day_before_d() {
        let zone = chrono_tz::UTC;
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
        let cutoff = Cutoff::new(d, zone);
        let day = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("a date");
        let ms = |date: NaiveDate| days_since_epoch(date) as i64 * 86_400_000;

        let mut ingested = empty_ingested();
        // A deal closed on 12-20 is later than any creation; one closing
        // on D itself is not seen.
        let deals = df!(
            "created_ms" => [ms(day(2025, 11, 2)), ms(day(2025, 12, 1))],
            "closed_ms" => [Some(ms(day(2025, 12, 20))), Some(ms(d))],
        )
        .expect("a frame");
        ingested.frames.insert(SourceKind::Opportunities, deals);
        let weather = df!("day" => [days_since_epoch(day(2025, 12, 30)), days_since_epoch(d)])
            .expect("a frame");
        ingested.frames.insert(SourceKind::Weather, weather);
        let market = df!("year" => [2023i32, 2024, 2026]).expect("a frame");
        ingested.frames.insert(SourceKind::Market, market);
        ingested
            .fx
            .insert("USD", days_since_epoch(day(2025, 12, 29)), 1.1);
        ingested.fx.insert("USD", days_since_epoch(d), 1.2);

        let latest = |kind| latest_event_day(&ingested, kind, event_time(kind).0, cutoff, zone);
        assert_eq!(latest(SourceKind::Opportunities), Some(day(2025, 12, 20)));
        assert_eq!(latest(SourceKind::Weather), Some(day(2025, 12, 30)));
        assert_eq!(latest(SourceKind::Market), Some(day(2024, 12, 31)));
        assert_eq!(latest(SourceKind::FxRates), Some(day(2025, 12, 29)));
        assert_eq!(latest(SourceKind::Orders), None);
    }

    fn empty_ingested() -> Ingested {
        Ingested {
            frames: Default::default(),
            fx: crate::fx::FxTable::new("EUR"),
            regions: crate::regions::RegionResolver::new(&Default::default()),
            known_accounts: None,
            stats: Vec::new(),
            quarantine: Vec::new(),
        }
    }
}
