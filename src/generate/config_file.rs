//! The `radar.toml` that reads the generated files: company settings,
//! signal rules and one mapping per source, with the column names, value
//! spellings, encodings and quality limits of the files as written.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::engagement::WEB_KINDS;
use super::markets::STANCES;
use super::table::FileEncoding;
use super::world::{COMMODITIES, INDUSTRIES};
use super::Plan;
use crate::contract::SourceKind;

const HEADER: &str = r#"# Reads the generated files in this folder (see manifest.json).

[company]
name = "Brightmoor Instruments"
time_zone = "Europe/Berlin"
base_currency = "EUR"
sales_vp = "Maren Holt"
fx_max_carry_days = 7

[model]
horizon_days = 90
training_cutoffs = 6
cutoff_step_days = 30

[signals]
high_probability_min = 85.0
high_probability_due_minutes = 30
churn_risk_max = 35.0
churn_risk_due_minutes = 2880
white_space_due_minutes = 1440

[white_space]
cells = 5
max_customers = 3
cagr_years = 3

# The holiday and channel feeds name countries by ISO code.
[regions.aliases]
DE = "Germany"
FR = "France"
GB = "United Kingdom"
US = "United States"
CN = "China"
JP = "Japan"
"#;

/// Writes the config to `path`, declaring every source.
pub fn write(plan: &Plan, path: &Path) -> Result<()> {
    let mut text = HEADER.to_string();
    text.push_str(&industry_symbols());
    for kind in SourceKind::ALL {
        text.push('\n');
        text.push_str(&source(plan, kind));
    }
    std::fs::write(path, text).with_context(|| format!("cannot write config {}", path.display()))
}

/// One `[sources.<kind>]` table with its sub-tables.
fn source(plan: &Plan, kind: SourceKind) -> String {
    let (file, comment, columns, extra) = mapping(kind);
    let name = kind.name();
    let mut text = String::new();
    for line in comment.lines() {
        let _ = writeln!(text, "# {line}");
    }
    let _ = writeln!(text, "[sources.{name}]\npath = \"{file}\"");
    if plan.encoding_of(kind) == FileEncoding::Gbk {
        text.push_str("encoding = \"gbk\"\n");
    }
    text.push_str(extra);

    if !columns.is_empty() {
        let _ = writeln!(text, "\n[sources.{name}.columns]");
    }
    for (field, column) in columns {
        let _ = writeln!(text, "{field} = \"{column}\"");
    }
    text.push_str(&values(kind));
    text.push_str(&checks(plan, kind));
    text
}

type Columns = &'static [(&'static str, &'static str)];

/// File, comment, field -> column, and settings of each source.
fn mapping(kind: SourceKind) -> (&'static str, &'static str, Columns, &'static str) {
    match kind {
        SourceKind::Accounts => (
            "accounts.csv",
            "",
            &[
                ("id", "account_id"),
                ("name", "name"),
                ("industry", "industry"),
                ("region", "region"),
                ("city", "city"),
                ("country", "country"),
                ("currency", "currency"),
                ("created", "created"),
                ("segment", "segment"),
                ("size", "employees"),
            ],
            "date_formats = [\"%Y-%m-%d\"]\n",
        ),
        SourceKind::Opportunities => (
            "opportunities.csv",
            "",
            &[
                ("id", "opportunity_id"),
                ("account", "account_id"),
                ("product", "product"),
                ("stage", "stage"),
                ("amount", "amount"),
                ("currency", "currency"),
                ("created", "created_at"),
                ("closed", "closed_at"),
                ("owner", "owner"),
            ],
            "date_formats = [\"%Y-%m-%d\"]\n\n\
             [sources.opportunities.stages]\n\
             open = [\"Open\"]\nwon = [\"Won\"]\nlost = [\"Lost\"]\n",
        ),
        SourceKind::Orders => (
            "orders.csv",
            "Order times are naive local times of the company's ERP in Berlin.\n\
             Returns carry a negative quantity and amount.",
            &[
                ("id", "order_id"),
                ("account", "account_id"),
                ("product", "product"),
                ("date", "ordered_at"),
                ("quantity", "quantity"),
                ("amount", "amount"),
                ("currency", "currency"),
            ],
            "time_zone = \"Europe/Berlin\"\ndate_formats = [\"%Y-%m-%d %H:%M:%S\"]\n",
        ),
        SourceKind::Org => (
            "org.csv",
            "",
            &[
                ("region", "region"),
                ("director", "director"),
                ("success_owner", "success_owner"),
                ("city_managers", "city_managers"),
                ("time_zone", "time_zone"),
            ],
            "",
        ),
        SourceKind::FxRates => (
            "fx_rates.csv",
            "Rates are the value of one unit of the currency in EUR.",
            &[("date", "date"), ("currency", "currency"), ("rate", "rate")],
            "date_formats = [\"%Y-%m-%d\"]\n",
        ),
        SourceKind::Holidays => (
            "holidays.csv",
            "",
            &[("date", "date"), ("region", "country"), ("name", "name")],
            "date_formats = [\"%Y-%m-%d\"]\n",
        ),
        SourceKind::Market => (
            "market.csv",
            "",
            &[
                ("region", "region"),
                ("industry", "industry"),
                ("year", "year"),
                ("market_size", "market_size"),
                ("firms", "firms"),
            ],
            "currency = \"EUR\"\n",
        ),
        SourceKind::Regions => (
            "regions.csv",
            "Every market region, also known by its ISO code and its own name.",
            &[("region", "region")],
            "region_aliases = [\"code\", \"local_name\"]\n",
        ),
        SourceKind::Contracts => (
            "contracts.csv",
            "Yearly service contracts; `renewed` is empty while one runs.",
            &[
                ("id", "contract_id"),
                ("account", "account_id"),
                ("product", "product"),
                ("start", "start_date"),
                ("end", "end_date"),
                ("amount", "annual_value"),
                ("currency", "currency"),
                ("renewed", "renewed"),
            ],
            "date_formats = [\"%Y-%m-%d\"]\n",
        ),
        SourceKind::Complaints => (
            "complaints.csv",
            "Times carry the offset of the account's own zone.",
            &[
                ("id", "complaint_id"),
                ("account", "account_id"),
                ("created", "created_at"),
                ("severity", "severity"),
                ("category", "category"),
                ("resolved", "resolved_at"),
            ],
            "",
        ),
        SourceKind::Tickets => (
            "tickets.csv",
            "Satisfaction is rated 1 to 5 when a ticket closes.",
            &[
                ("id", "ticket_id"),
                ("account", "account_id"),
                ("opened", "opened_at"),
                ("closed", "closed_at"),
                ("priority", "priority"),
                ("satisfaction", "satisfaction"),
            ],
            "",
        ),
        SourceKind::WebEvents => (
            "web_events.csv",
            "",
            &[
                ("time", "event_time"),
                ("account", "account_id"),
                ("session", "session_id"),
                ("kind", "event"),
                ("count", "count"),
            ],
            "",
        ),
        SourceKind::Social => (
            "social.csv",
            "Sentiment is a score from -1 to 1.",
            &[
                ("time", "posted_at"),
                ("account", "account_id"),
                ("channel", "channel"),
                ("kind", "kind"),
                ("sentiment", "sentiment"),
            ],
            "",
        ),
        SourceKind::ChannelInventory => (
            "channel_inventory.csv",
            "Partners name regions by ISO code.",
            &[
                ("date", "date"),
                ("partner", "partner"),
                ("region", "region"),
                ("product", "product"),
                ("on_hand", "on_hand"),
                ("sold", "sold"),
            ],
            "date_formats = [\"%Y-%m-%d\"]\n",
        ),
        SourceKind::CompetitorPrices => (
            "competitor_prices.csv",
            "Our own list prices are in the feed under our own name.",
            &[
                ("date", "date"),
                ("competitor", "competitor"),
                ("product", "product"),
                ("region", "region"),
                ("price", "price"),
                ("currency", "currency"),
            ],
            "date_formats = [\"%Y-%m-%d\"]\nown_name = \"Brightmoor Instruments\"\n",
        ),
        SourceKind::Policies => (
            "policies.csv",
            "",
            &[
                ("id", "policy_id"),
                ("published", "published"),
                ("region", "region"),
                ("industry", "industry"),
                ("stance", "stance"),
                ("title", "title"),
                ("effective", "effective"),
                ("ends", "ends"),
            ],
            "date_formats = [\"%Y-%m-%d\"]\n",
        ),
        SourceKind::Weather => (
            "weather/*.csv",
            "One file per region, named by the region's ISO code.",
            &[
                ("date", "date"),
                ("temperature", "temp_c"),
                ("precipitation", "precip_mm"),
                ("severe", "severe_warning"),
            ],
            "date_formats = [\"%Y-%m-%d\"]\n\n\
             [sources.weather.constants]\nregion = \"{file_stem}\"\n",
        ),
        SourceKind::Commodities => (
            "commodities.csv",
            "A date column, then one column of closes per symbol; the\n\
             industries each symbol feeds are in [industry_symbols].",
            &[],
            "date_formats = [\"%Y-%m-%d\"]\nwide = { date_column = \"date\" }\n",
        ),
        SourceKind::Prospects => (
            "prospects.csv",
            "Companies that are not customers yet.",
            &[
                ("id", "prospect_id"),
                ("name", "company"),
                ("region", "region"),
                ("industry", "industry"),
                ("size", "employees"),
            ],
            "",
        ),
        SourceKind::Verifications => (
            "verifications.csv",
            "",
            &[
                ("signal_id", "signal_id"),
                ("verified", "verified_at"),
                ("outcome", "outcome"),
            ],
            "",
        ),
    }
}

/// Industry -> the commodity symbols of its input costs.
fn industry_symbols() -> String {
    let mut text = String::from("\n[industry_symbols]\n");
    for industry in &INDUSTRIES {
        let symbols: Vec<String> = COMMODITIES
            .iter()
            .filter(|c| c.3.contains(&industry.name))
            .map(|c| format!("\"{}\"", c.0))
            .collect();
        let _ = writeln!(text, "{} = [{}]", industry.name, symbols.join(", "));
    }
    text
}

/// The `values` table: raw spellings of fixed vocabularies.
fn values(kind: SourceKind) -> String {
    let mut text = String::new();
    match kind {
        SourceKind::WebEvents => {
            text.push_str("\n[sources.web_events.values.kind]\n");
            for (canonical, raw) in WEB_KINDS {
                let _ = writeln!(text, "{canonical} = [\"{raw}\"]");
            }
        }
        SourceKind::Policies => {
            text.push_str("\n[sources.policies.values.stance]\n");
            for stance in ["incentive", "restriction"] {
                let raw: Vec<String> = STANCES
                    .iter()
                    .filter(|(s, _)| *s == stance)
                    .map(|(_, raw)| format!("\"{raw}\""))
                    .collect();
                let _ = writeln!(text, "{stance} = [{}]", raw.join(", "));
            }
        }
        _ => {}
    }
    text
}

/// Quality limits: event feeds may lose a few rows and must be fresh.
fn checks(plan: &Plan, kind: SourceKind) -> String {
    if !matches!(
        kind,
        SourceKind::Orders
            | SourceKind::Opportunities
            | SourceKind::WebEvents
            | SourceKind::Tickets
    ) {
        return String::new();
    }
    let share = (plan.flaws.share * 4.0).clamp(0.01, 1.0);
    format!(
        "\n[sources.{}.checks]\nmax_quarantined_share = {share:.3}\n\
         freshness_warn_days = 3\nfreshness_error_days = 14\n",
        kind.name()
    )
}
