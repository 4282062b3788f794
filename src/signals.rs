//! Stage 5, signals: turn scores into actions for named people.
//!
//! A high propensity goes to the region's director with a short deadline,
//! a low health score to the customer-success owner, and a white-space
//! cell to the sales VP. Where the data names nobody the owner is
//! `unassigned`, visibly, so the gap gets fixed instead of hidden.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::white_space::Cell;

pub const UNASSIGNED: &str = "unassigned";

#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    pub signal_id: String,
    pub kind: &'static str,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub score: f64,
    pub owner: String,
    pub due_at: DateTime<Utc>,
    pub reasons: String,
}

/// Who owns what, from the org source.
#[derive(Debug, Default)]
pub struct Owners {
    /// lower-cased region -> (director, customer-success owner)
    by_region: BTreeMap<String, (Option<String>, Option<String>)>,
    /// sales agent -> their manager
    by_agent: BTreeMap<String, Option<String>>,
}

impl Owners {
    pub fn from_org(org: Option<&DataFrame>) -> PolarsResult<Owners> {
        let mut owners = Owners::default();
        let Some(org) = org else { return Ok(owners) };

        let region = org.column("region")?.str()?;
        let director = org.column("director")?.str()?;
        let success = org.column("success_owner")?.str()?;
        let agent = org.column("agent")?.str()?;
        for i in 0..org.height() {
            let names = (
                director.get(i).map(String::from),
                success.get(i).map(String::from),
            );
            if let Some(agent) = agent.get(i) {
                owners.by_agent.insert(agent.to_string(), names.0.clone());
            }
            if let Some(region) = region.get(i) {
                owners
                    .by_region
                    .entry(region.to_lowercase())
                    .or_insert(names);
            }
        }
        Ok(owners)
    }

    fn director(&self, region: Option<&str>, agent: Option<&str>) -> String {
        let by_agent = agent.and_then(|a| self.by_agent.get(a).cloned().flatten());
        let by_region = || {
            region
                .and_then(|r| self.by_region.get(&r.to_lowercase()))
                .and_then(|o| o.0.clone())
        };
        by_agent
            .or_else(by_region)
            .unwrap_or_else(|| UNASSIGNED.to_string())
    }

    fn success_owner(&self, region: Option<&str>, agent: Option<&str>) -> String {
        let by_region = region
            .and_then(|r| self.by_region.get(&r.to_lowercase()))
            .and_then(|o| o.1.clone());
        let by_agent = || agent.and_then(|a| self.by_agent.get(a).cloned().flatten());
        by_region
            .or_else(by_agent)
            .unwrap_or_else(|| UNASSIGNED.to_string())
    }
}

/// The scored accounts, as the signal rules read them.
pub struct ScoredAccount<'a> {
    pub account_id: &'a str,
    pub region: Option<&'a str>,
    pub industry: Option<&'a str>,
    pub owner_agent: Option<&'a str>,
    pub propensity: Option<f64>,
    pub health: Option<f64>,
    pub propensity_reasons: &'a str,
    pub health_reasons: &'a str,
}

pub fn detect(
    config: &Config,
    run_date: NaiveDate,
    accounts: &[ScoredAccount],
    cells: &[Cell],
    owners: &Owners,
    published_at: DateTime<Utc>,
) -> Vec<Signal> {
    let rules = &config.signals;
    let due = |minutes: i64| published_at + Duration::minutes(minutes);
    let mut signals = Vec::new();

    for account in accounts {
        if let Some(score) = account
            .propensity
            .filter(|s| *s >= rules.high_probability_min)
        {
            let owner = owners.director(account.region, account.owner_agent);
            let due_at = due(rules.high_probability_due_minutes);
            let reasons = account.propensity_reasons;
            signals.push(account_signal(
                "high_probability",
                account,
                score,
                owner,
                due_at,
                reasons,
                run_date,
            ));
        }
        if let Some(score) = account.health.filter(|s| *s <= rules.churn_risk_max) {
            let owner = owners.success_owner(account.region, account.owner_agent);
            let due_at = due(rules.churn_risk_due_minutes);
            let reasons = account.health_reasons;
            signals.push(account_signal(
                "churn_risk",
                account,
                score,
                owner,
                due_at,
                reasons,
                run_date,
            ));
        }
    }

    let vp = config
        .company
        .sales_vp
        .clone()
        .unwrap_or_else(|| UNASSIGNED.to_string());
    for cell in cells {
        signals.push(Signal {
            signal_id: signal_id("white_space", &cell.cell_id, run_date),
            kind: "white_space",
            account_id: None,
            region: Some(cell.region.clone()),
            industry: cell.industry.clone(),
            score: cell.score,
            owner: vp.clone(),
            due_at: due(rules.white_space_due_minutes),
            reasons: cell.summary(),
        });
    }
    signals
}

fn account_signal(
    kind: &'static str,
    account: &ScoredAccount,
    score: f64,
    owner: String,
    due_at: DateTime<Utc>,
    reasons: &str,
    run_date: NaiveDate,
) -> Signal {
    Signal {
        signal_id: signal_id(kind, account.account_id, run_date),
        kind,
        account_id: Some(account.account_id.to_string()),
        region: account.region.map(String::from),
        industry: account.industry.map(String::from),
        score,
        owner,
        due_at,
        reasons: reasons.to_string(),
    }
}

/// Stable for the same kind, subject and as-of date, so a rerun of D
/// replaces a signal instead of raising a second one.
pub fn signal_id(kind: &str, subject: &str, run_date: NaiveDate) -> String {
    let digest = Sha256::digest(format!("{kind}\u{1f}{subject}\u{1f}{run_date}"));
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_ids_are_stable_and_distinct() {
        let d = NaiveDate::from_ymd_opt(2011, 9, 1).unwrap();
        let a = signal_id("churn_risk", "12347", d);
        assert_eq!(a, signal_id("churn_risk", "12347", d));
        assert_eq!(a.len(), 16);
        assert_ne!(a, signal_id("high_probability", "12347", d));
        assert_ne!(a, signal_id("churn_risk", "12347", d.succ_opt().unwrap()));
    }

    #[test]
    fn agent_manager_wins_for_directors_and_region_for_success() {
        let mut owners = Owners::default();
        owners
            .by_region
            .insert("west".into(), (Some("Dana".into()), Some("Sam".into())));
        owners.by_agent.insert("Moses".into(), Some("Celia".into()));
        assert_eq!(owners.director(Some("West"), Some("Moses")), "Celia");
        assert_eq!(owners.director(Some("West"), None), "Dana");
        assert_eq!(owners.success_owner(Some("West"), Some("Moses")), "Sam");
        assert_eq!(owners.director(Some("North"), None), UNASSIGNED);
    }
}
