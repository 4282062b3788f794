//! FX features: how the account's currency moved against the base
//! currency over the 90 days before D, from the rate table built at ingest.

use std::collections::BTreeSet;

use polars::prelude::*;

use super::Inputs;

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let fx = &inputs.ingested.fx;
    let base = &inputs.config.company.base_currency;
    let carry = inputs.config.company.fx_max_carry_days;
    let last = inputs.cutoff.day() - 1;
    let first = last - 90;

    let mut currencies: BTreeSet<String> = fx.series.keys().cloned().collect();
    currencies.insert(base.clone());
    currencies.insert(fx.quote.clone());

    let mut names = Vec::new();
    let mut changes = Vec::new();
    let mut volatilities = Vec::new();
    for currency in currencies {
        let values = fx.daily_values(&currency, base, first, last, carry);
        names.push(currency);
        changes.push(change(&values));
        volatilities.push(volatility(&values));
    }

    let table = DataFrame::new_infer_height(vec![
        Series::new("currency".into(), names).into(),
        Series::new("fx_change_90d".into(), changes).into(),
        Series::new("fx_volatility_90d".into(), volatilities).into(),
    ])?;
    Ok(frame.left_join(table.lazy(), col("currency"), col("currency")))
}

/// Last value / first value - 1; `None` with fewer than 2 values.
pub(super) fn change(values: &[f64]) -> Option<f64> {
    let (first, last) = (values.first()?, values.last()?);
    (values.len() >= 2).then(|| last / first - 1.0)
}

/// Sample standard deviation of the log changes between consecutive
/// values; `None` with fewer than 2 changes.
pub(super) fn volatility(values: &[f64]) -> Option<f64> {
    let changes: Vec<f64> = values.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    if changes.len() < 2 {
        return None;
    }
    let mean = changes.iter().sum::<f64>() / changes.len() as f64;
    let variance =
        changes.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (changes.len() - 1) as f64;
    Some(variance.sqrt())
}
