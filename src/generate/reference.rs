//! Reference sources: the sales organisation, the regions list, FX rates,
//! public holidays, market sizes and the prospects of white space.

use anyhow::Result;
use chrono::{Datelike, Duration};
use rand::Rng;

use super::accounts::draw_segment;
use super::calendar::{holiday, is_fx_business_day};
use super::random::{keyed, log_uniform, normal, pick, Draws};
use super::world::{
    local_name, CN_INDUSTRY_WORDS, CN_LEGAL_FORM, CN_STEMS, INDUSTRIES, MARKETS, NAME_STEMS,
    OPEN_REGIONS, QUOTED, REGIONS,
};
use super::{Flaws, Plan, Table, FX_STREAM, MARKET_STREAM, PROSPECT_STREAM};
use crate::contract::SourceKind;

pub fn write_org(plan: &Plan) -> Result<Table> {
    let header = [
        "region",
        "director",
        "success_owner",
        "city_managers",
        "time_zone",
    ];
    let mut table = plan.table(SourceKind::Org, "org.csv", &header)?;
    for region in &REGIONS {
        let managers = region.sales_reps.join(";");
        table.row(&[
            region.name,
            region.director,
            region.success_owner,
            &managers,
            region.time_zone,
        ])?;
    }
    Ok(table)
}

/// Every region the market knows, with its code and its own name.
pub fn write_regions(plan: &Plan) -> Result<Table> {
    let header = ["region", "code", "local_name"];
    let mut table = plan.table(SourceKind::Regions, "regions.csv", &header)?;
    for region in &REGIONS {
        table.row(&[region.name, region.code, local_name(region)])?;
    }
    for (name, code, local) in OPEN_REGIONS {
        table.row(&[name, code, local])?;
    }
    Ok(table)
}

/// A mean-reverting random walk of each currency's EUR value, one row per
/// currency and TARGET business day, from a month before the history on.
pub fn write_fx_rates(plan: &Plan) -> Result<Table> {
    let mut rng = keyed(plan.seed, FX_STREAM, 0);
    let header = ["date", "currency", "rate"];
    let mut table = plan.table(SourceKind::FxRates, "fx_rates.csv", &header)?;

    let mut logs: Vec<f64> = QUOTED
        .iter()
        .map(|currency| currency.eur_per_unit.ln() + 0.02 * normal(&mut rng))
        .collect();

    let period = plan.period;
    let first = period.start - Duration::days(31);
    for date in first.iter_days().take_while(|date| *date < period.end) {
        if !is_fx_business_day(date) {
            continue;
        }
        for (currency, log) in QUOTED.iter().zip(logs.iter_mut()) {
            let pull = 0.02 * (currency.eur_per_unit.ln() - *log);
            *log += pull + currency.daily_volatility * normal(&mut rng);
            let rate = format!("{:.*}", currency.rate_decimals, log.exp());
            table.row(&[&date.to_string(), currency.code, &rate])?;
        }
    }
    Ok(table)
}

/// Fixed-date national holidays of every region, over the history and the
/// year after it, in date order.
pub fn write_holidays(plan: &Plan) -> Result<Table> {
    let header = ["date", "country", "name"];
    let mut table = plan.table(SourceKind::Holidays, "holidays.csv", &header)?;
    let period = plan.period;
    let last = period.end + Duration::days(365);
    for date in period.start.iter_days().take_while(|date| *date <= last) {
        for region in &REGIONS {
            if let Some(name) = holiday(region, date) {
                table.row(&[&date.to_string(), region.code, name])?;
            }
        }
    }
    Ok(table)
}

/// Market size in EUR and number of firms per region, industry and year,
/// for the six full years before the end date's year.
pub fn write_market(plan: &Plan) -> Result<Table> {
    let mut rng = keyed(plan.seed, MARKET_STREAM, 0);
    let header = ["region", "industry", "year", "market_size", "firms"];
    let mut table = plan.table(SourceKind::Market, "market.csv", &header)?;

    let end_year = plan.period.end.year();
    for market in &MARKETS {
        for industry in &INDUSTRIES {
            let mut size = market.size_bn * 1e9 * industry.market_share;
            size *= rng.random_range(0.7..1.3);
            let growth = rng.random_range(market.growth.0..=market.growth.1);
            let spend_per_firm = 2.5e6 * rng.random_range(0.8..1.2);

            for year in end_year - 6..end_year {
                let firms = (size / spend_per_firm).round().max(1.0);
                table.row(&[
                    market.region,
                    industry.name,
                    &year.to_string(),
                    &format!("{size:.0}"),
                    &format!("{firms:.0}"),
                ])?;
                size *= 1.0 + growth + 0.015 * normal(&mut rng);
            }
        }
    }
    Ok(table)
}

/// Companies that are not customers: one for every four accounts (at
/// least 30), most of them in the regions we do not sell in yet.
pub fn write_prospects(plan: &Plan) -> Result<Table> {
    let header = ["prospect_id", "company", "region", "industry", "employees"];
    let mut table = plan.table(SourceKind::Prospects, "prospects.csv", &header)?;

    let count = (plan.accounts / 4).max(30);
    for number in 1..=count {
        let mut rng = keyed(plan.seed, PROSPECT_STREAM, number);
        let (region, china) = if rng.random_bool(0.6) {
            (pick(&mut rng, &OPEN_REGIONS).0, false)
        } else {
            let region = pick(&mut rng, &REGIONS);
            (region.name, region.code == "CN")
        };
        let industry_at = rng.random_range(0..INDUSTRIES.len());
        let industry = &INDUSTRIES[industry_at];
        let name = prospect_name(&mut rng, industry_at, china);
        let (low, high) = draw_segment(&mut rng).employees();
        let employees = log_uniform(&mut rng, low, high).round().to_string();

        let mut region = region;
        let mut employees = employees;
        let bad = plan.flaws.strike(&mut rng);
        if bad {
            if rng.random_bool(0.5) {
                region = "";
            } else {
                employees = Flaws::bad_number(&mut rng).to_string();
            }
        }
        let id = format!("P{number:06}");
        let row = [id.as_str(), &name, region, industry.name, &employees];
        table.row_marked(bad, &row)?;
    }
    Ok(table)
}

fn prospect_name(rng: &mut Draws, industry_at: usize, china: bool) -> String {
    if china {
        let stem = pick(rng, &CN_STEMS);
        let word = pick(rng, &CN_INDUSTRY_WORDS[industry_at]);
        return format!("{stem}{word}{CN_LEGAL_FORM}");
    }
    let stem = pick(rng, &NAME_STEMS);
    let word = pick(rng, &INDUSTRIES[industry_at].name_words);
    format!("{stem} {word} Group")
}
