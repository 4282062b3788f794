//! Sinks of the account-level sources: contracts, complaints, tickets, web
//! events and social interactions, plus prospects and signal
//! verifications. Each turns accepted rows into the frame documented in
//! the ingest module and refuses rows its grain cannot hold.

use std::collections::BTreeSet;

use polars::prelude::*;

use super::mapping::{flag, maps};
use super::reader::{Problem, Row, RowSink};
use super::rows::{
    in_order, need_days, need_millis, need_text, not_negative, FirstSeen, MS_PER_DAY,
};
use super::sources::{known_account, text_column, Money};
use crate::contract::DEFAULT_SEVERE;
use crate::regions::RegionResolver;

fn column<T>(name: &str, values: Vec<T>) -> Column
where
    Series: NamedFrom<Vec<T>, [T]>,
{
    Series::new(name.into(), values).into()
}

pub struct ContractSink<'a> {
    pub money: Money<'a>,
    pub known: Option<&'a BTreeSet<String>>,
    ids: FirstSeen<String>,
    contract_id: Vec<Option<String>>,
    account_id: Vec<Option<String>>,
    product: Vec<Option<String>>,
    start_day: Vec<i32>,
    end_day: Vec<Option<i32>>,
    amount_base: Vec<Option<f64>>,
    renewed: Vec<Option<bool>>,
}

impl<'a> ContractSink<'a> {
    pub fn new(money: Money<'a>, known: Option<&'a BTreeSet<String>>) -> Self {
        ContractSink {
            money,
            known,
            ids: FirstSeen::default(),
            contract_id: Vec::new(),
            account_id: Vec::new(),
            product: Vec::new(),
            start_day: Vec::new(),
            end_day: Vec::new(),
            amount_base: Vec::new(),
            renewed: Vec::new(),
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            text_column("contract_id", self.contract_id.clone()),
            text_column("account_id", self.account_id.clone()),
            text_column("product", self.product.clone()),
            column("start_day", self.start_day.clone()),
            column("end_day", self.end_day.clone()),
            column("amount_base", self.amount_base.clone()),
            column("renewed", self.renewed.clone()),
        ])
    }
}

impl RowSink for ContractSink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let id = need_text(row, "id")?;
        let account = need_text(row, "account")?;
        known_account(row, self.known)?;
        let start = need_days(row, "start")?;
        let end = row.days("end");
        in_order(row, ("start", start), ("end", end))?;
        let amount = match not_negative(row, "amount")? {
            Some(amount) => Some(self.money.to_base(row, amount, start as i64 * MS_PER_DAY)?),
            None => None,
        };
        let renewed = flag(row, "renewed")?;
        self.ids.check(id.clone(), row, "id", "contract id")?;

        self.contract_id.push(Some(id));
        self.account_id.push(Some(account));
        self.product.push(row.text("product"));
        self.start_day.push(start);
        self.end_day.push(end);
        self.amount_base.push(amount);
        self.renewed.push(renewed);
        Ok(())
    }
}

pub struct ComplaintSink<'a> {
    pub known: Option<&'a BTreeSet<String>>,
    ids: FirstSeen<String>,
    complaint_id: Vec<Option<String>>,
    account_id: Vec<Option<String>>,
    created_ms: Vec<i64>,
    severe: Vec<bool>,
    category: Vec<Option<String>>,
    resolved_ms: Vec<Option<i64>>,
}

impl<'a> ComplaintSink<'a> {
    pub fn new(known: Option<&'a BTreeSet<String>>) -> Self {
        ComplaintSink {
            known,
            ids: FirstSeen::default(),
            complaint_id: Vec::new(),
            account_id: Vec::new(),
            created_ms: Vec::new(),
            severe: Vec::new(),
            category: Vec::new(),
            resolved_ms: Vec::new(),
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            text_column("complaint_id", self.complaint_id.clone()),
            text_column("account_id", self.account_id.clone()),
            column("created_ms", self.created_ms.clone()),
            column("severe", self.severe.clone()),
            text_column("category", self.category.clone()),
            column("resolved_ms", self.resolved_ms.clone()),
        ])
    }
}

impl RowSink for ComplaintSink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let account = need_text(row, "account")?;
        known_account(row, self.known)?;
        let created = need_millis(row, "created")?;
        let resolved = row.millis("resolved");
        in_order(row, ("created", created), ("resolved", resolved))?;
        let severe = severe_complaint(row)?;
        let id = row.text("id");
        if let Some(id) = &id {
            self.ids.check(id.clone(), row, "id", "complaint id")?;
        }

        self.complaint_id.push(id);
        self.account_id.push(Some(account));
        self.created_ms.push(created);
        self.severe.push(severe);
        self.category.push(row.text("category"));
        self.resolved_ms.push(resolved);
        Ok(())
    }
}

/// Severe when the mapped severity says so; without a mapping, when the
/// severity is one of the usual words for it. No severity is not severe.
fn severe_complaint(row: &Row) -> Result<bool, Problem> {
    let Some(severity) = row.text("severity") else {
        return Ok(false);
    };
    if !maps(row.config, "severity") {
        let word = severity.trim().to_lowercase();
        return Ok(DEFAULT_SEVERE.contains(&word.as_str()));
    }
    match severity.as_str() {
        "severe" => Ok(true),
        "not_severe" => Ok(false),
        _ if row.config.values["severity"].contains_key("not_severe") => {
            let reason = "severity is in neither values.severity.severe nor .not_severe";
            Err(Problem::new(&row.column_of("severity"), &severity, reason))
        }
        _ => Ok(false),
    }
}

pub struct TicketSink<'a> {
    pub known: Option<&'a BTreeSet<String>>,
    ids: FirstSeen<String>,
    ticket_id: Vec<Option<String>>,
    account_id: Vec<Option<String>>,
    opened_ms: Vec<i64>,
    closed_ms: Vec<Option<i64>>,
    priority: Vec<Option<String>>,
    satisfaction: Vec<Option<f64>>,
}

impl<'a> TicketSink<'a> {
    pub fn new(known: Option<&'a BTreeSet<String>>) -> Self {
        TicketSink {
            known,
            ids: FirstSeen::default(),
            ticket_id: Vec::new(),
            account_id: Vec::new(),
            opened_ms: Vec::new(),
            closed_ms: Vec::new(),
            priority: Vec::new(),
            satisfaction: Vec::new(),
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            text_column("ticket_id", self.ticket_id.clone()),
            text_column("account_id", self.account_id.clone()),
            column("opened_ms", self.opened_ms.clone()),
            column("closed_ms", self.closed_ms.clone()),
            text_column("priority", self.priority.clone()),
            column("satisfaction", self.satisfaction.clone()),
        ])
    }
}

impl RowSink for TicketSink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let account = need_text(row, "account")?;
        known_account(row, self.known)?;
        let opened = need_millis(row, "opened")?;
        let closed = row.millis("closed");
        in_order(row, ("opened", opened), ("closed", closed))?;
        let satisfaction = not_negative(row, "satisfaction")?;
        let id = row.text("id");
        if let Some(id) = &id {
            self.ids.check(id.clone(), row, "id", "ticket id")?;
        }

        self.ticket_id.push(id);
        self.account_id.push(Some(account));
        self.opened_ms.push(opened);
        self.closed_ms.push(closed);
        self.priority.push(row.text("priority"));
        self.satisfaction.push(satisfaction);
        Ok(())
    }
}

pub struct WebEventSink<'a> {
    pub known: Option<&'a BTreeSet<String>>,
    account_id: Vec<Option<String>>,
    ts_ms: Vec<i64>,
    session: Vec<Option<String>>,
    kind: Vec<Option<String>>,
    count: Vec<i64>,
}

impl<'a> WebEventSink<'a> {
    pub fn new(known: Option<&'a BTreeSet<String>>) -> Self {
        WebEventSink {
            known,
            account_id: Vec::new(),
            ts_ms: Vec::new(),
            session: Vec::new(),
            kind: Vec::new(),
            count: Vec::new(),
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            text_column("account_id", self.account_id.clone()),
            column("ts_ms", self.ts_ms.clone()),
            text_column("session", self.session.clone()),
            text_column("kind", self.kind.clone()),
            column("count", self.count.clone()),
        ])
    }
}

impl RowSink for WebEventSink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let account = need_text(row, "account")?;
        known_account(row, self.known)?;
        let at = need_millis(row, "time")?;
        let kind = web_event_kind(row)?;
        let count = event_count(row)?;

        self.account_id.push(Some(account));
        self.ts_ms.push(at);
        self.session.push(row.text("session"));
        self.kind.push(Some(kind));
        self.count.push(count);
        Ok(())
    }
}

/// A canonical kind (the mapping has been applied), or the raw kind
/// lower-cased.
fn web_event_kind(row: &Row) -> Result<String, Problem> {
    let raw = need_text(row, "kind")?;
    Ok(raw.trim().to_lowercase())
}

/// How many events the row stands for: 1 unless a count column says so.
fn event_count(row: &Row) -> Result<i64, Problem> {
    let Some(count) = row.number("count") else {
        return Ok(1);
    };
    if count < 0.0 || count.fract() != 0.0 {
        let reason = "count must be a whole number of events, 0 or more";
        return Err(Problem::new(
            &row.column_of("count"),
            &count.to_string(),
            reason,
        ));
    }
    Ok(count as i64)
}

pub struct SocialSink<'a> {
    pub known: Option<&'a BTreeSet<String>>,
    ids: FirstSeen<String>,
    account_id: Vec<Option<String>>,
    ts_ms: Vec<i64>,
    channel: Vec<Option<String>>,
    kind: Vec<Option<String>>,
    sentiment: Vec<Option<f64>>,
}

impl<'a> SocialSink<'a> {
    pub fn new(known: Option<&'a BTreeSet<String>>) -> Self {
        SocialSink {
            known,
            ids: FirstSeen::default(),
            account_id: Vec::new(),
            ts_ms: Vec::new(),
            channel: Vec::new(),
            kind: Vec::new(),
            sentiment: Vec::new(),
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            text_column("account_id", self.account_id.clone()),
            column("ts_ms", self.ts_ms.clone()),
            text_column("channel", self.channel.clone()),
            text_column("kind", self.kind.clone()),
            column("sentiment", self.sentiment.clone()),
        ])
    }
}

impl RowSink for SocialSink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let account = need_text(row, "account")?;
        known_account(row, self.known)?;
        let at = need_millis(row, "time")?;
        let sentiment = sentiment(row)?;
        if let Some(id) = row.text("id") {
            self.ids.check(id, row, "id", "interaction id")?;
        }

        self.account_id.push(Some(account));
        self.ts_ms.push(at);
        self.channel.push(row.text("channel"));
        self.kind.push(row.text("kind"));
        self.sentiment.push(sentiment);
        Ok(())
    }
}

/// A number from -1 to 1, written as such or mapped from a label.
fn sentiment(row: &Row) -> Result<Option<f64>, Problem> {
    let Some(text) = row.text("sentiment") else {
        return Ok(None);
    };
    let column = row.column_of("sentiment");
    let value = super::parse::number(&text).map_err(|_| {
        let reason = "sentiment is not a number; map the label under values.sentiment";
        Problem::new(&column, &text, reason)
    })?;
    if !(-1.0..=1.0).contains(&value) {
        return Err(Problem::new(&column, &text, "sentiment is outside -1 to 1"));
    }
    Ok(Some(value))
}

#[derive(Default)]
pub struct ProspectSink {
    ids: FirstSeen<String>,
    prospect_id: Vec<Option<String>>,
    name: Vec<Option<String>>,
    region: Vec<String>,
    industry: Vec<Option<String>>,
    size: Vec<Option<f64>>,
}

impl ProspectSink {
    pub fn frame(&self, regions: &RegionResolver) -> PolarsResult<DataFrame> {
        let resolved: Vec<String> = self.region.iter().map(|r| regions.resolve(r)).collect();
        DataFrame::new_infer_height(vec![
            text_column("prospect_id", self.prospect_id.clone()),
            text_column("name", self.name.clone()),
            column("region", resolved),
            text_column("industry", self.industry.clone()),
            column("size", self.size.clone()),
        ])
    }
}

impl RowSink for ProspectSink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let id = need_text(row, "id")?;
        let region = need_text(row, "region")?;
        let size = not_negative(row, "size")?;
        self.ids.check(id.clone(), row, "id", "prospect id")?;

        self.prospect_id.push(Some(id));
        self.name.push(row.text("name"));
        self.region.push(region);
        self.industry.push(row.text("industry"));
        self.size.push(size);
        Ok(())
    }
}

#[derive(Default)]
pub struct VerificationSink {
    ids: FirstSeen<String>,
    signal_id: Vec<Option<String>>,
    verified_ms: Vec<i64>,
    outcome: Vec<Option<String>>,
}

impl VerificationSink {
    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            text_column("signal_id", self.signal_id.clone()),
            column("verified_ms", self.verified_ms.clone()),
            text_column("outcome", self.outcome.clone()),
        ])
    }
}

impl RowSink for VerificationSink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let id = need_text(row, "signal_id")?;
        let verified = need_millis(row, "verified")?;
        let outcome = need_text(row, "outcome")?;
        self.ids.check(id.clone(), row, "signal_id", "signal id")?;

        self.signal_id.push(Some(id));
        self.verified_ms.push(verified);
        self.outcome.push(Some(outcome.trim().to_lowercase()));
        Ok(())
    }
}
