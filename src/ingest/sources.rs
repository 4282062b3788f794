//! The per-source rules that go beyond one cell: how each source's accepted
//! rows become its typed frame, and the row checks that need several
//! fields at once (a won deal needs a close date, money needs a rate).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::events::{
    ComplaintSink, ContractSink, ProspectSink, SocialSink, TicketSink, VerificationSink,
    WebEventSink,
};
use super::mapping::read_mapped as read_source;
use super::market_data::{
    CommoditySink, CompetitorPriceSink, InventorySink, PolicySink, WeatherSink,
};
use super::reader::{Problem, Row, RowSink};
use super::rows::FirstSeen;
use super::{IngestError, Ingested, SourceStats};
use crate::config::{Config, SourceConfig};
use crate::contract::SourceKind;
use crate::fx::FxTable;
use crate::ingest::parse;

/// FX first (money needs it), org next (regions need it), accounts before
/// every source keyed by account.
pub const READ_ORDER: [SourceKind; 20] = [
    SourceKind::FxRates,
    SourceKind::Regions,
    SourceKind::Org,
    SourceKind::Accounts,
    SourceKind::Opportunities,
    SourceKind::Orders,
    SourceKind::Holidays,
    SourceKind::Market,
    SourceKind::Contracts,
    SourceKind::Complaints,
    SourceKind::Tickets,
    SourceKind::WebEvents,
    SourceKind::Social,
    SourceKind::ChannelInventory,
    SourceKind::CompetitorPrices,
    SourceKind::Policies,
    SourceKind::Weather,
    SourceKind::Commodities,
    SourceKind::Prospects,
    SourceKind::Verifications,
];

pub fn read(
    kind: SourceKind,
    source: &SourceConfig,
    config: &Config,
    root: &Path,
    ingested: &mut Ingested,
) -> Result<SourceStats, IngestError> {
    let zone = config.company_zone();
    let quarantine = &mut ingested.quarantine;
    let money = Money {
        fx: &ingested.fx,
        base: &config.company.base_currency,
        config,
    };
    let known = ingested.known_accounts.as_ref();

    let (stats, frame) = match kind {
        SourceKind::FxRates => {
            let mut sink = FxSink {
                table: FxTable::new(&config.company.base_currency),
            };
            if let Some(layout) = &source.fx_layout {
                sink.table = FxTable::new(&layout.quote_base);
            }
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            sink.table.finish();
            base_is_quoted(&sink.table, &config.company.base_currency, &stats)?;
            ingested.fx = sink.table;
            return Ok(stats);
        }
        SourceKind::Org | SourceKind::Regions => {
            let mut sink = OrgSink::default();
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            for (region, aliases) in sink.regions.iter().zip(&sink.aliases) {
                ingested.regions.add(region, aliases);
            }
            (stats, sink.frame())
        }
        SourceKind::Accounts => {
            let mut sink = AccountSink::default();
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            ingested.known_accounts = Some(sink.ids.clone());
            (stats, sink.frame(&ingested.regions))
        }
        SourceKind::Opportunities => {
            let mut sink = OpportunitySink {
                money,
                known,
                rows: Default::default(),
            };
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::Orders => {
            let mut sink = OrderSink {
                money,
                known,
                lines: FirstSeen::default(),
                rows: Default::default(),
            };
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame(&ingested.regions))
        }
        SourceKind::Holidays => {
            let mut sink = HolidaySink::default();
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame(&ingested.regions))
        }
        SourceKind::Market => {
            let mut sink = MarketSink::default();
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame(&ingested.regions))
        }
        SourceKind::Contracts => {
            let mut sink = ContractSink::new(money, known);
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::Complaints => {
            let mut sink = ComplaintSink::new(known);
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::Tickets => {
            let mut sink = TicketSink::new(known);
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::WebEvents => {
            let mut sink = WebEventSink::new(known);
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::Social => {
            let mut sink = SocialSink::new(known);
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::ChannelInventory => {
            let mut sink = InventorySink::new(&ingested.regions);
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::CompetitorPrices => {
            let own = source.own_name.as_deref().unwrap_or(&config.company.name);
            let mut sink = CompetitorPriceSink::new(money, &ingested.regions, own);
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::Policies => {
            let mut sink = PolicySink::default();
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame(&ingested.regions))
        }
        SourceKind::Weather => {
            let mut sink = WeatherSink::new(&ingested.regions);
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::Commodities => {
            let mut sink = CommoditySink::new(&config.industry_symbols);
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
        SourceKind::Prospects => {
            let mut sink = ProspectSink::default();
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame(&ingested.regions))
        }
        SourceKind::Verifications => {
            let mut sink = VerificationSink::default();
            let stats = read_source(kind, source, root, zone, &mut sink, quarantine)?;
            (stats, sink.frame())
        }
    };

    let frame = frame.map_err(|e| IngestError::Frame {
        source_kind: kind,
        message: e.to_string(),
    })?;
    ingested.frames.insert(kind, frame);
    Ok(stats)
}

pub(super) fn text_column(name: &str, values: Vec<Option<String>>) -> Column {
    Series::new(name.into(), values).into()
}

/// Conversion of a row's amount to the base currency.
#[derive(Clone, Copy)]
pub(super) struct Money<'a> {
    pub(super) fx: &'a FxTable,
    pub(super) base: &'a str,
    pub(super) config: &'a Config,
}

impl Money<'_> {
    pub(super) fn to_base(self, row: &Row, amount: f64, at_millis: i64) -> Result<f64, Problem> {
        let currency = row
            .text("currency")
            .or_else(|| row.config.currency.clone())
            .ok_or_else(|| {
                Problem::new(
                    "currency",
                    "",
                    "no currency column and no `currency` in config",
                )
            })?;
        let day = parse::day_of_millis(at_millis);
        let carry = self.config.company.fx_max_carry_days;
        self.fx
            .convert(amount, &currency, self.base, day, carry)
            .map_err(|reason| Problem::new(&row.column_of("currency"), &currency, reason))
    }
}

struct FxSink {
    table: FxTable,
}

impl RowSink for FxSink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        match &row.config.fx_layout {
            Some(layout) => self.accept_wide(row, &layout.date_column),
            None => self.accept_long(row),
        }
    }
}

impl FxSink {
    /// One row of a wide table: a date, then units per quote unit for each
    /// currency column; empty or null cells mean no rate that day.
    fn accept_wide(&mut self, row: &Row, date_column: &str) -> Result<(), Problem> {
        let date_text = row.raw(date_column).unwrap_or("");
        let day = parse::date(date_text, &row.config.date_formats)
            .map_err(|reason| Problem::new(date_column, date_text, reason))?;

        let mut rates = Vec::new();
        for (column, text) in row.headers.iter().zip(row.cells.iter()) {
            let text = text.trim();
            if column == date_column || column.is_empty() || row.is_null(text) {
                continue;
            }
            let currency =
                parse::currency(column).map_err(|reason| Problem::new(column, text, reason))?;
            let rate = positive_rate(column, text)?;
            rates.push((currency, rate));
        }

        for (currency, rate) in rates {
            self.table.insert(&currency, day, rate);
        }
        Ok(())
    }

    /// A long row: `rate` is the value of one unit of the currency in the
    /// company base currency, so the quote currency is the base.
    fn accept_long(&mut self, row: &Row) -> Result<(), Problem> {
        let day = row.days("date").expect("required by contract");
        let currency = row.text("currency").expect("required by contract");
        let rate = row.number("rate").expect("required by contract");
        if rate <= 0.0 {
            return Err(Problem::new(
                &row.column_of("rate"),
                &rate.to_string(),
                "rate must be above 0",
            ));
        }
        self.table.insert(&currency, day, 1.0 / rate);
        Ok(())
    }
}

/// A base currency that no rate involves would refuse every amount in
/// another currency, row by row; it is a config mistake, said once.
fn base_is_quoted(table: &FxTable, base: &str, stats: &SourceStats) -> Result<(), IngestError> {
    let known = table.quote == base || table.series.contains_key(base);
    if known || stats.rows_accepted == 0 {
        return Ok(());
    }
    Err(IngestError::Contract {
        source_kind: SourceKind::FxRates,
        file: stats.files.first().map(PathBuf::from).unwrap_or_default(),
        message: format!(
            "company.base_currency `{base}` appears in no rate of this source \
             (quoted against {}); every amount in another currency would be refused",
            table.quote
        ),
    })
}

fn positive_rate(column: &str, text: &str) -> Result<f64, Problem> {
    let rate = parse::number(text).map_err(|reason| Problem::new(column, text, reason))?;
    if rate <= 0.0 {
        return Err(Problem::new(column, text, "rate must be above 0"));
    }
    Ok(rate)
}

#[derive(Default)]
struct OrgSink {
    regions: Vec<String>,
    aliases: Vec<Vec<String>>,
    director: Vec<Option<String>>,
    success_owner: Vec<Option<String>>,
    agent: Vec<Option<String>>,
    seen: BTreeSet<(String, Option<String>)>,
}

impl RowSink for OrgSink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let region = row.text("region").expect("required by contract");
        let agent = row.text("agent");
        if !self.seen.insert((region.to_lowercase(), agent.clone())) {
            let what = if agent.is_some() {
                "region and agent"
            } else {
                "region"
            };
            return Err(Problem::new(
                &row.column_of("region"),
                &region,
                format!("duplicate {what}"),
            ));
        }

        let aliases = row
            .config
            .region_aliases
            .iter()
            .filter_map(|column| row.raw(column))
            .filter(|alias| !alias.is_empty() && !row.is_null(alias))
            .map(str::to_string)
            .collect();

        self.regions.push(region);
        self.aliases.push(aliases);
        self.director.push(row.text("director"));
        self.success_owner.push(row.text("success_owner"));
        self.agent.push(agent);
        Ok(())
    }
}

impl OrgSink {
    fn frame(&self) -> PolarsResult<DataFrame> {
        let regions = self.regions.iter().cloned().map(Some).collect();
        DataFrame::new_infer_height(vec![
            text_column("region", regions),
            text_column("director", self.director.clone()),
            text_column("success_owner", self.success_owner.clone()),
            text_column("agent", self.agent.clone()),
        ])
    }
}

#[derive(Default)]
struct AccountSink {
    ids: BTreeSet<String>,
    account_id: Vec<Option<String>>,
    name: Vec<Option<String>>,
    industry: Vec<Option<String>>,
    region: Vec<Option<String>>,
    currency: Vec<Option<String>>,
    created_ms: Vec<Option<i64>>,
    size: Vec<Option<f64>>,
}

impl RowSink for AccountSink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let id = row.text("id").expect("required by contract");
        if !self.ids.insert(id.clone()) {
            return Err(Problem::new(
                &row.column_of("id"),
                &id,
                "duplicate account id",
            ));
        }

        self.account_id.push(Some(id));
        self.name.push(row.text("name"));
        self.industry.push(row.text("industry"));
        self.region
            .push(row.text("region").or_else(|| row.text("country")));
        self.currency.push(row.text("currency"));
        self.created_ms.push(row.millis("created"));
        self.size.push(row.number("size"));
        Ok(())
    }
}

impl AccountSink {
    fn frame(&self, regions: &crate::regions::RegionResolver) -> PolarsResult<DataFrame> {
        let resolved = self
            .region
            .iter()
            .map(|r| r.as_deref().map(|r| regions.resolve(r)));
        DataFrame::new_infer_height(vec![
            text_column("account_id", self.account_id.clone()),
            text_column("account_name", self.name.clone()),
            text_column("industry", self.industry.clone()),
            text_column("region", resolved.collect()),
            text_column("currency", self.currency.clone()),
            Series::new("created_ms".into(), self.created_ms.clone()).into(),
            Series::new("size".into(), self.size.clone()).into(),
        ])
    }
}

struct OpportunitySink<'a> {
    money: Money<'a>,
    known: Option<&'a BTreeSet<String>>,
    rows: OpportunityRows,
}

#[derive(Default)]
struct OpportunityRows {
    ids: BTreeSet<String>,
    opportunity_id: Vec<Option<String>>,
    account_id: Vec<Option<String>>,
    stage: Vec<Option<String>>,
    amount_base: Vec<Option<f64>>,
    created_ms: Vec<Option<i64>>,
    closed_ms: Vec<Option<i64>>,
    owner: Vec<Option<String>>,
}

impl RowSink for OpportunitySink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let id = row.text("id").expect("required by contract");
        known_account(row, self.known)?;
        let stage = deal_stage(row)?;
        let created = row.millis("created").expect("required by contract");
        let closed = row.millis("closed");
        if stage != "open" && closed.is_none() {
            let reason = format!("a {stage} deal needs a close date");
            return Err(Problem::new(&row.column_of("closed"), "", reason));
        }
        let amount = match row.number("amount") {
            Some(amount) => Some(self.money.to_base(row, amount, closed.unwrap_or(created))?),
            None => None,
        };
        if !self.rows.ids.insert(id.clone()) {
            return Err(Problem::new(
                &row.column_of("id"),
                &id,
                "duplicate opportunity id",
            ));
        }

        self.rows.opportunity_id.push(Some(id));
        self.rows.account_id.push(row.text("account"));
        self.rows.stage.push(Some(stage.to_string()));
        self.rows.amount_base.push(amount);
        self.rows.created_ms.push(Some(created));
        self.rows.closed_ms.push(closed);
        self.rows.owner.push(row.text("owner"));
        Ok(())
    }
}

/// With an accounts source declared, an event for an account it does not
/// list would be scored nowhere: it is quarantined instead.
pub(super) fn known_account(row: &Row, known: Option<&BTreeSet<String>>) -> Result<(), Problem> {
    let (Some(known), Some(account)) = (known, row.text("account")) else {
        return Ok(());
    };
    if known.contains(&account) {
        return Ok(());
    }
    let reason = "account is not in the accounts source";
    Err(Problem::new(&row.column_of("account"), &account, reason))
}

fn deal_stage(row: &Row) -> Result<&'static str, Problem> {
    let raw = row.text("stage").expect("required by contract");
    let stages = row
        .config
        .stages
        .as_ref()
        .expect("checked when config loads");
    let matches = |values: &[String]| values.iter().any(|v| v.eq_ignore_ascii_case(raw.trim()));

    if matches(&stages.won) {
        Ok("won")
    } else if matches(&stages.lost) {
        Ok("lost")
    } else if matches(&stages.open) {
        Ok("open")
    } else {
        Err(Problem::new(
            &row.column_of("stage"),
            &raw,
            "stage is none of the configured open, won or lost values",
        ))
    }
}

impl OpportunitySink<'_> {
    fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            text_column("opportunity_id", self.rows.opportunity_id.clone()),
            text_column("account_id", self.rows.account_id.clone()),
            text_column("stage", self.rows.stage.clone()),
            Series::new("amount_base".into(), self.rows.amount_base.clone()).into(),
            Series::new("created_ms".into(), self.rows.created_ms.clone()).into(),
            Series::new("closed_ms".into(), self.rows.closed_ms.clone()).into(),
            text_column("owner", self.rows.owner.clone()),
        ])
    }
}

struct OrderSink<'a> {
    money: Money<'a>,
    known: Option<&'a BTreeSet<String>>,
    lines: FirstSeen<[u8; 16]>,
    rows: OrderRows,
}

#[derive(Default)]
struct OrderRows {
    order_id: Vec<Option<String>>,
    account_id: Vec<Option<String>>,
    ts_ms: Vec<i64>,
    amount_base: Vec<f64>,
    currency: Vec<Option<String>>,
    is_return: Vec<bool>,
    region: Vec<Option<String>>,
    industry: Vec<Option<String>>,
}

impl RowSink for OrderSink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let at = row.millis("date").expect("required by contract");
        known_account(row, self.known)?;
        let amount = order_amount(row)?;
        let amount_base = self.money.to_base(row, amount, at)?;
        self.exact_copy(row)?;

        self.rows.order_id.push(row.text("id"));
        self.rows.account_id.push(row.text("account"));
        self.rows.ts_ms.push(at);
        self.rows.amount_base.push(amount_base);
        self.rows
            .currency
            .push(row.text("currency").or_else(|| row.config.currency.clone()));
        self.rows.is_return.push(is_return(row, amount));
        self.rows.region.push(row.text("region"));
        self.rows.industry.push(row.text("industry"));
        Ok(())
    }
}

impl OrderSink<'_> {
    /// A line equal in every column to an earlier accepted line is the same
    /// line exported twice. The key is a digest of the header and the
    /// values, so files of a glob only match when their columns agree.
    fn exact_copy(&mut self, row: &Row) -> Result<(), Problem> {
        use sha2::{Digest, Sha256};

        let mut digest = Sha256::new();
        for text in row
            .headers
            .iter()
            .map(String::as_str)
            .chain(row.cells.iter())
        {
            digest.update(text.trim().as_bytes());
            digest.update([0x1f]);
        }
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest.finalize()[..16]);
        self.lines.check(key, row, "id", "values in every column")
    }
}

/// The line amount: the amount column, or quantity times unit price.
fn order_amount(row: &Row) -> Result<f64, Problem> {
    if let Some(amount) = row.number("amount") {
        return Ok(amount);
    }
    if row.config.column("amount").is_some() {
        return Err(Problem::new(
            &row.column_of("amount"),
            "",
            "required value is missing",
        ));
    }

    let quantity = row.number("quantity");
    let price = row.number("unit_price");
    match (quantity, price) {
        (Some(q), Some(p)) => Ok(q * p),
        (None, _) => Err(Problem::new(
            &row.column_of("quantity"),
            "",
            "no amount: quantity is missing",
        )),
        (_, None) => Err(Problem::new(
            &row.column_of("unit_price"),
            "",
            "no amount: unit price is missing",
        )),
    }
}

/// A return is flagged by the source, by a marker such as a `C` invoice
/// prefix, or by a negative quantity or amount.
fn is_return(row: &Row, amount: f64) -> bool {
    let flagged = row.boolean("is_return").unwrap_or(false);
    let marked = row.config.return_marker.as_ref().is_some_and(|marker| {
        row.raw(&marker.column)
            .is_some_and(|v| v.starts_with(&marker.prefix))
    });
    let negative = amount < 0.0 || row.number("quantity").is_some_and(|q| q < 0.0);
    flagged || marked || negative
}

impl OrderSink<'_> {
    fn frame(&self, regions: &crate::regions::RegionResolver) -> PolarsResult<DataFrame> {
        let resolved = self
            .rows
            .region
            .iter()
            .map(|r| r.as_deref().map(|r| regions.resolve(r)));
        DataFrame::new_infer_height(vec![
            text_column("order_id", self.rows.order_id.clone()),
            text_column("account_id", self.rows.account_id.clone()),
            Series::new("ts_ms".into(), self.rows.ts_ms.clone()).into(),
            Series::new("amount_base".into(), self.rows.amount_base.clone()).into(),
            text_column("currency", self.rows.currency.clone()),
            Series::new("is_return".into(), self.rows.is_return.clone()).into(),
            text_column("region", resolved.collect()),
            text_column("industry", self.rows.industry.clone()),
        ])
    }
}

#[derive(Default)]
struct HolidaySink {
    day: Vec<i32>,
    region: Vec<String>,
}

impl RowSink for HolidaySink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        self.day
            .push(row.days("date").expect("required by contract"));
        self.region
            .push(row.text("region").expect("required by contract"));
        Ok(())
    }
}

impl HolidaySink {
    fn frame(&self, regions: &crate::regions::RegionResolver) -> PolarsResult<DataFrame> {
        let resolved: Vec<String> = self.region.iter().map(|r| regions.resolve(r)).collect();
        DataFrame::new_infer_height(vec![
            Series::new("day".into(), self.day.clone()).into(),
            Series::new("region".into(), resolved).into(),
        ])
    }
}

#[derive(Default)]
struct MarketSink {
    region: Vec<String>,
    industry: Vec<Option<String>>,
    year: Vec<i32>,
    market_size: Vec<f64>,
}

impl RowSink for MarketSink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let size = row.number("market_size").expect("required by contract");
        if size < 0.0 {
            let column = row.column_of("market_size");
            return Err(Problem::new(
                &column,
                &size.to_string(),
                "market size is negative",
            ));
        }

        self.region
            .push(row.text("region").expect("required by contract"));
        self.industry.push(row.text("industry"));
        self.year
            .push(row.year("year").expect("required by contract"));
        self.market_size.push(size);
        Ok(())
    }
}

impl MarketSink {
    fn frame(&self, regions: &crate::regions::RegionResolver) -> PolarsResult<DataFrame> {
        let resolved: Vec<String> = self.region.iter().map(|r| regions.resolve(r)).collect();
        DataFrame::new_infer_height(vec![
            Series::new("region".into(), resolved).into(),
            text_column("industry", self.industry.clone()),
            Series::new("year".into(), self.year.clone()).into(),
            Series::new("market_size".into(), self.market_size.clone()).into(),
        ])
    }
}
