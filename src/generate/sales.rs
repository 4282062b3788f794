//! What accounts buy: deals (opportunities), order lines and service
//! contracts, each written account by account in time order.

use anyhow::Result;
use chrono::{Duration, NaiveDate, NaiveTime};
use rand::Rng;

use super::accounts::{Account, Archetype, Segment};
use super::calendar::{holiday, is_weekend, office_seconds, season_factor, weekday_factor};
use super::random::{keyed, normal, pick, pick_weighted, poisson, Draws};
use super::world::{Currency, Product, PRODUCTS};
use super::{Flaws, Plan, CONTRACT_STREAM, OPPORTUNITY_STREAM, ORDER_STREAM};
use crate::contract::SourceKind;

// ---------------------------------------------------------------------------
// Opportunities.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Open,
    Won,
    Lost,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Open => "Open",
            Stage::Won => "Won",
            Stage::Lost => "Lost",
        }
    }
}

pub fn write_opportunities(plan: &Plan) -> Result<super::Table> {
    let header = [
        "opportunity_id",
        "account_id",
        "product",
        "stage",
        "amount",
        "currency",
        "created_at",
        "closed_at",
        "owner",
    ];
    let mut table = plan.table(SourceKind::Opportunities, "opportunities.csv", &header)?;

    for account in plan.accounts() {
        let mut rng = keyed(plan.seed, OPPORTUNITY_STREAM, account.number);
        let mut count = 0;
        for date in plan.period.dates() {
            if !rng.random_bool(deal_chance(&account, date, plan)) {
                continue;
            }
            count += 1;
            let id = format!("OP-{:06}-{count:03}", account.number);
            write_deal(&mut table, &mut rng, plan, &account, date, &id)?;
        }
    }
    Ok(table)
}

/// Chance that a deal with the account is opened on this day.
fn deal_chance(account: &Account, date: NaiveDate, plan: &Plan) -> f64 {
    if date < account.created {
        return 0.0;
    }
    let per_month = match account.archetype {
        Archetype::Hot => 1.8 * (0.8 + 0.4 * plan.period.progress(date)),
        Archetype::Fading => 0.3 * account.fade(date),
        Archetype::Steady => match account.segment {
            Segment::Enterprise => 0.45,
            Segment::MidMarket => 0.3,
            Segment::Smb => 0.2,
        },
        Archetype::Prospect if account.attention == 0.0 => 0.0,
        Archetype::Prospect => 0.3,
    };
    let weekday = if is_weekend(date) { 0.1 } else { 1.36 };
    (per_month / 30.44 * weekday).clamp(0.0, 1.0)
}

fn write_deal(
    table: &mut super::Table,
    rng: &mut Draws,
    plan: &Plan,
    account: &Account,
    created: NaiveDate,
    id: &str,
) -> Result<()> {
    let product = pick(rng, &PRODUCTS);

    // Hot accounts close faster and buy bigger.
    let (pace, boost) = match account.archetype {
        Archetype::Hot => (0.6, 1.2),
        _ => (1.0, 1.0),
    };
    let cycle = account.segment.sales_cycle_days() * pace * (0.5 * normal(rng)).exp();
    let closed = created + Duration::days(cycle.round().clamp(3.0, 270.0) as i64);
    let (stage, closed) = if closed >= plan.period.end {
        (Stage::Open, None)
    } else if rng.random_bool(win_chance(account.archetype)) {
        (Stage::Won, Some(closed))
    } else {
        (Stage::Lost, Some(closed))
    };
    let eur = account.segment.deal_median_eur() * boost * (0.7 * normal(rng)).exp();
    let currency = account.region.currency;
    let owner = pick(rng, &account.region.sales_reps);

    let mut account_id = account.id.as_str();
    let mut amount = format_money(deal_amount_minor(eur, currency), currency);
    let mut created_at = created.to_string();
    let bad = plan.flaws.strike(rng);
    if bad {
        match rng.random_range(0..3) {
            0 => amount = Flaws::bad_number(rng).to_string(),
            1 => account_id = "",
            _ => created_at = Flaws::impossible_date(rng, created),
        }
    }

    let closed_at = closed.map(|date| date.to_string()).unwrap_or_default();
    table.row_marked(
        bad,
        &[
            id,
            account_id,
            product.name,
            stage.name(),
            &amount,
            currency.code,
            &created_at,
            &closed_at,
            owner,
        ],
    )
}

fn win_chance(archetype: Archetype) -> f64 {
    match archetype {
        Archetype::Hot => 0.8,
        Archetype::Steady => 0.45,
        Archetype::Fading => 0.3,
        Archetype::Prospect => 0.06,
    }
}

/// A deal amount in the account's minor units, rounded the way a sales rep
/// would type it: to tens of units, or to thousands of yen.
fn deal_amount_minor(eur: f64, currency: &Currency) -> i64 {
    let units = eur / currency.eur_per_unit;
    let step = if currency.minor_digits == 0 {
        1000.0
    } else {
        10.0
    };
    let rounded = ((units / step).round() * step).max(step);
    to_minor(rounded, currency)
}

// ---------------------------------------------------------------------------
// Orders.

pub fn write_orders(plan: &Plan) -> Result<super::Table> {
    let header = [
        "order_id",
        "account_id",
        "product",
        "ordered_at",
        "quantity",
        "amount",
        "currency",
    ];
    let mut table = plan.table(SourceKind::Orders, "orders.csv", &header)?;

    let mut times = Vec::new();
    for account in plan.accounts() {
        let mut rng = keyed(plan.seed, ORDER_STREAM, account.number);
        let mut count = 0;
        for date in plan.period.dates() {
            let lines = poisson(&mut rng, order_rate(&account, date, plan));
            times.clear();
            times.extend((0..lines).map(|_| office_seconds(&mut rng, date)));
            times.sort_unstable();
            for seconds in &times {
                count += 1;
                let id = format!("SO-{:06}-{count:05}", account.number);
                write_order(&mut table, &mut rng, plan, &account, date, *seconds, &id)?;
            }
        }
    }
    Ok(table)
}

/// Expected number of order lines from the account on this day.
fn order_rate(account: &Account, date: NaiveDate, plan: &Plan) -> f64 {
    if date < account.created {
        return 0.0;
    }
    let trend = match account.archetype {
        Archetype::Hot => 0.6 + 1.4 * plan.period.progress(date),
        Archetype::Fading => account.fade(date),
        Archetype::Steady if account.paused(date) => 0.03,
        Archetype::Steady => 1.0,
        Archetype::Prospect => return 0.0,
    };
    let holiday = if holiday(account.region, date).is_some() {
        0.2
    } else {
        1.0
    };

    account.segment.orders_per_month() / 30.44
        * account.appetite
        * trend
        * weekday_factor(date)
        * season_factor(date)
        * holiday
}

fn write_order(
    table: &mut super::Table,
    rng: &mut Draws,
    plan: &Plan,
    account: &Account,
    date: NaiveDate,
    seconds: i64,
    id: &str,
) -> Result<()> {
    let product = pick_weighted(rng, &PRODUCTS, |product| product.weight);
    let most_units = product.units * account.segment.order_scale();
    let mut quantity = i64::from(rng.random_range(1..=most_units));
    let return_share = match account.archetype {
        Archetype::Fading => 0.08,
        _ => 0.02,
    };
    if rng.random_bool(return_share) {
        quantity = -rng.random_range(1..=quantity.min(5));
    }
    let currency = account.region.currency;
    let at = date.and_time(NaiveTime::MIN) + Duration::seconds(seconds);

    let mut account_id = account.id.as_str();
    let mut amount = format_money(quantity * unit_price_minor(product, account), currency);
    let mut ordered_at = at.format("%Y-%m-%d %H:%M:%S").to_string();
    let bad = plan.flaws.strike(rng);
    if bad {
        match rng.random_range(0..3) {
            0 => amount = Flaws::bad_number(rng).to_string(),
            1 => account_id = "",
            _ => {
                let day = Flaws::impossible_date(rng, date);
                ordered_at = format!("{day} {}", at.format("%H:%M:%S"));
            }
        }
    }

    table.row_marked(
        bad,
        &[
            id,
            account_id,
            product.name,
            &ordered_at,
            &quantity.to_string(),
            &amount,
            currency.code,
        ],
    )
}

/// The account's price for one unit, in minor units of its currency.
fn unit_price_minor(product: &Product, account: &Account) -> i64 {
    let currency = account.region.currency;
    let eur = product.list_price_eur * (1.0 - account.discount);
    to_minor(eur / currency.eur_per_unit, currency)
}

// ---------------------------------------------------------------------------
// Contracts.

/// Yearly service contracts of every customer, renewed back to back while
/// the customer is content. A fading customer stops renewing as it goes
/// quiet; a contract still running at the end has no renewal answer yet.
pub fn write_contracts(plan: &Plan) -> Result<super::Table> {
    let header = [
        "contract_id",
        "account_id",
        "product",
        "start_date",
        "end_date",
        "annual_value",
        "currency",
        "renewed",
    ];
    let mut table = plan.table(SourceKind::Contracts, "contracts.csv", &header)?;

    for account in plan.accounts().filter(Account::is_customer) {
        let mut rng = keyed(plan.seed, CONTRACT_STREAM, account.number);
        let first = account.created.max(plan.period.start);
        let mut start = first + Duration::days(rng.random_range(0..90));
        let mut count = 0;
        while start < plan.period.end {
            count += 1;
            let end = start + Duration::days(365);
            let renews = renews(&account, end, &mut rng);
            let renewed = match (end < plan.period.end, renews) {
                (false, _) => "",
                (true, true) => "yes",
                (true, false) => "no",
            };
            let id = format!("CT-{:06}-{count:02}", account.number);
            write_contract(
                &mut table, &mut rng, plan, &account, start, end, renewed, &id,
            )?;
            if !renews {
                break;
            }
            start = end;
        }
    }
    Ok(table)
}

fn renews(account: &Account, end: NaiveDate, rng: &mut Draws) -> bool {
    match account.fades_out {
        Some(fades_out) => end < fades_out - Duration::days(90),
        None => rng.random_bool(0.92),
    }
}

#[allow(clippy::too_many_arguments)]
fn write_contract(
    table: &mut super::Table,
    rng: &mut Draws,
    plan: &Plan,
    account: &Account,
    start: NaiveDate,
    end: NaiveDate,
    renewed: &str,
    id: &str,
) -> Result<()> {
    let currency = account.region.currency;
    let eur = 2_400.0 * f64::from(account.segment.order_scale()) * rng.random_range(0.8..1.3);
    let product = if rng.random_bool(0.7) {
        "Service Plan"
    } else {
        "Analytics Licence"
    };

    let mut account_id = account.id.as_str();
    let mut value = format_money(deal_amount_minor(eur, currency), currency);
    let mut start_date = start.to_string();
    let bad = plan.flaws.strike(rng);
    if bad {
        match rng.random_range(0..3) {
            0 => value = Flaws::bad_number(rng).to_string(),
            1 => account_id = "",
            _ => start_date = Flaws::impossible_date(rng, start),
        }
    }

    table.row_marked(
        bad,
        &[
            id,
            account_id,
            product,
            &start_date,
            &end.to_string(),
            &value,
            currency.code,
            renewed,
        ],
    )
}

// ---------------------------------------------------------------------------
// Money.

pub fn format_money(minor: i64, currency: &Currency) -> String {
    if currency.minor_digits == 0 {
        return minor.to_string();
    }
    let scale = 10u64.pow(currency.minor_digits);
    let sign = if minor < 0 { "-" } else { "" };
    let units = minor.unsigned_abs();
    let width = currency.minor_digits as usize;
    format!("{sign}{}.{:0width$}", units / scale, units % scale)
}

pub fn to_minor(amount: f64, currency: &Currency) -> i64 {
    (amount * 10f64.powi(currency.minor_digits as i32)).round() as i64
}
