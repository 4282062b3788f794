//! Generated data for the radar: a seeded generator that writes every
//! source of DESIGN.md section 4 with a realistic shape, the `radar.toml`
//! that reads them and a `manifest.json` saying what was written.
//!
//! The same options always give byte-identical files: nothing here reads
//! the clock, and every file is written in a fixed order. Each account is
//! planned from its own random stream and its events are written account
//! by account, day by day, straight to buffered files, so memory does not
//! grow with the number of accounts or rows.
//!
//! Accounts follow archetypes (hot, fading, steady, prospect) so the scores
//! have something real to find; the first accounts are planted with a fixed
//! behaviour ([`accounts::Plant`]) that the signals should or should not
//! pick up, and three market regions have no account at all (white space).
//! A small share of rows is malformed on purpose, each in a way the
//! contracts refuse, and the manifest counts them per source.

mod accounts;
mod calendar;
mod config_file;
mod engagement;
mod markets;
mod random;
mod reference;
mod sales;
mod service;
mod table;
#[cfg(test)]
mod tests;
mod world;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::{Datelike, NaiveDate};
use rand::Rng;
use serde::Serialize;

pub use accounts::{account_id, Plant, PLANTED_EACH};
pub use table::{FileEncoding, Written};

use crate::contract::SourceKind;
use calendar::Period;
use table::Table;

/// What to generate: how many accounts, how many days of history, the day
/// after the last one (no event falls on or after `end`), the share of
/// rows made bad on purpose and the encoding of the text-heavy files.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub accounts: u64,
    pub days: i64,
    pub seed: u64,
    pub end: NaiveDate,
    pub bad_share: f64,
    pub encoding: FileEncoding,
}

/// The share of rows made bad when nothing else is asked for.
pub const DEFAULT_BAD_SHARE: f64 = 0.005;

/// Files whose text is mostly names and titles; written in the requested
/// encoding, every other file in UTF-8.
pub const TEXT_HEAVY: [SourceKind; 4] = [
    SourceKind::Accounts,
    SourceKind::Prospects,
    SourceKind::Complaints,
    SourceKind::Policies,
];

pub const CONFIG_FILE: &str = "radar.toml";
pub const MANIFEST_FILE: &str = "manifest.json";

/// What was written, as `manifest.json` records it.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub seed: u64,
    pub accounts: u64,
    pub days: i64,
    pub end: String,
    pub bad_share: f64,
    pub encoding: &'static str,
    /// Every source in the order written.
    pub sources: Vec<Written>,
    pub planted: Planted,
}

/// Which accounts and regions should and should not raise each signal.
#[derive(Debug, Clone, Serialize)]
pub struct Planted {
    pub high_probability: Vec<String>,
    pub churn_risk: Vec<String>,
    pub no_churn_risk: Vec<String>,
    pub no_signal: Vec<String>,
    /// Regions with a market and no account: the white space to find.
    pub white_space_regions: Vec<&'static str>,
    /// Regions with many customers: never white space.
    pub covered_regions: Vec<&'static str>,
}

impl Manifest {
    pub fn written(&self, kind: SourceKind) -> Option<&Written> {
        self.sources.iter().find(|w| w.source == kind.name())
    }

    pub fn bad_rows(&self) -> u64 {
        self.sources.iter().map(|w| w.bad_rows).sum()
    }
}

#[derive(Debug, Clone)]
pub struct GenerateSummary {
    pub manifest: Manifest,
    pub config_path: PathBuf,
    pub manifest_path: PathBuf,
}

/// Writes every source, the configs that read them and the manifest into
/// `out_dir`.
pub fn generate(opts: &GenerateOptions, out_dir: &Path) -> Result<GenerateSummary> {
    let plan = Plan::new(opts, out_dir)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create output folder {}", out_dir.display()))?;

    let mut sources = Vec::new();
    let writers: [fn(&Plan) -> Result<Table>; 20] = [
        accounts::write_accounts,
        sales::write_opportunities,
        sales::write_orders,
        reference::write_org,
        reference::write_fx_rates,
        reference::write_holidays,
        reference::write_market,
        reference::write_regions,
        sales::write_contracts,
        service::write_complaints,
        service::write_tickets,
        engagement::write_web_events,
        engagement::write_social,
        markets::write_channel_inventory,
        markets::write_competitor_prices,
        markets::write_policies,
        markets::write_weather,
        markets::write_commodities,
        reference::write_prospects,
        engagement::write_verifications,
    ];
    for write in writers {
        sources.push(write(&plan)?.finish()?);
    }

    let config_path = out_dir.join(CONFIG_FILE);
    config_file::write(&plan, &config_path)?;

    let manifest = plan.manifest(sources);
    let manifest_path = out_dir.join(MANIFEST_FILE);
    let json = serde_json::to_string_pretty(&manifest).expect("the manifest is plain data");
    std::fs::write(&manifest_path, json + "\n")
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;

    Ok(GenerateSummary {
        manifest,
        config_path,
        manifest_path,
    })
}

/// Each file draws from its own streams, so changing one file's shape
/// leaves the others as they were.
const ACCOUNT_STREAM: u64 = 1;
const OPPORTUNITY_STREAM: u64 = 2;
const ORDER_STREAM: u64 = 3;
const FX_STREAM: u64 = 4;
const MARKET_STREAM: u64 = 5;
const CONTRACT_STREAM: u64 = 6;
const COMPLAINT_STREAM: u64 = 7;
const TICKET_STREAM: u64 = 8;
const WEB_STREAM: u64 = 9;
const SOCIAL_STREAM: u64 = 10;
const CHANNEL_STREAM: u64 = 11;
const COMPETITOR_STREAM: u64 = 12;
const POLICY_STREAM: u64 = 13;
const WEATHER_STREAM: u64 = 14;
const COMMODITY_STREAM: u64 = 15;
const PROSPECT_STREAM: u64 = 16;
const VERIFICATION_STREAM: u64 = 17;

/// The resolved options every file writer reads.
pub(crate) struct Plan {
    seed: u64,
    accounts: u64,
    days: i64,
    period: Period,
    flaws: Flaws,
    encoding: FileEncoding,
    out_dir: PathBuf,
}

impl Plan {
    fn new(opts: &GenerateOptions, out_dir: &Path) -> Result<Plan> {
        if !(0.0..=0.5).contains(&opts.bad_share) {
            bail!(
                "bad row share must be between 0 and 0.5, got {}",
                opts.bad_share
            );
        }
        Ok(Plan {
            seed: opts.seed,
            accounts: opts.accounts,
            days: opts.days,
            period: Period::new(opts.days, opts.end)?,
            flaws: Flaws {
                share: opts.bad_share,
            },
            encoding: opts.encoding,
            out_dir: out_dir.to_path_buf(),
        })
    }

    fn table(&self, kind: SourceKind, file: &str, header: &[&str]) -> Result<Table> {
        let encoding = self.encoding_of(kind);
        Table::create(&self.out_dir, kind, file, encoding, header)
    }

    fn encoding_of(&self, kind: SourceKind) -> FileEncoding {
        if TEXT_HEAVY.contains(&kind) {
            self.encoding
        } else {
            FileEncoding::Utf8
        }
    }

    /// The accounts, planned one at a time.
    fn accounts(&self) -> impl Iterator<Item = accounts::Account> + '_ {
        (1..=self.accounts).map(|n| accounts::Account::plan(self.seed, n, self.period))
    }

    fn manifest(&self, sources: Vec<Written>) -> Manifest {
        let planted = |plant: Plant| -> Vec<String> {
            (1..=self.accounts)
                .filter(|n| accounts::plant_of(*n) == Some(plant))
                .map(account_id)
                .collect()
        };
        let mut no_churn_risk = planted(Plant::Loyal);
        no_churn_risk.extend(planted(Plant::Rising));
        Manifest {
            seed: self.seed,
            accounts: self.accounts,
            days: self.days,
            end: self.period.end.to_string(),
            bad_share: self.flaws.share,
            encoding: self.encoding.name(),
            sources,
            planted: Planted {
                high_probability: planted(Plant::Rising),
                churn_risk: planted(Plant::Leaving),
                no_churn_risk,
                no_signal: planted(Plant::Dormant),
                white_space_regions: world::OPEN_REGIONS.iter().map(|r| r.0).collect(),
                // The two regions with the largest share of accounts.
                covered_regions: vec!["Germany", "United States"],
            },
        }
    }
}

/// Rows made malformed on purpose, each in a way the contracts refuse: a
/// blank required field, a number that is not one, a day that does not
/// exist.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flaws {
    share: f64,
}

impl Flaws {
    /// Whether the next row is made bad.
    fn strike(self, rng: &mut random::Draws) -> bool {
        self.share > 0.0 && rng.random_bool(self.share)
    }

    /// How many bad rows to add to a file of `rows` good ones.
    fn extra_rows(self, rows: u64) -> u64 {
        (rows as f64 * self.share).round() as u64
    }

    fn bad_number(rng: &mut random::Draws) -> &'static str {
        const NUMBERS: [&str; 3] = ["12,5x", "1O5.00", "tbd"];
        NUMBERS[rng.random_range(0..NUMBERS.len())]
    }

    /// A day that does not exist, in the year of `near`.
    fn impossible_date(rng: &mut random::Draws, near: NaiveDate) -> String {
        const DAYS: [(u32, u32); 4] = [(2, 30), (2, 31), (4, 31), (9, 31)];
        let (month, day) = DAYS[rng.random_range(0..DAYS.len())];
        format!("{:04}-{month:02}-{day:02}", near.year())
    }
}
