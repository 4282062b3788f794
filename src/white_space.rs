//! Stage 6, white space and reports: rank region (x industry) cells by
//! market size where the company has little presence, and write the T+1
//! entry report for each cell that is reported.
//!
//! A market figure for a year is known only after the year ends, so a run
//! for D uses years before D's year. Whatever the data cannot support is
//! written as "no data" in the report, never estimated.

use std::collections::BTreeMap;
use std::fmt::Write;

use anyhow::Result;
use chrono::{Datelike, Duration};
use polars::prelude::*;

use crate::config::Config;
use crate::contract::SourceKind;
use crate::ingest::Ingested;
use crate::snapshot::Cutoff;

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub cell_id: String,
    pub rank: u32,
    pub region: String,
    pub industry: Option<String>,
    pub market_size: f64,
    pub market_year: i32,
    /// Compound annual growth and the number of years it spans.
    pub growth: Option<(f64, i32)>,
    pub customers: u64,
    pub revenue_365d: f64,
    /// Share of the largest reported cell's market size, 0-100.
    pub score: f64,
    /// (account id, name, value ordered in 365 days), largest first.
    pub top_customers: Vec<(String, Option<String>, f64)>,
    pub holidays_next_14d: Option<u32>,
}

impl Cell {
    pub fn summary(&self) -> String {
        let growth = match self.growth {
            Some((rate, years)) => format!("{:+.1}% a year over {years} years", rate * 100.0),
            None => "growth: no data".to_string(),
        };
        format!(
            "market size {:.0} in {}; {growth}; {} current customers",
            self.market_size, self.market_year, self.customers
        )
    }
}

/// Presence per region (x industry) among tonight's accounts.
#[derive(Default)]
struct Presence {
    customers: u64,
    revenue_365d: f64,
    accounts: Vec<(String, Option<String>, f64)>,
}

pub fn rank(
    ingested: &Ingested,
    config: &Config,
    as_of: Cutoff,
    tonight: &DataFrame,
) -> Result<Vec<Cell>> {
    let Some(market) = ingested.frame(SourceKind::Market) else {
        return Ok(Vec::new());
    };
    let by_industry = market.column("industry")?.null_count() < market.height();
    let presence = presence(tonight, by_industry)?;
    let markets = visible_markets(market, as_of)?;
    let rules = &config.white_space;

    let mut cells: Vec<Cell> = markets
        .into_iter()
        .filter(|((region, _), _)| !rules.only_known_regions || ingested.regions.is_known(region))
        .filter_map(|(key, years)| {
            let here = presence.get(&key);
            let customers = here.map_or(0, |p| p.customers);
            (customers <= rules.max_customers)
                .then(|| new_cell(key, &years, here, rules.cagr_years))
        })
        .collect();

    cells.sort_by(|a, b| {
        b.market_size
            .total_cmp(&a.market_size)
            .then_with(|| a.cell_id.cmp(&b.cell_id))
    });
    cells.truncate(rules.cells);

    let largest = cells
        .first()
        .map_or(1.0, |c| c.market_size.max(f64::MIN_POSITIVE));
    let holidays = upcoming_holidays(ingested, as_of)?;
    for (index, cell) in cells.iter_mut().enumerate() {
        cell.rank = index as u32 + 1;
        cell.score = (cell.market_size / largest * 10_000.0).round() / 100.0;
        cell.holidays_next_14d = holidays
            .as_ref()
            .map(|h| *h.get(&cell.region).unwrap_or(&0));
    }
    Ok(cells)
}

type CellKey = (String, Option<String>);

/// Market size by cell and year, for years that ended before D.
fn visible_markets(
    market: &DataFrame,
    as_of: Cutoff,
) -> Result<BTreeMap<CellKey, BTreeMap<i32, f64>>> {
    let region = market.column("region")?.str()?;
    let industry = market.column("industry")?.str()?;
    let year = market.column("year")?.i32()?;
    let size = market.column("market_size")?.f64()?;

    let mut cells: BTreeMap<CellKey, BTreeMap<i32, f64>> = BTreeMap::new();
    for i in 0..market.height() {
        let (Some(r), Some(y), Some(s)) = (region.get(i), year.get(i), size.get(i)) else {
            continue;
        };
        if y < as_of.date.year() {
            let key = (r.to_string(), industry.get(i).map(String::from));
            cells.entry(key).or_default().insert(y, s);
        }
    }
    Ok(cells)
}

fn new_cell(key: CellKey, years: &BTreeMap<i32, f64>, here: Option<&Presence>, span: i32) -> Cell {
    let (&latest_year, &latest_size) = years.iter().next_back().expect("a cell has a year");
    let growth = (1..=span).rev().find_map(|n| {
        let earlier = *years.get(&(latest_year - n))?;
        (earlier > 0.0).then(|| ((latest_size / earlier).powf(1.0 / n as f64) - 1.0, n))
    });

    let (region, industry) = key;
    let cell_id = match &industry {
        Some(industry) => format!("{region} x {industry}"),
        None => region.clone(),
    };
    Cell {
        cell_id,
        rank: 0,
        region,
        industry,
        market_size: latest_size,
        market_year: latest_year,
        growth,
        customers: here.map_or(0, |p| p.customers),
        revenue_365d: here.map_or(0.0, |p| p.revenue_365d),
        score: 0.0,
        top_customers: here.map_or_else(Vec::new, |p| p.accounts.iter().take(5).cloned().collect()),
        holidays_next_14d: None,
    }
}

fn presence(tonight: &DataFrame, by_industry: bool) -> Result<BTreeMap<CellKey, Presence>> {
    let id = tonight.column("account_id")?.str()?;
    let name = tonight.column("account_name")?.str()?;
    let region = tonight.column("region")?.str()?;
    let industry = tonight.column("industry")?.str()?;
    let customer = tonight.column("is_customer")?.bool()?;
    let revenue = tonight
        .column("order_amount_365d")?
        .cast(&DataType::Float64)?;
    let revenue = revenue.f64()?;

    let mut cells: BTreeMap<CellKey, Presence> = BTreeMap::new();
    for i in 0..tonight.height() {
        let (Some(r), Some(true)) = (region.get(i), customer.get(i)) else {
            continue;
        };
        let industry = if by_industry {
            industry.get(i).map(String::from)
        } else {
            None
        };
        let cell = cells.entry((r.to_string(), industry)).or_default();
        let value = revenue.get(i).unwrap_or(0.0);
        cell.customers += 1;
        cell.revenue_365d += value;
        cell.accounts.push((
            id.get(i).unwrap_or("").to_string(),
            name.get(i).map(String::from),
            value,
        ));
    }
    for cell in cells.values_mut() {
        cell.accounts
            .sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    }
    Ok(cells)
}

fn upcoming_holidays(ingested: &Ingested, as_of: Cutoff) -> Result<Option<BTreeMap<String, u32>>> {
    let Some(holidays) = ingested.frame(SourceKind::Holidays) else {
        return Ok(None);
    };
    let day = holidays.column("day")?.i32()?;
    let region = holidays.column("region")?.str()?;
    let first = as_of.day();

    let mut counts = BTreeMap::new();
    for (d, r) in day.iter().zip(region.iter()) {
        if let (Some(d), Some(r)) = (d, r) {
            let count = counts.entry(r.to_string()).or_insert(0);
            if d >= first && d < first + 14 {
                *count += 1;
            }
        }
    }
    Ok(Some(counts))
}

/// The T+1 entry report for one cell, as Markdown.
pub fn report(cell: &Cell, config: &Config, as_of: Cutoff) -> String {
    let base = &config.company.base_currency;
    let market_unit = config
        .sources
        .get(&SourceKind::Market)
        .and_then(|m| m.currency.as_deref())
        .unwrap_or(base);
    let vp = config
        .company
        .sales_vp
        .as_deref()
        .unwrap_or(crate::signals::UNASSIGNED);
    let mut text = String::new();

    let _ = writeln!(text, "# New-region entry report: {}\n", cell.cell_id);
    let _ = writeln!(text, "- Report date: {}", as_of.date + Duration::days(1));
    let _ = writeln!(
        text,
        "- Data as of: {} (events before 00:00 {})",
        as_of.date, config.company.time_zone
    );
    let _ = writeln!(text, "- For: {vp}");
    let _ = writeln!(
        text,
        "- Rank tonight: {} (score {:.2})\n",
        cell.rank, cell.score
    );

    let _ = writeln!(text, "## Market\n");
    let _ = writeln!(
        text,
        "- Market size {}: {:.0} {market_unit}",
        cell.market_year, cell.market_size
    );
    match cell.growth {
        Some((rate, years)) => {
            let _ = writeln!(
                text,
                "- Growth: {:+.2}% a year (CAGR over {years} years)",
                rate * 100.0
            );
        }
        None => {
            let _ = writeln!(
                text,
                "- Growth: no data (fewer than two years of market size)"
            );
        }
    }

    let _ = writeln!(text, "\n## Our presence\n");
    let _ = writeln!(text, "- Current customers: {}", cell.customers);
    let _ = writeln!(
        text,
        "- Ordered in the last 365 days: {:.2} {base}",
        cell.revenue_365d
    );
    if cell.top_customers.is_empty() {
        let _ = writeln!(text, "- Top customers: none yet");
    } else {
        let _ = writeln!(text, "- Top customers:");
        for (id, name, value) in &cell.top_customers {
            let label = name.as_deref().unwrap_or(id);
            let _ = writeln!(text, "  - {label} ({id}): {value:.2} {base}");
        }
    }

    let _ = writeln!(text, "\n## Timing\n");
    match cell.holidays_next_14d {
        Some(n) => {
            let _ = writeln!(text, "- Public holidays in the next 14 days: {n}");
        }
        None => {
            let _ = writeln!(
                text,
                "- Public holidays in the next 14 days: no data (the calendar does not cover it)"
            );
        }
    }

    let _ = writeln!(text, "\n## Not covered by tonight's data\n");
    for topic in [
        "Competitor prices",
        "Channel inventory",
        "Policies",
        "Prospects",
    ] {
        let _ = writeln!(text, "- {topic}: no data");
    }
    text
}
