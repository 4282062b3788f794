//! The markets around the accounts: partner stock and sales, competitor
//! prices, regulation, weather and the commodities that drive our
//! customers' input costs. One row per series and day, series by series.

use anyhow::Result;
use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

use super::calendar::{is_fx_business_day, season_factor, weekday_factor};
use super::random::{keyed, normal, pick, poisson, Draws};
use super::world::{
    Region, COMMODITIES, COMPETITORS, INDUSTRIES, OPEN_REGIONS, OWN_NAME, PARTNERS, PRODUCTS,
    REGIONS,
};
use super::{
    Flaws, Plan, Table, CHANNEL_STREAM, COMMODITY_STREAM, COMPETITOR_STREAM, POLICY_STREAM,
    WEATHER_STREAM,
};
use crate::contract::SourceKind;

/// Products stocked by partners and tracked against competitors.
const STOCKED: usize = 4;

/// Two partners per region stock our hardware; they restock on Mondays to
/// six weeks of their recent sales. Regions are named by ISO code here.
pub fn write_channel_inventory(plan: &Plan) -> Result<Table> {
    let header = ["date", "partner", "region", "product", "on_hand", "sold"];
    let mut table = plan.table(
        SourceKind::ChannelInventory,
        "channel_inventory.csv",
        &header,
    )?;

    for (r, region) in REGIONS.iter().enumerate() {
        for (p, partner) in PARTNERS.iter().enumerate() {
            for (k, product) in PRODUCTS[..STOCKED].iter().enumerate() {
                let key = (r * 100 + p * 10 + k) as u64;
                let mut rng = keyed(plan.seed, CHANNEL_STREAM, key);
                let demand = 40.0 * region.weight / product.weight.max(1.0);
                let series = Series {
                    partner,
                    region: region.code,
                    product: product.name,
                    demand,
                };
                series.write(&mut table, &mut rng, plan)?;
            }
        }
    }
    Ok(table)
}

struct Series<'a> {
    partner: &'a str,
    region: &'a str,
    product: &'a str,
    demand: f64,
}

impl Series<'_> {
    fn write(&self, table: &mut Table, rng: &mut Draws, plan: &Plan) -> Result<()> {
        let mut on_hand = (self.demand * 30.0).round() as i64;
        for date in plan.period.dates() {
            if date.weekday() == chrono::Weekday::Mon {
                on_hand = on_hand.max((self.demand * 42.0).round() as i64);
            }
            let mean = self.demand * weekday_factor(date) * season_factor(date);
            let sold = i64::from(poisson(rng, mean)).min(on_hand);
            on_hand -= sold;

            let mut date_text = date.to_string();
            let mut partner = self.partner;
            let mut stock = on_hand.to_string();
            let bad = plan.flaws.strike(rng);
            if bad {
                match rng.random_range(0..3) {
                    0 => date_text = Flaws::impossible_date(rng, date),
                    1 => partner = "",
                    _ => stock = Flaws::bad_number(rng).to_string(),
                }
            }
            let sold = sold.to_string();
            let row = [
                &date_text,
                partner,
                self.region,
                self.product,
                &stock,
                &sold,
            ];
            table.row_marked(bad, &row)?;
        }
        Ok(())
    }
}

/// List prices of our products and three competitors' in each region and
/// its currency, every business day. Competitors drift; in China one of
/// them undercuts us more and more.
pub fn write_competitor_prices(plan: &Plan) -> Result<Table> {
    let header = [
        "date",
        "competitor",
        "product",
        "region",
        "price",
        "currency",
    ];
    let mut table = plan.table(
        SourceKind::CompetitorPrices,
        "competitor_prices.csv",
        &header,
    )?;

    let mut sellers = vec![(OWN_NAME, 1.0)];
    sellers.extend(COMPETITORS.iter().copied());
    for (r, region) in REGIONS.iter().enumerate() {
        for (s, (seller, level)) in sellers.iter().enumerate() {
            for (k, product) in PRODUCTS[..STOCKED].iter().enumerate() {
                let key = (r * 100 + s * 10 + k) as u64;
                let mut rng = keyed(plan.seed, COMPETITOR_STREAM, key);
                let list = product.list_price_eur / region.currency.eur_per_unit * level;
                let price = Price {
                    seller,
                    product: product.name,
                    region,
                    list,
                    undercuts: region.code == "CN" && s == 3,
                };
                price.write(&mut table, &mut rng, plan)?;
            }
        }
    }
    Ok(table)
}

struct Price<'a> {
    seller: &'a str,
    product: &'a str,
    region: &'a Region,
    list: f64,
    undercuts: bool,
}

impl Price<'_> {
    fn write(&self, table: &mut Table, rng: &mut Draws, plan: &Plan) -> Result<()> {
        let mut log = 0.0;
        let decimals = self.region.currency.minor_digits as usize;
        for date in plan.period.dates().filter(|d| is_fx_business_day(*d)) {
            let pull = if self.undercuts {
                -0.18 * plan.period.progress(date) - log
            } else {
                -log
            };
            log += 0.01 * pull + 0.004 * normal(rng);
            let price = self.list * f64::exp(log);

            let mut date_text = date.to_string();
            let mut price = format!("{price:.decimals$}");
            let bad = plan.flaws.strike(rng);
            if bad {
                if rng.random_bool(0.5) {
                    date_text = Flaws::impossible_date(rng, date);
                } else {
                    price = Flaws::bad_number(rng).to_string();
                }
            }
            let region = self.region.name;
            let code = self.region.currency.code;
            let row = [&date_text, self.seller, self.product, region, &price, code];
            table.row_marked(bad, &row)?;
        }
        Ok(())
    }
}

/// Raw stance words of the policy feed, with the stance each means.
pub const STANCES: [(&str, &str); 4] = [
    ("incentive", "subsidy"),
    ("incentive", "tax relief"),
    ("restriction", "import quota"),
    ("restriction", "licence requirement"),
];

/// A few policy documents per region and year: subsidies and tax relief,
/// quotas and licence rules, for one industry or for all.
pub fn write_policies(plan: &Plan) -> Result<Table> {
    let header = [
        "policy_id",
        "published",
        "region",
        "industry",
        "stance",
        "title",
        "effective",
        "ends",
    ];
    let mut table = plan.table(SourceKind::Policies, "policies.csv", &header)?;

    let regions = REGIONS.iter().map(|r| (r.name, r.code == "CN"));
    let regions = regions.chain(OPEN_REGIONS.iter().map(|r| (r.0, false)));
    let mut count = 0;
    for (r, (region, china)) in regions.enumerate() {
        let mut rng = keyed(plan.seed, POLICY_STREAM, r as u64);
        for date in plan.period.dates() {
            if !rng.random_bool(3.0 / 365.0) {
                continue;
            }
            count += 1;
            let id = format!("POL-{count:05}");
            write_policy(&mut table, &mut rng, plan, (region, china), date, &id)?;
        }
    }
    Ok(table)
}

fn write_policy(
    table: &mut Table,
    rng: &mut Draws,
    plan: &Plan,
    (region, china): (&str, bool),
    published: NaiveDate,
    id: &str,
) -> Result<()> {
    let industry = if rng.random_bool(0.7) {
        pick(rng, &INDUSTRIES).name
    } else {
        ""
    };
    let (stance, raw) = *pick(rng, &STANCES);
    let title = policy_title(stance, industry, china);
    let effective = published + Duration::days(rng.random_range(14..=60));
    let ends = if rng.random_bool(0.6) {
        (effective + Duration::days(rng.random_range(365..=730))).to_string()
    } else {
        String::new()
    };

    let mut published_text = published.to_string();
    let bad = plan.flaws.strike(rng);
    if bad {
        published_text = Flaws::impossible_date(rng, published);
    }
    let effective = effective.to_string();
    let row = [
        id,
        &published_text,
        region,
        industry,
        raw,
        &title,
        &effective,
        &ends,
    ];
    table.row_marked(bad, &row)
}

fn policy_title(stance: &str, industry: &str, china: bool) -> String {
    let scope = if industry.is_empty() {
        "all industries"
    } else {
        industry
    };
    match (stance, china) {
        ("incentive", true) => {
            let scope = chinese_scope(industry);
            format!("关于支持{scope}发展的若干措施")
        }
        (_, true) => {
            let scope = chinese_scope(industry);
            format!("关于加强{scope}进口管理的通知")
        }
        ("incentive", false) => format!("Investment support for {scope}"),
        _ => format!("New import rules for {scope}"),
    }
}

fn chinese_scope(industry: &str) -> &'static str {
    match industry {
        "manufacturing" => "制造业",
        "retail" => "零售业",
        "healthcare" => "医疗行业",
        "energy" => "能源行业",
        "logistics" => "物流行业",
        _ => "企业",
    }
}

/// Region, its code, mean temperature and its yearly swing (negative
/// south of the equator), rainy days' share.
const CLIMATE: [(&str, &str, f64, f64, f64); 9] = [
    ("Germany", "DE", 9.5, 9.0, 0.45),
    ("France", "FR", 12.0, 8.0, 0.4),
    ("United Kingdom", "GB", 10.5, 6.5, 0.5),
    ("United States", "US", 12.5, 11.0, 0.35),
    ("China", "CN", 16.5, 11.0, 0.35),
    ("Japan", "JP", 15.5, 10.0, 0.4),
    ("Brazil", "BR", 23.0, -4.0, 0.45),
    ("India", "IN", 26.0, 5.0, 0.3),
    ("Canada", "CA", 6.0, 14.0, 0.4),
];

/// Daily weather, one file per region named by its ISO code (the file has
/// no region column): a seasonal temperature with day-to-day noise, rain,
/// and a severe-weather warning on the worst days.
pub fn write_weather(plan: &Plan) -> Result<Table> {
    let header = ["date", "temp_c", "precip_mm", "severe_warning"];
    let file = |code: &str| format!("weather/{code}.csv");
    let mut table = plan.table(SourceKind::Weather, &file(CLIMATE[0].1), &header)?;

    for (r, (_, code, mean, swing, rainy)) in CLIMATE.iter().enumerate() {
        if r > 0 {
            table.next_file(&file(code), &header)?;
        }
        let mut rng = keyed(plan.seed, WEATHER_STREAM, r as u64);
        let mut anomaly = 0.0;
        for date in plan.period.dates() {
            let angle = std::f64::consts::TAU * (f64::from(date.ordinal()) - 200.0) / 365.25;
            anomaly = 0.8 * anomaly + 1.5 * normal(&mut rng);
            let temperature = mean + swing * angle.cos() + anomaly;
            let rain = if rng.random_bool(*rainy) {
                -8.0 * (1.0 - rng.random::<f64>()).ln()
            } else {
                0.0
            };
            let severe = rain > 30.0 || anomaly.abs() > 5.0;

            let mut date_text = date.to_string();
            let mut temperature = format!("{temperature:.1}");
            let bad = plan.flaws.strike(&mut rng);
            if bad {
                if rng.random_bool(0.5) {
                    date_text = Flaws::impossible_date(&mut rng, date);
                } else {
                    temperature = Flaws::bad_number(&mut rng).to_string();
                }
            }
            let rain = format!("{rain:.1}");
            let severe = if severe { "yes" } else { "no" };
            table.row_marked(bad, &[&date_text, &temperature, &rain, severe])?;
        }
    }
    Ok(table)
}

/// Daily closes of the commodities our customers' costs follow, as a wide
/// table: a date column, then one column per symbol. Which industries a
/// symbol feeds is said in the config.
pub fn write_commodities(plan: &Plan) -> Result<Table> {
    let mut header = vec!["date"];
    header.extend(COMMODITIES.iter().map(|c| c.0));
    let mut table = plan.table(SourceKind::Commodities, "commodities.csv", &header)?;

    let mut rng = keyed(plan.seed, COMMODITY_STREAM, 0);
    let mut logs: Vec<f64> = COMMODITIES.iter().map(|c| c.1.ln()).collect();
    let mut row = Vec::with_capacity(header.len());
    for date in plan.period.dates().filter(|d| is_fx_business_day(*d)) {
        row.clear();
        row.push(date.to_string());
        for ((_, start, volatility, _), log) in COMMODITIES.iter().zip(logs.iter_mut()) {
            *log += 0.01 * (start.ln() - *log) + volatility * normal(&mut rng);
            row.push(format!("{:.2}", log.exp()));
        }

        let bad = plan.flaws.strike(&mut rng);
        if bad {
            if rng.random_bool(0.5) {
                row[0] = Flaws::impossible_date(&mut rng, date);
            } else {
                let at = rng.random_range(1..row.len());
                row[at] = Flaws::bad_number(&mut rng).to_string();
            }
        }
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        table.row_marked(bad, &cells)?;
    }
    Ok(table)
}
