//! Stage 1, ingest: read each declared source, check every row against the
//! source's contract, and hand on typed frames plus the quarantine.
//!
//! Money is converted to the base currency here, at the rate of the event's
//! own day, because that rate does not depend on the as-of date; a row
//! whose rate is missing is quarantined at once, with the rest of its
//! source's accounting. Region names are matched through the org source.
//!
//! The frame each source becomes (`ms` columns are UTC epoch milliseconds,
//! `day` columns days since 1970-01-01, money is in the base currency,
//! regions are resolved names; `?` marks a nullable column):
//!
//! | source | columns |
//! |---|---|
//! | accounts | account_id, account_name?, industry?, region?, currency?, |
//! | | created_ms?, size? |
//! | opportunities | opportunity_id, account_id, stage, amount_base?, created_ms, |
//! | | closed_ms?, owner? |
//! | orders | order_id?, account_id, ts_ms, amount_base, currency?, is_return, region?, industry? |
//! | org, regions | region, director?, success_owner?, agent? |
//! | holidays | day, region |
//! | market | region, industry?, year, market_size |
//! | contracts | contract_id, account_id, product?, start_day, end_day?, amount_base?, renewed? |
//! | complaints | complaint_id?, account_id, created_ms, severe, category?, resolved_ms? |
//! | tickets | ticket_id?, account_id, opened_ms, closed_ms?, priority?, satisfaction? |
//! | web_events | account_id, ts_ms, session?, kind, count |
//! | social | account_id, ts_ms, channel?, kind?, sentiment? |
//! | channel_inventory | day, partner, region, product, on_hand, sold |
//! | competitor_prices | day, competitor, product, region, price_base, is_own |
//! | policies | policy_id, published_day, region, industry?, stance, title?, |
//! | | effective_day, end_day? |
//! | weather | day, region, temperature?, precipitation?, severe? |
//! | commodities | day, symbol, close, industries? |
//! | prospects | prospect_id, name?, region, industry?, size? |
//! | verifications | signal_id, verified_ms, outcome |
//!
//! `web_events.kind` is one of page_view, pricing_view, demo_request,
//! download or another lower-case word; `policies.stance` is incentive or
//! restriction; `social.sentiment` runs from -1 to 1; `commodities.industries`
//! lists industries separated by `;`.

mod csv_input;
pub mod decimal;
pub mod encoding;
mod events;
mod jsonl;
pub mod mapping;
mod market_data;
mod parquet_input;
pub mod parse;
pub mod reader;
mod rows;
mod sources;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;
use thiserror::Error;
use tracing::{info, warn};

use crate::config::Config;
use crate::contract::SourceKind;
use crate::fx::FxTable;
use crate::regions::RegionResolver;

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("source `{source_kind}`: no file matches {pattern}")]
    NoFiles {
        source_kind: SourceKind,
        pattern: String,
    },
    #[error("source `{source_kind}`: bad path pattern {pattern}: {message}")]
    Pattern {
        source_kind: SourceKind,
        pattern: String,
        message: String,
    },
    #[error("source `{source_kind}`, file {file}: {message}")]
    File {
        source_kind: SourceKind,
        file: PathBuf,
        message: String,
    },
    #[error("source `{source_kind}`, file {file}: contract not met: {message}")]
    Contract {
        source_kind: SourceKind,
        file: PathBuf,
        message: String,
    },
    #[error("source `{source_kind}`: cannot build its table: {message}")]
    Frame {
        source_kind: SourceKind,
        message: String,
    },
}

/// A refused input row and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantine {
    pub source: String,
    pub file: String,
    pub line: u64,
    pub column: String,
    pub value: String,
    pub reason: String,
}

/// What ingest did with one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStats {
    pub source: SourceKind,
    pub files: Vec<String>,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_quarantined: u64,
    pub content_hash: String,
    /// What was read but deserves a look, such as a file of a glob that
    /// lacks an optional column the other files have (read as null).
    pub notes: Vec<String>,
}

impl SourceStats {
    pub fn new(source: SourceKind) -> SourceStats {
        SourceStats {
            source,
            files: Vec::new(),
            rows_read: 0,
            rows_accepted: 0,
            rows_quarantined: 0,
            content_hash: String::new(),
            notes: Vec::new(),
        }
    }
}

/// Everything the later stages read. Absent sources have no frame.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub frames: BTreeMap<SourceKind, DataFrame>,
    pub fx: FxTable,
    pub regions: RegionResolver,
    /// Account ids of the accounts source, when one is declared.
    pub known_accounts: Option<std::collections::BTreeSet<String>>,
    pub stats: Vec<SourceStats>,
    pub quarantine: Vec<Quarantine>,
}

impl Ingested {
    pub fn frame(&self, kind: SourceKind) -> Option<&DataFrame> {
        self.frames.get(&kind)
    }
}

/// Reads every declared source. Sources are read in dependency order: FX
/// before anything with money, org before anything with regions.
pub fn ingest(config: &Config, data_dir: Option<&Path>) -> Result<Ingested, IngestError> {
    let root = config.data_root(data_dir);
    let mut ingested = Ingested {
        frames: BTreeMap::new(),
        fx: FxTable::new(&config.company.base_currency),
        regions: RegionResolver::new(&config.regions.aliases),
        known_accounts: None,
        stats: Vec::new(),
        quarantine: Vec::new(),
    };

    for kind in sources::READ_ORDER {
        let Some(source) = config.sources.get(&kind) else {
            if kind.feeds_features() {
                warn!(source = %kind, "source not declared; its features will be null");
            }
            continue;
        };

        let stats = sources::read(kind, source, config, &root, &mut ingested)?;
        info!(
            source = %kind,
            files = stats.files.len(),
            rows_read = stats.rows_read,
            rows_accepted = stats.rows_accepted,
            rows_quarantined = stats.rows_quarantined,
            "source ingested"
        );
        debug_assert_eq!(
            stats.rows_read,
            stats.rows_accepted + stats.rows_quarantined
        );
        ingested.stats.push(stats);
    }

    Ok(ingested)
}
