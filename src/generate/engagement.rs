//! How accounts engage with us before and after they buy: visits to our
//! web site, what they say about us on social channels, and the field
//! checks of signals raised on earlier nights.
//!
//! Hot accounts look at prices and ask for demos more and more as the
//! history goes on; fading accounts visit less and speak worse of us.

use anyhow::Result;
use chrono::{Duration, NaiveDate};
use rand::Rng;

use super::accounts::{Account, Archetype, Plant};
use super::calendar::{local_stamp, office_seconds, weekday_factor};
use super::random::{keyed, normal, pick, poisson, Draws};
use super::{Flaws, Plan, Table, SOCIAL_STREAM, VERIFICATION_STREAM, WEB_STREAM};
use crate::contract::SourceKind;
use crate::signals::signal_id;

/// Raw event names of the web analytics export, with the canonical kind
/// each means (the config maps them).
pub const WEB_KINDS: [(&str, &str); 4] = [
    ("page_view", "view"),
    ("pricing_view", "pricing"),
    ("demo_request", "demo"),
    ("download", "whitepaper"),
];

/// Buying intent on a day, from 0 to about 1.
fn intent(account: &Account, date: NaiveDate, plan: &Plan) -> f64 {
    let progress = plan.period.progress(date);
    match account.archetype {
        Archetype::Hot => 0.3 + 0.6 * progress * progress,
        Archetype::Steady => 0.12,
        Archetype::Fading => 0.05 * account.fade(date),
        Archetype::Prospect => 0.08,
    }
}

fn visits_per_day(account: &Account, date: NaiveDate, plan: &Plan) -> f64 {
    let trend = match account.archetype {
        Archetype::Hot => 1.0 + 2.0 * plan.period.progress(date),
        Archetype::Fading => 0.2 + 0.8 * account.fade(date),
        Archetype::Steady => 1.0,
        Archetype::Prospect => 0.5,
    };
    0.12 * account.attention * trend * weekday_factor(date)
}

pub fn write_web_events(plan: &Plan) -> Result<Table> {
    let header = ["event_time", "account_id", "session_id", "event", "count"];
    let mut table = plan.table(SourceKind::WebEvents, "web_events.csv", &header)?;

    for account in plan.accounts() {
        let mut rng = keyed(plan.seed, WEB_STREAM, account.number);
        let mut sessions = 0;
        for date in plan.period.dates().filter(|d| *d >= account.created) {
            let visits = poisson(&mut rng, visits_per_day(&account, date, plan));
            for _ in 0..visits {
                sessions += 1;
                let session = format!("W{:06}-{sessions:05}", account.number);
                let intent = intent(&account, date, plan);
                write_session(&mut table, &mut rng, plan, &account, date, intent, &session)?;
            }
        }
    }
    Ok(table)
}

/// One visit: page views, then perhaps prices, a demo request or a
/// download, a minute or so apart.
fn write_session(
    table: &mut Table,
    rng: &mut Draws,
    plan: &Plan,
    account: &Account,
    date: NaiveDate,
    intent: f64,
    session: &str,
) -> Result<()> {
    let mut seconds = office_seconds(rng, date).min(86_000);
    let pages = 1 + poisson(rng, 2.0);
    let mut events: Vec<(usize, u32)> = vec![(0, pages)];
    if rng.random_bool(intent.min(0.95)) {
        events.push((1, 1 + poisson(rng, 1.0)));
    }
    if rng.random_bool((0.25 * intent).min(0.5)) {
        events.push((2, 1));
    }
    if rng.random_bool(0.08) {
        events.push((3, 1));
    }

    for (kind, count) in events {
        let mut account_id = account.id.as_str();
        let mut time = local_stamp(account.region.zone, date, seconds);
        let mut count = count.to_string();
        let bad = plan.flaws.strike(rng);
        if bad {
            match rng.random_range(0..3) {
                0 => account_id = "",
                1 => time = format!("{}{}", Flaws::impossible_date(rng, date), &time[10..]),
                _ => count = Flaws::bad_number(rng).to_string(),
            }
        }
        let event = WEB_KINDS[kind].1;
        table.row_marked(bad, &[&time, account_id, session, event, &count])?;
        seconds = (seconds + rng.random_range(20..240)).min(86_399);
    }
    Ok(())
}

pub fn write_social(plan: &Plan) -> Result<Table> {
    let header = ["posted_at", "account_id", "channel", "kind", "sentiment"];
    let mut table = plan.table(SourceKind::Social, "social.csv", &header)?;

    for account in plan.accounts() {
        let mut rng = keyed(plan.seed, SOCIAL_STREAM, account.number);
        let channels: [&str; 2] = if account.is_china() {
            ["weibo", "wechat"]
        } else {
            ["linkedin", "x"]
        };
        for date in plan.period.dates().filter(|d| *d >= account.created) {
            let mean = 0.03 * account.attention * weekday_factor(date);
            for _ in 0..poisson(&mut rng, mean) {
                let channel = pick(&mut rng, &channels);
                write_post(&mut table, &mut rng, plan, &account, date, channel)?;
            }
        }
    }
    Ok(table)
}

fn write_post(
    table: &mut Table,
    rng: &mut Draws,
    plan: &Plan,
    account: &Account,
    date: NaiveDate,
    channel: &str,
) -> Result<()> {
    let mood = match account.archetype {
        Archetype::Hot => 0.35,
        Archetype::Steady => 0.1 - 0.8 * account.discontent(date),
        Archetype::Fading => 0.1 - 0.8 * account.discontent(date),
        Archetype::Prospect => 0.0,
    };
    let sentiment = (mood + 0.3 * normal(rng)).clamp(-1.0, 1.0);
    let kind = pick(rng, &["mention", "comment", "share", "review"]);

    let mut account_id = account.id.as_str();
    let seconds = rng.random_range(0..86_400);
    let mut posted_at = local_stamp(account.region.zone, date, seconds);
    let sentiment = format!("{sentiment:.2}");
    let bad = plan.flaws.strike(rng);
    if bad {
        if rng.random_bool(0.5) {
            account_id = "";
        } else {
            let day = Flaws::impossible_date(rng, date);
            posted_at = format!("{day}{}", &posted_at[10..]);
        }
    }
    table.row_marked(bad, &[&posted_at, account_id, channel, kind, &sentiment])
}

/// Field checks of signals raised on the weekly runs of the last two
/// months: hot accounts' high-probability signals and fading accounts'
/// churn-risk signals, with the signal ids those runs gave them.
pub fn write_verifications(plan: &Plan) -> Result<Table> {
    let header = ["signal_id", "verified_at", "outcome"];
    let mut table = plan.table(SourceKind::Verifications, "verifications.csv", &header)?;

    for account in plan.accounts() {
        let kind = match (account.archetype, account.plant) {
            (_, Some(Plant::Dormant | Plant::Loyal)) => continue,
            (Archetype::Hot, _) => "high_probability",
            (Archetype::Fading, _) => "churn_risk",
            _ => continue,
        };
        let mut rng = keyed(plan.seed, VERIFICATION_STREAM, account.number);
        for weeks_back in (1..=8).rev() {
            let run_date = plan.period.end - Duration::days(7 * weeks_back);
            if run_date < plan.period.start || !rng.random_bool(0.3) {
                continue;
            }
            let checked = run_date + Duration::days(rng.random_range(1..=6));
            if checked >= plan.period.end {
                continue;
            }
            let confirmed = rng.random_bool(0.75);
            let outcome = if confirmed { "confirmed" } else { "rejected" };
            let id = signal_id(kind, &account.id, run_date);
            write_check(&mut table, &mut rng, plan, &id, checked, outcome)?;
        }
    }
    Ok(table)
}

fn write_check(
    table: &mut Table,
    rng: &mut Draws,
    plan: &Plan,
    id: &str,
    checked: NaiveDate,
    outcome: &str,
) -> Result<()> {
    let seconds = office_seconds(rng, checked);
    let mut verified_at = local_stamp(chrono_tz::UTC, checked, seconds);
    let mut id = id;
    let bad = plan.flaws.strike(rng);
    if bad {
        if rng.random_bool(0.5) {
            id = "";
        } else {
            let day = Flaws::impossible_date(rng, checked);
            verified_at = format!("{day}{}", &verified_at[10..]);
        }
    }
    table.row_marked(bad, &[id, &verified_at, outcome])
}
