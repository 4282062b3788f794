//! After-sales contact: complaints and service tickets. Discontented
//! customers (most fading ones as they go quiet, and a few grumbling ones
//! who stay) complain more, and more severely, and their tickets stay open
//! longer and are rated lower.

use anyhow::Result;
use chrono::{Duration, NaiveDate};
use rand::Rng;

use super::accounts::{Account, Archetype};
use super::calendar::{local_stamp, office_seconds, weekday_factor};
use super::random::{keyed, pick, poisson, Draws};
use super::world::COMPLAINT_CATEGORIES;
use super::{Flaws, Plan, Table, COMPLAINT_STREAM, TICKET_STREAM};
use crate::contract::SourceKind;

/// One customer's contacts: each day a Poisson number of them, whose mean
/// is `per_month` spread over the month and raised by discontent times
/// `sour_weight`; `write` gets each contact's day, discontent and number.
fn contacts(
    plan: &Plan,
    account: &Account,
    rng: &mut Draws,
    per_month: f64,
    sour_weight: f64,
    mut write: impl FnMut(&mut Draws, NaiveDate, f64, u32) -> Result<()>,
) -> Result<()> {
    let mut count = 0;
    for date in plan.period.dates().filter(|d| *d >= account.created) {
        let sour = account.discontent(date);
        let mean = per_month / 30.44 * (1.0 + sour_weight * sour) * weekday_factor(date);
        for _ in 0..poisson(rng, mean) {
            count += 1;
            write(rng, date, sour, count)?;
        }
    }
    Ok(())
}

pub fn write_complaints(plan: &Plan) -> Result<Table> {
    let header = [
        "complaint_id",
        "account_id",
        "created_at",
        "severity",
        "category",
        "resolved_at",
    ];
    let mut table = plan.table(SourceKind::Complaints, "complaints.csv", &header)?;

    for account in plan.accounts().filter(Account::is_customer) {
        let mut rng = keyed(plan.seed, COMPLAINT_STREAM, account.number);
        contacts(
            plan,
            &account,
            &mut rng,
            0.25,
            6.0,
            |rng, date, sour, count| {
                let id = format!("CP-{:06}-{count:04}", account.number);
                write_complaint(&mut table, rng, plan, &account, date, sour, &id)
            },
        )?;
    }
    Ok(table)
}

fn write_complaint(
    table: &mut Table,
    rng: &mut Draws,
    plan: &Plan,
    account: &Account,
    date: NaiveDate,
    sour: f64,
    id: &str,
) -> Result<()> {
    let severity = if rng.random_bool(0.1 + 0.6 * sour) {
        pick(rng, &["high", "critical"])
    } else {
        pick(rng, &["low", "medium"])
    };
    let (english, chinese) = pick(rng, &COMPLAINT_CATEGORIES);
    let category = if account.is_china() { chinese } else { english };

    let seconds = office_seconds(rng, date);
    let days_open = (rng.random_range(1.0f64..3.0) * (1.0 + 8.0 * sour)).ceil() as i64;
    let resolved = date + Duration::days(days_open);
    let never = rng.random_bool(0.5 * sour);
    let resolved_at = if resolved < plan.period.end && !never {
        local_stamp(account.region.zone, resolved, office_seconds(rng, resolved))
    } else {
        String::new()
    };

    let mut account_id = account.id.as_str();
    let mut created_at = local_stamp(account.region.zone, date, seconds);
    let bad = plan.flaws.strike(rng);
    if bad {
        if rng.random_bool(0.5) {
            account_id = "";
        } else {
            let day = Flaws::impossible_date(rng, date);
            created_at = format!("{day}{}", &created_at[10..]);
        }
    }
    let row = [
        id,
        account_id,
        &created_at,
        severity,
        category,
        &resolved_at,
    ];
    table.row_marked(bad, &row)
}

pub fn write_tickets(plan: &Plan) -> Result<Table> {
    let header = [
        "ticket_id",
        "account_id",
        "opened_at",
        "closed_at",
        "priority",
        "satisfaction",
    ];
    let mut table = plan.table(SourceKind::Tickets, "tickets.csv", &header)?;

    for account in plan.accounts().filter(Account::is_customer) {
        let mut rng = keyed(plan.seed, TICKET_STREAM, account.number);
        let per_month = match account.archetype {
            Archetype::Hot => 1.2,
            _ => 0.8,
        } * f64::from(account.segment.order_scale()).sqrt();
        contacts(
            plan,
            &account,
            &mut rng,
            per_month,
            2.0,
            |rng, date, sour, count| {
                let id = format!("TK-{:06}-{count:04}", account.number);
                write_ticket(&mut table, rng, plan, &account, date, sour, &id)
            },
        )?;
    }
    Ok(table)
}

fn write_ticket(
    table: &mut Table,
    rng: &mut Draws,
    plan: &Plan,
    account: &Account,
    date: NaiveDate,
    sour: f64,
    id: &str,
) -> Result<()> {
    let priority = pick(rng, &["P1", "P2", "P3", "P3", "P4"]);
    let opened = office_seconds(rng, date);
    let hours = rng.random_range(2.0f64..72.0) * (1.0 + 6.0 * sour);
    let closed_seconds = opened + (hours * 3600.0) as i64;
    let closed_day = date + Duration::days(closed_seconds.div_euclid(86_400));
    let still_open = closed_day >= plan.period.end || rng.random_bool(0.4 * sour);

    let (closed_at, satisfaction) = if still_open {
        (String::new(), String::new())
    } else {
        let zone = account.region.zone;
        let closed_at = local_stamp(zone, closed_day, closed_seconds.rem_euclid(86_400));
        let mean = 4.3 - 2.5 * sour;
        let score = (mean + rng.random_range(-1.0..1.0)).round().clamp(1.0, 5.0);
        (closed_at, format!("{score:.0}"))
    };

    let mut account_id = account.id.as_str();
    let mut opened_at = local_stamp(account.region.zone, date, opened);
    let mut satisfaction = satisfaction;
    let bad = plan.flaws.strike(rng);
    if bad {
        match rng.random_range(0..3) {
            0 => account_id = "",
            1 => {
                let day = Flaws::impossible_date(rng, date);
                opened_at = format!("{day}{}", &opened_at[10..]);
            }
            _ => satisfaction = Flaws::bad_number(rng).to_string(),
        }
    }
    let row = [
        id,
        account_id,
        &opened_at,
        &closed_at,
        priority,
        &satisfaction,
    ];
    table.row_marked(bad, &row)
}
