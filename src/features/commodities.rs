//! Commodity features of the account's industry: how the prices of its
//! inputs moved over the 90 days before D, and how much they swung.
//!
//! An industry's symbols are those `industry_symbols` in config names for
//! it plus those whose `industries` column lists it, industries matched
//! without regard to case or surrounding spaces, symbols without regard to
//! case. Each symbol's change and volatility come from its own closes in
//! the 90 days before D, consecutive closes being consecutive trading
//! days; the industry's value is the mean over its symbols that have one.
//! Closes at or below 0 cannot enter a relative change and are left out.

use std::collections::{BTreeMap, BTreeSet};

use polars::prelude::*;

use super::fx::{change, volatility};
use super::{industry_key, with_nulls, Inputs};
use crate::contract::SourceKind;

const COLUMNS: &[&str] = &["commodity_change_90d", "commodity_volatility_90d"];

const WINDOW_DAYS: i32 = 90;

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let Some(prices) = inputs.ingested.frame(SourceKind::Commodities) else {
        return Ok(with_nulls(frame, COLUMNS));
    };

    let history = History::read(prices, inputs.cutoff.day())?;
    let symbols = symbols_per_industry(&inputs.config.industry_symbols, &history);
    let table = per_industry(&symbols, &history, inputs.cutoff.day())?;

    Ok(frame
        .with_column(industry_key(col("industry")).alias("industry_key"))
        .left_join(table.lazy(), col("industry_key"), col("industry_key"))
        .drop(cols(["industry_key"])))
}

/// Closes per symbol (upper case) by day, and the industries (lower case)
/// each symbol is said to feed, from rows before the cut.
#[derive(Default)]
struct History {
    closes: BTreeMap<String, BTreeMap<i32, f64>>,
    feeds: BTreeMap<String, BTreeSet<String>>,
}

impl History {
    fn read(prices: &DataFrame, cut_day: i32) -> PolarsResult<History> {
        let days = prices.column("day")?.cast(&DataType::Int32)?;
        let symbols = prices.column("symbol")?.cast(&DataType::String)?;
        let closes = prices.column("close")?.cast(&DataType::Float64)?;
        let industries = match prices.column("industries") {
            Ok(column) => column.cast(&DataType::String)?,
            Err(_) => Column::full_null("industries".into(), prices.height(), &DataType::String),
        };

        let mut history = History::default();
        let rows = days
            .i32()?
            .iter()
            .zip(symbols.str()?.iter())
            .zip(closes.f64()?.iter())
            .zip(industries.str()?.iter());
        for (((day, symbol), close), feeds) in rows {
            let (Some(day), Some(symbol)) = (day, symbol) else {
                continue;
            };
            if day >= cut_day {
                continue;
            }
            let symbol = symbol.trim().to_uppercase();
            if let Some(close) = close.filter(|c| c.is_finite() && *c > 0.0) {
                history
                    .closes
                    .entry(symbol.clone())
                    .or_default()
                    .insert(day, close);
            }
            for industry in feeds.unwrap_or("").split(';').map(normalised_industry) {
                if !industry.is_empty() {
                    history
                        .feeds
                        .entry(industry)
                        .or_default()
                        .insert(symbol.clone());
                }
            }
        }
        Ok(history)
    }
}

fn normalised_industry(industry: &str) -> String {
    industry.trim().to_lowercase()
}

/// Industry (lower case) -> its symbols (upper case), from config and
/// from the commodities source.
fn symbols_per_industry(
    configured: &BTreeMap<String, Vec<String>>,
    history: &History,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut symbols = history.feeds.clone();
    for (industry, listed) in configured {
        let industry = normalised_industry(industry);
        if industry.is_empty() {
            continue;
        }
        let entry = symbols.entry(industry).or_default();
        entry.extend(listed.iter().map(|s| s.trim().to_uppercase()));
    }
    symbols
}

fn per_industry(
    symbols: &BTreeMap<String, BTreeSet<String>>,
    history: &History,
    cut_day: i32,
) -> PolarsResult<DataFrame> {
    let mut industries = Vec::new();
    let mut changes = Vec::new();
    let mut volatilities = Vec::new();
    for (industry, symbols) in symbols {
        let series: Vec<Vec<f64>> = symbols
            .iter()
            .filter_map(|symbol| history.closes.get(symbol))
            .map(|closes| {
                closes
                    .range(cut_day - WINDOW_DAYS..cut_day)
                    .map(|(_, close)| *close)
                    .collect()
            })
            .collect();
        industries.push(industry.clone());
        changes.push(mean(series.iter().filter_map(|s| change(s))));
        volatilities.push(mean(series.iter().filter_map(|s| volatility(s))));
    }

    DataFrame::new_infer_height(vec![
        Series::new("industry_key".into(), industries).into(),
        Series::new("commodity_change_90d".into(), changes).into(),
        Series::new("commodity_volatility_90d".into(), volatilities).into(),
    ])
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0_usize), |(sum, n), v| (sum + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn prices() -> DataFrame {
        df!(
            "day" => [
                day_before(80), day_before(40), day_before(1), day_before(0),
                day_before(100), day_before(50), day_before(2), day_before(30),
            ],
            "symbol" => ["cu", "CU", "CU", "CU", "CU", "OIL", "OIL", "ZN"],
            "close" => [100.0, 110.0, 99.0, 500.0, 1.0, 50.0, 40.0, 7.0],
            "industries" => [None, None, None, None, None, Some("Retail; mining"), None, None],
        )
        .unwrap()
    }

    #[test]
    fn commodities_average_the_industry_symbols_before_the_cut() {
        let config = "[industry_symbols]\nMINING = [\"Cu\"]\nEnergy = [\"OIL\"]\n";
        let frame = features_with(vec![(SourceKind::Commodities, prices())], config);

        assert_close(
            value(&frame, "commodity_change_90d", "a"),
            Some(-0.2),
            "Retail: OIL only (50 -> 40); the close at D is unseen",
        );
        assert_close(
            value(&frame, "commodity_change_90d", "b"),
            Some((-0.01 - 0.2) / 2.0),
            "Mining: mean of CU (100 -> 99) and OIL; the close 100 days back is out",
        );
        let (up, down) = (1.1_f64.ln(), 0.9_f64.ln());
        assert_close(
            value(&frame, "commodity_volatility_90d", "b"),
            Some((up - down) / 2.0_f64.sqrt()),
            "CU's two log changes; OIL has a single change, too few for a spread",
        );
        assert_close(
            value(&frame, "commodity_change_90d", "d"),
            Some(-0.2),
            "d is retail in lower case",
        );
        assert_eq!(
            value(&frame, "commodity_change_90d", "c"),
            None,
            "c has no industry"
        );
    }

    #[test]
    fn commodities_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
