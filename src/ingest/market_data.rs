//! Sinks of the sources that describe markets rather than accounts:
//! channel inventory, competitor prices, policy documents, weather and
//! commodity prices (long, or wide with one column per symbol).

use std::collections::BTreeMap;

use polars::prelude::*;

use super::mapping::flag;
use super::parse;
use super::reader::{Problem, Row, RowSink};
use super::rows::{
    in_order, need_days, need_number, need_text, not_negative, FirstSeen, MS_PER_DAY,
};
use super::sources::{text_column, Money};
use crate::contract::POLICY_STANCES;
use crate::regions::RegionResolver;

fn column<T>(name: &str, values: Vec<T>) -> Column
where
    Series: NamedFrom<Vec<T>, [T]>,
{
    Series::new(name.into(), values).into()
}

fn resolved(regions: &RegionResolver, names: &[String]) -> Vec<String> {
    names.iter().map(|r| regions.resolve(r)).collect()
}

/// A key of a partner x product x day or competitor x product x day row;
/// names compare without case so `ACME` and `Acme` are one partner.
fn key_part(text: &str) -> String {
    text.trim().to_lowercase()
}

pub struct InventorySink<'a> {
    regions: &'a RegionResolver,
    keys: FirstSeen<(i32, String, String, String)>,
    day: Vec<i32>,
    partner: Vec<String>,
    region: Vec<String>,
    product: Vec<String>,
    on_hand: Vec<f64>,
    sold: Vec<f64>,
}

impl<'a> InventorySink<'a> {
    pub fn new(regions: &'a RegionResolver) -> Self {
        InventorySink {
            regions,
            keys: FirstSeen::default(),
            day: Vec::new(),
            partner: Vec::new(),
            region: Vec::new(),
            product: Vec::new(),
            on_hand: Vec::new(),
            sold: Vec::new(),
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            column("day", self.day.clone()),
            column("partner", self.partner.clone()),
            column("region", self.region.clone()),
            column("product", self.product.clone()),
            column("on_hand", self.on_hand.clone()),
            column("sold", self.sold.clone()),
        ])
    }
}

impl RowSink for InventorySink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let day = need_days(row, "date")?;
        let partner = need_text(row, "partner")?;
        let region = self.regions.resolve(&need_text(row, "region")?);
        let product = need_text(row, "product")?;
        need_number(row, "on_hand")?;
        need_number(row, "sold")?;
        let on_hand = not_negative(row, "on_hand")?.unwrap_or_default();
        let sold = not_negative(row, "sold")?.unwrap_or_default();
        let key = (
            day,
            key_part(&partner),
            key_part(&region),
            key_part(&product),
        );
        self.keys
            .check(key, row, "product", "partner, region, product and date")?;

        self.day.push(day);
        self.partner.push(partner);
        self.region.push(region);
        self.product.push(product);
        self.on_hand.push(on_hand);
        self.sold.push(sold);
        Ok(())
    }
}

pub struct CompetitorPriceSink<'a> {
    pub money: Money<'a>,
    regions: &'a RegionResolver,
    /// Lower-cased name our own prices go by.
    own_name: String,
    keys: FirstSeen<(i32, String, String, String)>,
    day: Vec<i32>,
    competitor: Vec<String>,
    product: Vec<String>,
    region: Vec<String>,
    price_base: Vec<f64>,
    is_own: Vec<bool>,
}

impl<'a> CompetitorPriceSink<'a> {
    pub fn new(money: Money<'a>, regions: &'a RegionResolver, own_name: &str) -> Self {
        CompetitorPriceSink {
            money,
            regions,
            own_name: key_part(own_name),
            keys: FirstSeen::default(),
            day: Vec::new(),
            competitor: Vec::new(),
            product: Vec::new(),
            region: Vec::new(),
            price_base: Vec::new(),
            is_own: Vec::new(),
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            column("day", self.day.clone()),
            column("competitor", self.competitor.clone()),
            column("product", self.product.clone()),
            column("region", self.region.clone()),
            column("price_base", self.price_base.clone()),
            column("is_own", self.is_own.clone()),
        ])
    }
}

impl RowSink for CompetitorPriceSink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let day = need_days(row, "date")?;
        let competitor = need_text(row, "competitor")?;
        let product = need_text(row, "product")?;
        let region = self.regions.resolve(&need_text(row, "region")?);
        need_number(row, "price")?;
        let price = not_negative(row, "price")?.unwrap_or_default();
        let price_base = self.money.to_base(row, price, day as i64 * MS_PER_DAY)?;
        let key = (
            day,
            key_part(&competitor),
            key_part(&product),
            key_part(&region),
        );
        self.keys
            .check(key, row, "price", "competitor, product, region and date")?;

        self.is_own.push(key_part(&competitor) == self.own_name);
        self.day.push(day);
        self.competitor.push(competitor);
        self.product.push(product);
        self.region.push(region);
        self.price_base.push(price_base);
        Ok(())
    }
}

#[derive(Default)]
pub struct PolicySink {
    ids: FirstSeen<String>,
    policy_id: Vec<Option<String>>,
    published_day: Vec<i32>,
    region: Vec<String>,
    industry: Vec<Option<String>>,
    stance: Vec<Option<String>>,
    title: Vec<Option<String>>,
    effective_day: Vec<i32>,
    end_day: Vec<Option<i32>>,
}

impl PolicySink {
    pub fn frame(&self, regions: &RegionResolver) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            text_column("policy_id", self.policy_id.clone()),
            column("published_day", self.published_day.clone()),
            column("region", resolved(regions, &self.region)),
            text_column("industry", self.industry.clone()),
            text_column("stance", self.stance.clone()),
            text_column("title", self.title.clone()),
            column("effective_day", self.effective_day.clone()),
            column("end_day", self.end_day.clone()),
        ])
    }
}

impl RowSink for PolicySink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let id = need_text(row, "id")?;
        let published = need_days(row, "published")?;
        let region = need_text(row, "region")?;
        let stance = policy_stance(row)?;
        // A document without an effective date applies from publication.
        let effective = row.days("effective").unwrap_or(published);
        let ends = row.days("ends");
        in_order(row, ("effective", effective), ("ends", ends))?;
        self.ids.check(id.clone(), row, "id", "policy id")?;

        self.policy_id.push(Some(id));
        self.published_day.push(published);
        self.region.push(region);
        self.industry.push(row.text("industry"));
        self.stance.push(Some(stance.to_string()));
        self.title.push(row.text("title"));
        self.effective_day.push(effective);
        self.end_day.push(ends);
        Ok(())
    }
}

fn policy_stance(row: &Row) -> Result<&'static str, Problem> {
    let raw = need_text(row, "stance")?;
    let word = raw.trim().to_lowercase();
    POLICY_STANCES
        .iter()
        .find(|stance| **stance == word)
        .copied()
        .ok_or_else(|| {
            let reason = "stance is neither incentive nor restriction; \
                          map its spelling under values.stance";
            Problem::new(&row.column_of("stance"), &raw, reason)
        })
}

pub struct WeatherSink<'a> {
    regions: &'a RegionResolver,
    keys: FirstSeen<(i32, String)>,
    day: Vec<i32>,
    region: Vec<String>,
    temperature: Vec<Option<f64>>,
    precipitation: Vec<Option<f64>>,
    severe: Vec<Option<bool>>,
}

impl<'a> WeatherSink<'a> {
    pub fn new(regions: &'a RegionResolver) -> Self {
        WeatherSink {
            regions,
            keys: FirstSeen::default(),
            day: Vec::new(),
            region: Vec::new(),
            temperature: Vec::new(),
            precipitation: Vec::new(),
            severe: Vec::new(),
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            column("day", self.day.clone()),
            column("region", self.region.clone()),
            column("temperature", self.temperature.clone()),
            column("precipitation", self.precipitation.clone()),
            column("severe", self.severe.clone()),
        ])
    }
}

impl RowSink for WeatherSink<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let day = need_days(row, "date")?;
        let region = self.regions.resolve(&need_text(row, "region")?);
        let precipitation = not_negative(row, "precipitation")?;
        let severe = flag(row, "severe")?;
        self.keys
            .check((day, key_part(&region)), row, "date", "region and date")?;

        self.day.push(day);
        self.region.push(region);
        self.temperature.push(row.number("temperature"));
        self.precipitation.push(precipitation);
        self.severe.push(severe);
        Ok(())
    }
}

pub struct CommoditySink {
    /// Symbol -> the industries it feeds, from `industry_symbols`.
    feeds: BTreeMap<String, String>,
    keys: FirstSeen<(String, i32)>,
    day: Vec<i32>,
    symbol: Vec<String>,
    close: Vec<f64>,
    industries: Vec<Option<String>>,
}

impl CommoditySink {
    pub fn new(industry_symbols: &BTreeMap<String, Vec<String>>) -> Self {
        let mut feeds: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (industry, symbols) in industry_symbols {
            for symbol in symbols {
                feeds.entry(symbol.clone()).or_default().push(industry);
            }
        }
        CommoditySink {
            feeds: feeds.into_iter().map(|(s, i)| (s, i.join(";"))).collect(),
            keys: FirstSeen::default(),
            day: Vec::new(),
            symbol: Vec::new(),
            close: Vec::new(),
            industries: Vec::new(),
        }
    }

    pub fn frame(&self) -> PolarsResult<DataFrame> {
        DataFrame::new_infer_height(vec![
            column("day", self.day.clone()),
            column("symbol", self.symbol.clone()),
            column("close", self.close.clone()),
            text_column("industries", self.industries.clone()),
        ])
    }

    fn push(&mut self, day: i32, symbol: String, close: f64, industries: Option<String>) {
        let industries = industries.or_else(|| self.feeds.get(&symbol).cloned());
        self.day.push(day);
        self.symbol.push(symbol);
        self.close.push(close);
        self.industries.push(industries);
    }

    /// One row of a long file: date, symbol, close. A close may be below
    /// zero (WTI crude settled at about -37 USD on 2020-04-20).
    fn accept_long(&mut self, row: &Row) -> Result<(), Problem> {
        let day = need_days(row, "date")?;
        let symbol = need_text(row, "symbol")?;
        let close = need_number(row, "close")?;
        self.keys
            .check((symbol.clone(), day), row, "date", "symbol and date")?;

        self.push(day, symbol, close, row.text("industries"));
        Ok(())
    }

    /// One row of a wide file: a date, then a close per symbol column;
    /// empty cells mean no close that day. A bad cell refuses the row.
    fn accept_wide(&mut self, row: &Row, date_column: &str) -> Result<(), Problem> {
        let date_text = row.raw(date_column).unwrap_or("");
        let day = parse::date(date_text, &row.config.date_formats)
            .map_err(|reason| Problem::new(date_column, date_text, reason))?;

        let mut closes = Vec::new();
        for (column, text) in row.headers.iter().zip(row.cells.iter()) {
            let text = text.trim();
            if column == date_column || column.is_empty() || row.is_null(text) {
                continue;
            }
            let close = parse::number(text).map_err(|reason| Problem::new(column, text, reason))?;
            closes.push((column.clone(), close));
        }
        self.keys
            .check((String::new(), day), row, date_column, "date row")?;

        for (symbol, close) in closes {
            self.push(day, symbol, close, row.text("industries"));
        }
        Ok(())
    }
}

impl RowSink for CommoditySink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        match &row.config.wide {
            Some(layout) => self.accept_wide(row, &layout.date_column),
            None => self.accept_long(row),
        }
    }
}
