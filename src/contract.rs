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
}

impl SourceKind {
    pub const ALL: [SourceKind; 8] = [
        SourceKind::Accounts,
        SourceKind::Opportunities,
        SourceKind::Orders,
        SourceKind::Org,
        SourceKind::FxRates,
        SourceKind::Holidays,
        SourceKind::Market,
        SourceKind::Regions,
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
        }
    }

    /// Whether features are computed from this source (reference lists
    /// such as org and regions only resolve names and owners).
    pub fn feeds_features(self) -> bool {
        !matches!(self, SourceKind::Org | SourceKind::Regions)
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
