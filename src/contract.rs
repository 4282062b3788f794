//! Source contracts: for each kind of source, the canonical fields the
//! pipeline reads, their types and whether a row without them is usable.
//!
//! A column mapping in config names which file column feeds each field; the
//! contract says what a valid value is. Ingest checks every row against it.

use std::fmt;

use serde::Deserialize;

/// The sources this version reads (DESIGN.md section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Accounts,
    Opportunities,
    Orders,
    Org,
    FxRates,
    Holidays,
    Market,
    /// A reference list of regions with the codes and names they go by.
    Regions,
    Contracts,
    Complaints,
    Tickets,
    WebEvents,
    Social,
    ChannelInventory,
    CompetitorPrices,
    Policies,
    Weather,
    Commodities,
    /// Companies that are not customers yet, for white space.
    Prospects,
    /// What people found when they acted on a signal.
    Verifications,
}

impl SourceKind {
    pub const ALL: [SourceKind; 20] = [
        SourceKind::Accounts,
        SourceKind::Opportunities,
        SourceKind::Orders,
        SourceKind::Org,
        SourceKind::FxRates,
        SourceKind::Holidays,
        SourceKind::Market,
        SourceKind::Regions,
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

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Accounts => "accounts",
            SourceKind::Opportunities => "opportunities",
            SourceKind::Orders => "orders",
            SourceKind::Org => "org",
            SourceKind::FxRates => "fx_rates",
            SourceKind::Holidays => "holidays",
            SourceKind::Market => "market",
            SourceKind::Regions => "regions",
            SourceKind::Contracts => "contracts",
            SourceKind::Complaints => "complaints",
            SourceKind::Tickets => "tickets",
            SourceKind::WebEvents => "web_events",
            SourceKind::Social => "social",
            SourceKind::ChannelInventory => "channel_inventory",
            SourceKind::CompetitorPrices => "competitor_prices",
            SourceKind::Policies => "policies",
            SourceKind::Weather => "weather",
            SourceKind::Commodities => "commodities",
            SourceKind::Prospects => "prospects",
            SourceKind::Verifications => "verifications",
        }
    }

    /// Whether features are computed from this source (reference lists
    /// such as org and regions only resolve names and owners; prospects
    /// feed white space and verifications feed signal follow-up).
    pub fn feeds_features(self) -> bool {
        !matches!(
            self,
            SourceKind::Org
                | SourceKind::Regions
                | SourceKind::Prospects
                | SourceKind::Verifications
        )
    }

    pub fn contract(self) -> &'static [Field] {
        match self {
            SourceKind::Accounts => ACCOUNTS,
            SourceKind::Opportunities => OPPORTUNITIES,
            SourceKind::Orders => ORDERS,
            SourceKind::Org => ORG,
            SourceKind::FxRates => FX_RATES,
            SourceKind::Holidays => HOLIDAYS,
            SourceKind::Market => MARKET,
            SourceKind::Regions => REGIONS,
            SourceKind::Contracts => CONTRACTS,
            SourceKind::Complaints => COMPLAINTS,
            SourceKind::Tickets => TICKETS,
            SourceKind::WebEvents => WEB_EVENTS,
            SourceKind::Social => SOCIAL,
            SourceKind::ChannelInventory => CHANNEL_INVENTORY,
            SourceKind::CompetitorPrices => COMPETITOR_PRICES,
            SourceKind::Policies => POLICIES,
            SourceKind::Weather => WEATHER,
            SourceKind::Commodities => COMMODITIES,
            SourceKind::Prospects => PROSPECTS,
            SourceKind::Verifications => VERIFICATIONS,
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a valid value of a field looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// An identifier: kept as text, trimmed, never parsed as a number.
    Id,
    Text,
    /// A decimal number; thousands separators and currency signs allowed.
    Number,
    /// A point in time; naive values are read in the source's zone.
    Timestamp,
    /// A calendar day.
    Date,
    /// A calendar year such as 2011.
    Year,
    /// true/false, yes/no, 1/0.
    Bool,
    /// A deal stage, mapped to open, won or lost by the source's config.
    Stage,
    /// An ISO 4217 currency code; RMB is read as CNY.
    Currency,
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldType,
    pub required: bool,
}

const fn req(name: &'static str, kind: FieldType) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: FieldType) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

use FieldType::*;

const ACCOUNTS: &[Field] = &[
    req("id", Id),
    opt("name", Text),
    opt("industry", Text),
    opt("region", Text),
    opt("city", Text),
    opt("country", Text),
    opt("currency", Currency),
    opt("created", Timestamp),
    opt("segment", Text),
    opt("size", Number),
];

const OPPORTUNITIES: &[Field] = &[
    req("id", Id),
    req("account", Id),
    opt("product", Text),
    req("stage", Stage),
    opt("amount", Number),
    opt("currency", Currency),
    req("created", Timestamp),
    opt("closed", Timestamp),
    opt("owner", Text),
];

const ORDERS: &[Field] = &[
    opt("id", Id),
    req("account", Id),
    opt("product", Text),
    req("date", Timestamp),
    opt("quantity", Number),
    req("amount", Number),
    opt("unit_price", Number),
    opt("currency", Currency),
    opt("is_return", Bool),
    opt("region", Text),
    opt("industry", Text),
];

const ORG: &[Field] = &[
    req("region", Text),
    opt("director", Text),
    opt("success_owner", Text),
    opt("city_managers", Text),
    opt("time_zone", Text),
    opt("agent", Text),
];

const FX_RATES: &[Field] = &[
    req("date", Date),
    req("currency", Currency),
    req("rate", Number),
];

const HOLIDAYS: &[Field] = &[req("date", Date), req("region", Text), opt("name", Text)];

const MARKET: &[Field] = &[
    req("region", Text),
    opt("industry", Text),
    req("year", Year),
    req("market_size", Number),
    opt("firms", Number),
];

const REGIONS: &[Field] = &[req("region", Text)];

const CONTRACTS: &[Field] = &[
    req("id", Id),
    req("account", Id),
    opt("product", Text),
    req("start", Date),
    opt("end", Date),
    opt("amount", Number),
    opt("currency", Currency),
    // Text, so that `values` can map spellings such as a churn flag.
    opt("renewed", Text),
];

const COMPLAINTS: &[Field] = &[
    opt("id", Id),
    req("account", Id),
    req("created", Timestamp),
    opt("severity", Text),
    opt("category", Text),
    opt("resolved", Timestamp),
];

const TICKETS: &[Field] = &[
    opt("id", Id),
    req("account", Id),
    req("opened", Timestamp),
    opt("closed", Timestamp),
    opt("priority", Text),
    opt("satisfaction", Number),
];

const WEB_EVENTS: &[Field] = &[
    req("time", Timestamp),
    req("account", Id),
    opt("session", Text),
    req("kind", Text),
    opt("count", Number),
];

const SOCIAL: &[Field] = &[
    // Only used to refuse the same interaction twice; not in the frame.
    opt("id", Id),
    req("time", Timestamp),
    req("account", Id),
    opt("channel", Text),
    opt("kind", Text),
    opt("sentiment", Text),
];

const CHANNEL_INVENTORY: &[Field] = &[
    req("date", Date),
    req("partner", Text),
    req("region", Text),
    req("product", Text),
    req("on_hand", Number),
    req("sold", Number),
];

const COMPETITOR_PRICES: &[Field] = &[
    req("date", Date),
    req("competitor", Text),
    req("product", Text),
    req("region", Text),
    req("price", Number),
    opt("currency", Currency),
];

const POLICIES: &[Field] = &[
    req("id", Id),
    req("published", Date),
    req("region", Text),
    opt("industry", Text),
    req("stance", Text),
    opt("title", Text),
    opt("effective", Date),
    opt("ends", Date),
];

const WEATHER: &[Field] = &[
    req("date", Date),
    req("region", Text),
    opt("temperature", Number),
    opt("precipitation", Number),
    opt("severe", Text),
];

const COMMODITIES: &[Field] = &[
    req("date", Date),
    req("symbol", Text),
    req("close", Number),
    opt("industries", Text),
];

const PROSPECTS: &[Field] = &[
    req("id", Id),
    opt("name", Text),
    req("region", Text),
    opt("industry", Text),
    opt("size", Number),
];

const VERIFICATIONS: &[Field] = &[
    req("signal_id", Id),
    req("verified", Timestamp),
    req("outcome", Text),
];

/// The web event kinds features count; other kinds are kept lower-cased.
pub const WEB_EVENT_KINDS: [&str; 4] = ["page_view", "pricing_view", "demo_request", "download"];

/// The stances a policy document can take.
pub const POLICY_STANCES: [&str; 2] = ["incentive", "restriction"];

/// Complaint severities that count as severe when the source maps none.
pub const DEFAULT_SEVERE: [&str; 4] = ["high", "severe", "critical", "urgent"];

/// The canonical values a `values` mapping may name for a field with a
/// fixed vocabulary; `None` when any canonical text is allowed (numbers
/// for sentiment are checked separately).
pub fn vocabulary(kind: SourceKind, field: &str) -> Option<&'static [&'static str]> {
    match (kind, field) {
        (SourceKind::WebEvents, "kind") => Some(&WEB_EVENT_KINDS),
        (SourceKind::Policies, "stance") => Some(&POLICY_STANCES),
        (SourceKind::Complaints, "severity") => Some(&["severe", "not_severe"]),
        (SourceKind::Weather, "severe") | (SourceKind::Contracts, "renewed") => {
            Some(&["true", "false"])
        }
        _ => None,
    }
}
