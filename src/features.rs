//! Stage 3, features: the feature dimensions of DESIGN.md section 5 that
//! the declared sources support, per account, as of a cut-off.
//!
//! The same code computes the features a night scores and the features of
//! every training cut-off, so a model never sees a feature that was made
//! differently from the one it is applied to. A feature whose source is not
//! declared is null for every account; a feature whose source is declared
//! but has no events for an account is 0 where it counts or sums, and null
//! where it measures time since an event that never happened.

use std::collections::BTreeSet;

use polars::prelude::*;

use crate::config::Config;
use crate::contract::SourceKind;
use crate::ingest::Ingested;
use crate::snapshot::{self, Cutoff, MS_PER_DAY};

/// One feature: its stable column name, what it measures, and its null rule.
pub struct FeatureSpec {
    pub name: &'static str,
    pub group: &'static str,
    pub description: &'static str,
    pub when_null: &'static str,
}

const fn spec(
    name: &'static str,
    group: &'static str,
    description: &'static str,
    when_null: &'static str,
) -> FeatureSpec {
    FeatureSpec {
        name,
        group,
        description,
        when_null,
    }
}

const NO_DEALS: &str = "no opportunities source";
const NO_ORDERS: &str = "no orders source";

/// Every feature this version computes, in output order.
pub const CATALOGUE: &[FeatureSpec] = &[
    spec(
        "won_count_365d",
        "deals",
        "deals won in the 365 days before D",
        NO_DEALS,
    ),
    spec(
        "won_amount_365d",
        "deals",
        "base-currency value of deals won in 365 days",
        NO_DEALS,
    ),
    spec(
        "lost_count_365d",
        "deals",
        "deals lost in the 365 days before D",
        NO_DEALS,
    ),
    spec(
        "win_rate_365d",
        "deals",
        "won / (won + lost) over 365 days",
        "no deal closed in 365 days",
    ),
    spec(
        "days_since_last_win",
        "deals",
        "days from the last won deal to D",
        "never won",
    ),
    spec(
        "open_pipeline_amount",
        "deals",
        "value of deals open at D",
        NO_DEALS,
    ),
    spec("open_deal_count", "deals", "deals open at D", NO_DEALS),
    spec(
        "median_sales_cycle_days",
        "deals",
        "median days from creation to win",
        "never won",
    ),
    spec(
        "order_amount_90d",
        "orders",
        "value ordered in the 90 days before D, returns excluded",
        NO_ORDERS,
    ),
    spec(
        "order_amount_90d_vs_prior_90d",
        "orders",
        "order value of the last 90 days / the 90 before",
        "nothing ordered in the prior 90 days",
    ),
    spec(
        "return_rate_365d",
        "orders",
        "return lines / order lines over 365 days",
        "no order line in 365 days",
    ),
    spec(
        "days_since_last_order",
        "orders",
        "days from the last order to D",
        "never ordered",
    ),
    spec(
        "order_days_365d",
        "orders",
        "days with an order in the 365 days before D",
        NO_ORDERS,
    ),
    spec(
        "order_amount_365d",
        "orders",
        "value ordered in 365 days, returns excluded",
        NO_ORDERS,
    ),
    spec(
        "holidays_next_14d",
        "holidays",
        "public holidays in the account's region in the 14 days from D",
        "no holidays source",
    ),
    spec(
        "fx_change_90d",
        "fx",
        "relative change of the account currency against base over 90 days",
        "no rates or unknown currency",
    ),
    spec(
        "fx_volatility_90d",
        "fx",
        "standard deviation of daily log changes over 90 days",
        "fewer than 2 rates in 90 days",
    ),
    spec(
        "tenure_days",
        "account",
        "days since the account was created or first seen",
        "creation date unknown",
    ),
    spec(
        "size_band",
        "account",
        "1: <50 staff, 2: <250, 3: <1000, 4: 1000 or more",
        "size unknown",
    ),
];

/// The model inputs, in the catalogue's order.
pub fn names() -> Vec<String> {
    CATALOGUE.iter().map(|f| f.name.to_string()).collect()
}

/// Accounts at the cut with their region, industry, customer flag and
/// every catalogue feature, sorted by account id.
pub fn compute(ingested: &Ingested, config: &Config, cutoff: Cutoff) -> PolarsResult<DataFrame> {
    let accounts = snapshot::accounts(ingested, cutoff).select([
        col("account_id"),
        col("account_name"),
        col("region"),
        col("industry"),
        col("currency"),
        col("created_ms"),
        col("size"),
    ]);

    let mut frame = accounts;
    frame = join_or_null(frame, deal_features(ingested, cutoff), DEAL_COLUMNS);
    frame = join_or_null(frame, order_features(ingested, cutoff), ORDER_COLUMNS);
    frame = with_holidays(frame, ingested, cutoff);
    frame = with_fx(frame, ingested, config, cutoff)?;

    frame
        .with_columns([
            customer_flag(ingested).alias("is_customer"),
            ((lit(cutoff.millis) - col("created_ms")).cast(DataType::Float64)
                / lit(MS_PER_DAY as f64))
            .alias("tenure_days"),
            size_band().alias("size_band"),
        ])
        .sort(["account_id"], SortMultipleOptions::default())
        .collect()
}

const DEAL_COLUMNS: &[&str] = &[
    "won_count_365d",
    "won_amount_365d",
    "lost_count_365d",
    "win_rate_365d",
    "days_since_last_win",
    "open_pipeline_amount",
    "open_deal_count",
    "median_sales_cycle_days",
    "won_any_365d",
    "owner_agent",
];

const ORDER_COLUMNS: &[&str] = &[
    "order_amount_90d",
    "order_amount_90d_vs_prior_90d",
    "return_rate_365d",
    "days_since_last_order",
    "order_days_365d",
    "order_amount_365d",
    "ordered_any_365d",
];

/// Counts and sums that are 0, not null, for an account without events.
const ZERO_WHEN_ABSENT: &[&str] = &[
    "won_count_365d",
    "won_amount_365d",
    "lost_count_365d",
    "open_pipeline_amount",
    "open_deal_count",
    "order_amount_90d",
    "order_days_365d",
    "order_amount_365d",
];

fn days_since(instant: Expr, cutoff: Cutoff) -> Expr {
    (lit(cutoff.millis) - instant).cast(DataType::Float64) / lit(MS_PER_DAY as f64)
}

fn deal_features(ingested: &Ingested, cutoff: Cutoff) -> Option<LazyFrame> {
    let deals = snapshot::opportunities(ingested, cutoff)?;
    let year_ago = cutoff.days_before(365);
    let recent = col("closed_at_ms").gt_eq(lit(year_ago));
    let won = col("stage_at").eq(lit("won"));
    let lost = col("stage_at").eq(lit("lost"));
    let open = col("stage_at").eq(lit("open"));
    let count = |e: Expr| e.cast(DataType::Float64).sum();

    let won_recent = won.clone().and(recent.clone());
    let lost_recent = lost.and(recent);
    let cycle =
        (col("closed_at_ms") - col("created_ms")).cast(DataType::Float64) / lit(MS_PER_DAY as f64);

    let features = deals.group_by([col("account_id")]).agg([
        count(won_recent.clone()).alias("won_count_365d"),
        col("amount_base")
            .filter(won_recent.clone())
            .sum()
            .alias("won_amount_365d"),
        count(lost_recent.clone()).alias("lost_count_365d"),
        col("closed_at_ms")
            .filter(won.clone())
            .max()
            .alias("last_win_ms"),
        col("amount_base")
            .filter(open.clone())
            .sum()
            .alias("open_pipeline_amount"),
        count(open).alias("open_deal_count"),
        cycle.filter(won).median().alias("median_sales_cycle_days"),
        col("owner")
            .sort_by([col("created_ms")], SortMultipleOptions::default())
            .last()
            .alias("owner_agent"),
    ]);

    Some(
        features.with_columns([
            ratio(
                col("won_count_365d"),
                col("won_count_365d") + col("lost_count_365d"),
            )
            .alias("win_rate_365d"),
            days_since(col("last_win_ms"), cutoff).alias("days_since_last_win"),
            col("won_count_365d").gt(lit(0.0)).alias("won_any_365d"),
        ]),
    )
}

fn order_features(ingested: &Ingested, cutoff: Cutoff) -> Option<LazyFrame> {
    let orders = snapshot::orders(ingested, cutoff)?;
    let kept = col("is_return").not();
    let since = |days: i64| col("ts_ms").gt_eq(lit(cutoff.days_before(days)));
    let window_90 = since(90);
    let prior_90 = since(180).and(window_90.clone().not());
    let year = since(365);
    let day = col("ts_ms") / lit(MS_PER_DAY);

    let features = orders.group_by([col("account_id")]).agg([
        col("amount_base")
            .filter(kept.clone().and(window_90))
            .sum()
            .alias("order_amount_90d"),
        col("amount_base")
            .filter(kept.clone().and(prior_90))
            .sum()
            .alias("prior_90d"),
        col("is_return")
            .filter(year.clone())
            .cast(DataType::Float64)
            .mean()
            .alias("return_rate_365d"),
        col("ts_ms")
            .filter(kept.clone())
            .max()
            .alias("last_order_ms"),
        day.filter(kept.clone().and(year.clone()))
            .n_unique()
            .cast(DataType::Float64)
            .alias("order_days_365d"),
        col("amount_base")
            .filter(kept.and(year))
            .sum()
            .alias("order_amount_365d"),
    ]);

    Some(
        features.with_columns([
            ratio(col("order_amount_90d"), col("prior_90d")).alias("order_amount_90d_vs_prior_90d"),
            days_since(col("last_order_ms"), cutoff).alias("days_since_last_order"),
            col("order_days_365d")
                .gt(lit(0.0))
                .alias("ordered_any_365d"),
        ]),
    )
}

/// `numerator / denominator`, null when the denominator is not positive.
fn ratio(numerator: Expr, denominator: Expr) -> Expr {
    when(denominator.clone().gt(lit(0.0)))
        .then(numerator.cast(DataType::Float64) / denominator.cast(DataType::Float64))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// Left-joins per-account features, or adds them as nulls when the source
/// is not declared.
fn join_or_null(frame: LazyFrame, features: Option<LazyFrame>, columns: &[&str]) -> LazyFrame {
    let Some(features) = features else {
        let nulls: Vec<Expr> = columns
            .iter()
            .map(|name| {
                let dtype = match *name {
                    "owner_agent" => DataType::String,
                    n if n.ends_with("_any_365d") => DataType::Boolean,
                    _ => DataType::Float64,
                };
                lit(NULL).cast(dtype).alias(*name)
            })
            .collect();
        return frame.with_columns(nulls);
    };

    let mut wanted = vec![col("account_id")];
    wanted.extend(columns.iter().map(|name| col(*name)));
    let joined = frame.left_join(
        features.select(wanted),
        col("account_id"),
        col("account_id"),
    );

    let filled: Vec<Expr> = columns
        .iter()
        .filter(|name| ZERO_WHEN_ABSENT.contains(name) || name.ends_with("_any_365d"))
        .map(|name| {
            let zero = if name.ends_with("_any_365d") {
                lit(false)
            } else {
                lit(0.0)
            };
            col(*name).fill_null(zero).alias(*name)
        })
        .collect();
    joined.with_columns(filled)
}

/// A current customer: an order or a won deal in the 365 days before D.
fn customer_flag(ingested: &Ingested) -> Expr {
    let has_orders = ingested.frame(SourceKind::Orders).is_some();
    let has_deals = ingested.frame(SourceKind::Opportunities).is_some();
    match (has_orders, has_deals) {
        (true, true) => col("ordered_any_365d").or(col("won_any_365d")),
        (true, false) => col("ordered_any_365d"),
        (false, true) => col("won_any_365d"),
        (false, false) => lit(false),
    }
}

fn size_band() -> Expr {
    let size = col("size");
    when(size.clone().is_null())
        .then(lit(NULL).cast(DataType::Float64))
        .when(size.clone().lt(lit(50.0)))
        .then(lit(1.0))
        .when(size.clone().lt(lit(250.0)))
        .then(lit(2.0))
        .when(size.lt(lit(1000.0)))
        .then(lit(3.0))
        .otherwise(lit(4.0))
}

fn with_holidays(frame: LazyFrame, ingested: &Ingested, cutoff: Cutoff) -> LazyFrame {
    let Some(holidays) = ingested.frame(SourceKind::Holidays) else {
        return frame.with_column(lit(NULL).cast(DataType::Float64).alias("holidays_next_14d"));
    };

    // Regions the calendar covers count their holidays (0 when none is
    // coming); regions it does not cover stay null, not 0.
    let first = cutoff.day();
    let coming = col("day")
        .gt_eq(lit(first))
        .and(col("day").lt(lit(first + 14)));
    let upcoming = holidays
        .clone()
        .lazy()
        .group_by([col("region")])
        .agg([col("day")
            .filter(coming)
            .n_unique()
            .cast(DataType::Float64)
            .alias("holidays_next_14d")]);

    frame.left_join(upcoming, col("region"), col("region"))
}

/// FX features per account currency, computed from the rate table.
fn with_fx(
    frame: LazyFrame,
    ingested: &Ingested,
    config: &Config,
    cutoff: Cutoff,
) -> PolarsResult<LazyFrame> {
    let base = &config.company.base_currency;
    let carry = config.company.fx_max_carry_days;
    let last = cutoff.day() - 1;
    let first = last - 90;

    let mut currencies: BTreeSet<String> = ingested.fx.series.keys().cloned().collect();
    currencies.insert(base.clone());
    currencies.insert(ingested.fx.quote.clone());

    let mut names = Vec::new();
    let mut changes = Vec::new();
    let mut volatilities = Vec::new();
    for currency in currencies {
        let values = ingested
            .fx
            .daily_values(&currency, base, first, last, carry);
        names.push(currency);
        changes.push(fx_change(&values));
        volatilities.push(fx_volatility(&values));
    }

    let table = DataFrame::new_infer_height(vec![
        Series::new("currency".into(), names).into(),
        Series::new("fx_change_90d".into(), changes).into(),
        Series::new("fx_volatility_90d".into(), volatilities).into(),
    ])?;
    Ok(frame.left_join(table.lazy(), col("currency"), col("currency")))
}

fn fx_change(values: &[f64]) -> Option<f64> {
    let (first, last) = (values.first()?, values.last()?);
    (values.len() >= 2).then(|| last / first - 1.0)
}

fn fx_volatility(values: &[f64]) -> Option<f64> {
    let changes: Vec<f64> = values.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    if changes.len() < 2 {
        return None;
    }
    let mean = changes.iter().sum::<f64>() / changes.len() as f64;
    let variance =
        changes.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (changes.len() - 1) as f64;
    Some(variance.sqrt())
}

/// What happened in the horizon after a cut-off: the training labels.
pub fn outcomes(ingested: &Ingested, cutoff: Cutoff, horizon_days: i64) -> PolarsResult<DataFrame> {
    let start = cutoff.millis;
    let end = cutoff.millis + horizon_days * MS_PER_DAY;
    let within = |c: &str| col(c).gt_eq(lit(start)).and(col(c).lt(lit(end)));

    let mut parts = Vec::new();
    if let Some(deals) = ingested.frame(SourceKind::Opportunities) {
        parts.push(
            deals
                .clone()
                .lazy()
                .filter(col("stage").eq(lit("won")).and(within("closed_ms")))
                .select([
                    col("account_id"),
                    lit(true).alias("won"),
                    lit(true).alias("active"),
                ]),
        );
    }
    if let Some(orders) = ingested.frame(SourceKind::Orders) {
        let has_deals = !parts.is_empty();
        parts.push(
            orders
                .clone()
                .lazy()
                .filter(col("is_return").not().and(within("ts_ms")))
                .select([
                    col("account_id"),
                    lit(!has_deals).alias("won"),
                    lit(true).alias("active"),
                ]),
        );
    }
    if parts.is_empty() {
        return DataFrame::new_infer_height(vec![
            Series::new_empty("account_id".into(), &DataType::String).into(),
            Series::new_empty("won".into(), &DataType::Boolean).into(),
            Series::new_empty("active".into(), &DataType::Boolean).into(),
        ]);
    }

    concat(parts, UnionArgs::default())?
        .group_by([col("account_id")])
        .agg([col("won").any(true), col("active").any(true)])
        .sort(["account_id"], SortMultipleOptions::default())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::NaiveDate;

    use super::*;
    use crate::fx::FxTable;
    use crate::regions::RegionResolver;

    const D: i64 = 1_700_000_000_000;

    fn only_orders() -> Ingested {
        let day = MS_PER_DAY;
        let orders = df!(
            "order_id" => [Some("1"), Some("2"), Some("3"), Some("4")],
            "account_id" => [Some("a"), Some("a"), Some("b"), Some("a")],
            "ts_ms" => [D - 10 * day, D - 100 * day, D - 400 * day, D + day],
            "amount_base" => [100.0, 50.0, 20.0, 999.0],
            "currency" => [Some("EUR"); 4],
            "is_return" => [false, false, false, false],
            "region" => [Some("North"); 4],
            "industry" => [None::<&str>; 4],
        )
        .unwrap();
        Ingested {
            frames: BTreeMap::from([(SourceKind::Orders, orders)]),
            fx: FxTable::new("EUR"),
            regions: RegionResolver::default(),
            known_accounts: None,
            stats: Vec::new(),
            quarantine: Vec::new(),
        }
    }

    fn config() -> Config {
        let text = "[company]\nname = \"t\"\ntime_zone = \"UTC\"\nbase_currency = \"EUR\"\n";
        toml::from_str(text).unwrap()
    }

    fn value(frame: &DataFrame, name: &str, row: usize) -> Option<f64> {
        frame
            .column(name)
            .unwrap()
            .cast(&DataType::Float64)
            .unwrap()
            .f64()
            .unwrap()
            .get(row)
    }

    #[test]
    fn absent_sources_give_null_and_present_ones_count_before_the_cut() {
        let cutoff = Cutoff {
            date: NaiveDate::from_ymd_opt(2023, 11, 14).unwrap(),
            millis: D,
        };
        let frame = compute(&only_orders(), &config(), cutoff).unwrap();

        assert_eq!(frame.height(), 2, "accounts a and b, first seen before D");
        assert_eq!(
            value(&frame, "order_amount_90d", 0),
            Some(100.0),
            "the order after D is unseen"
        );
        assert_eq!(value(&frame, "order_amount_365d", 0), Some(150.0));
        assert_eq!(value(&frame, "order_amount_90d", 1), Some(0.0));
        assert_eq!(value(&frame, "days_since_last_order", 0), Some(10.0));
        assert_eq!(value(&frame, "days_since_last_order", 1), Some(400.0));
        assert_eq!(
            value(&frame, "won_count_365d", 0),
            None,
            "no opportunities source"
        );
        assert_eq!(
            value(&frame, "holidays_next_14d", 0),
            None,
            "no holidays source"
        );
        assert_eq!(value(&frame, "size_band", 0), None);
        let customers = frame.column("is_customer").unwrap().bool().unwrap();
        assert_eq!(customers.get(0), Some(true));
        assert_eq!(
            customers.get(1),
            Some(false),
            "b's only order is 400 days old"
        );
    }
}
