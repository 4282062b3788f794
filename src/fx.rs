//! Exchange rates by currency and day, and conversion of amounts to the
//! company's base currency at the rate of the event's day.
//!
//! Rates are held as units of a currency per one unit of the feed's quote
//! currency, so any feed (ECB quotes against EUR) converts between any two
//! currencies it lists. A day without a rate uses the latest earlier rate
//! within the configured carry window; beyond it there is no rate, and an
//! amount is never converted at an assumed rate of 1.

use std::collections::BTreeMap;

use crate::ingest::parse::date_from_days;

#[derive(Debug, Clone, Default)]
pub struct FxTable {
    /// The currency every series is quoted against.
    pub quote: String,
    /// currency -> (day since epoch, units per one unit of `quote`), by day.
    pub series: BTreeMap<String, Vec<(i32, f64)>>,
}

impl FxTable {
    pub fn new(quote: &str) -> FxTable {
        FxTable {
            quote: quote.to_string(),
            series: BTreeMap::new(),
        }
    }

    pub fn insert(&mut self, currency: &str, day: i32, units_per_quote: f64) {
        self.series
            .entry(currency.to_string())
            .or_default()
            .push((day, units_per_quote));
    }

    /// Sorts each series by day; a later duplicate of a day wins.
    pub fn finish(&mut self) {
        for points in self.series.values_mut() {
            points.sort_by_key(|&(day, _)| day);
            points.dedup_by(|later, earlier| {
                let same = later.0 == earlier.0;
                if same {
                    earlier.1 = later.1;
                }
                same
            });
        }
    }

    /// Units of `currency` per quote unit on `day`, carried forward at most
    /// `max_carry` days.
    pub fn units_per_quote(&self, currency: &str, day: i32, max_carry: i64) -> Option<f64> {
        if currency == self.quote {
            return Some(1.0);
        }
        let points = self.series.get(currency)?;
        let after = points.partition_point(|&(d, _)| d <= day);
        let &(seen, rate) = points.get(after.checked_sub(1)?)?;
        ((day - seen) as i64 <= max_carry).then_some(rate)
    }

    /// Converts `amount` in `currency` on `day` to `base`.
    pub fn convert(
        &self,
        amount: f64,
        currency: &str,
        base: &str,
        day: i32,
        max_carry: i64,
    ) -> Result<f64, String> {
        if currency == base {
            return Ok(amount);
        }

        let missing = |code: &str| {
            format!(
                "no {code} exchange rate on or up to {max_carry} days before {}",
                date_from_days(day)
            )
        };
        let from = self
            .units_per_quote(currency, day, max_carry)
            .ok_or_else(|| missing(currency))?;
        let to = self
            .units_per_quote(base, day, max_carry)
            .ok_or_else(|| missing(base))?;
        Ok(amount / from * to)
    }

    /// Value of one unit of `currency` in `base` on each day from `first` to
    /// `last` that has a rate (carried as in `convert`).
    pub fn daily_values(
        &self,
        currency: &str,
        base: &str,
        first: i32,
        last: i32,
        max_carry: i64,
    ) -> Vec<f64> {
        (first..=last)
            .filter_map(|day| self.convert(1.0, currency, base, day, max_carry).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ecb_like() -> FxTable {
        let mut table = FxTable::new("EUR");
        table.insert("GBP", 100, 0.80);
        table.insert("USD", 100, 1.25);
        table.insert("GBP", 103, 0.90);
        table.finish();
        table
    }

    #[test]
    fn converts_through_the_quote_currency() {
        let table = ecb_like();
        let usd = table.convert(80.0, "GBP", "USD", 100, 7).unwrap();
        assert!(
            (usd - 125.0).abs() < 1e-9,
            "80 GBP = 100 EUR = 125 USD, got {usd}"
        );
        let eur = table.convert(90.0, "GBP", "EUR", 103, 7).unwrap();
        assert!((eur - 100.0).abs() < 1e-9);
    }

    #[test]
    fn carries_the_latest_earlier_rate_within_the_window_only() {
        let table = ecb_like();
        let carried = table.convert(80.0, "GBP", "EUR", 102, 7).unwrap();
        assert!(
            (carried - 100.0).abs() < 1e-9,
            "day 102 uses day 100's rate"
        );
        let err = table.convert(1.0, "USD", "EUR", 108, 7).unwrap_err();
        assert!(err.contains("no USD exchange rate"), "{err}");
        assert!(
            table.convert(1.0, "GBP", "EUR", 99, 7).is_err(),
            "no rate before the first"
        );
        assert!(
            table.convert(1.0, "CHF", "EUR", 100, 7).is_err(),
            "never assumed to be 1"
        );
    }
}
