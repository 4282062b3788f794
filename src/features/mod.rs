//! Stage 3, features: the feature dimensions of DESIGN.md section 5 per
//! account, as of a cut-off.
//!
//! The same code computes the features a night scores and the features of
//! every training cut-off, so a model never sees a feature that was made
//! differently from the one it is applied to. Each group of section 5 is a
//! module that adds its columns to the account frame; [`CATALOGUE`] lists
//! them all.
//!
//! Null rules, in general: a feature whose source is not declared is null
//! for every account; a feature whose source is declared but has no events
//! for an account is 0 where it counts or sums, and null where it measures
//! a ratio, a mean or time since an event that never happened. Features of
//! a region (or an industry) are null where the source says nothing about
//! the account's region (or industry).
//!
//! Point in time: only events before the cut count. Facts that change
//! (a complaint's resolution, a contract's renewal) are read as they stood
//! at the cut; forward-looking features use schedule data known in
//! advance only (contract end days, holidays, policy effective days).

mod account;
mod catalogue;
mod channel;
mod commodities;
mod competitors;
mod complaints;
mod contracts;
mod deals;
mod fx;
mod holidays;
mod lifetime;
mod orders;
mod outcomes;
mod policy;
mod social;
mod tickets;
mod weather;
mod web;

#[cfg(test)]
pub(crate) mod testing;

use polars::prelude::*;

use crate::config::Config;
use crate::ingest::Ingested;
use crate::snapshot::{self, Cutoff, MS_PER_DAY};

pub use catalogue::{names, FeatureSpec, CATALOGUE};
pub use outcomes::outcomes;

/// What every group reads: the sources, the settings and the cut.
struct Inputs<'a> {
    ingested: &'a Ingested,
    config: &'a Config,
    cutoff: Cutoff,
}

/// A group adds its feature columns to the account frame.
type Group = fn(LazyFrame, &Inputs) -> PolarsResult<LazyFrame>;

/// The groups in the order they are joined; `account` reads the helper
/// columns of `deals` and `orders`, so it comes after them.
const GROUPS: &[Group] = &[
    deals::add,
    contracts::add,
    orders::add,
    complaints::add,
    tickets::add,
    web::add,
    social::add,
    channel::add,
    competitors::add,
    policy::add,
    weather::add,
    holidays::add,
    fx::add,
    commodities::add,
    account::add,
    lifetime::add,
];

/// Accounts at the cut with their region, industry, customer flag and
/// every catalogue feature, sorted by account id.
pub fn compute(ingested: &Ingested, config: &Config, cutoff: Cutoff) -> PolarsResult<DataFrame> {
    let inputs = Inputs {
        ingested,
        config,
        cutoff,
    };
    let mut frame = snapshot::accounts(ingested, cutoff).select([
        col("account_id"),
        col("account_name"),
        col("region"),
        col("industry"),
        col("currency"),
        col("created_ms"),
        col("size"),
    ]);

    for add in GROUPS {
        frame = add(frame, &inputs)?;
    }

    let frame = frame
        .sort(["account_id"], SortMultipleOptions::default())
        .collect()?;
    refuse_overflow(&frame)?;
    Ok(frame)
}

/// Money sums are f64, which never wraps but saturates to infinity; a
/// feature that did so is an error naming the feature and the account,
/// never a number passed on to the model.
fn refuse_overflow(frame: &DataFrame) -> PolarsResult<()> {
    for spec in CATALOGUE {
        let Ok(column) = frame.column(spec.name) else {
            continue;
        };
        let Ok(values) = column.f64() else {
            continue;
        };
        let Some(row) = values
            .iter()
            .position(|v| v.is_some_and(|v| !v.is_finite()))
        else {
            continue;
        };
        let account = frame.column("account_id")?.get(row)?;
        return Err(PolarsError::ComputeError(
            format!(
                "feature `{}` overflowed for account {account}: a sum is beyond \
                 what a 64-bit float holds",
                spec.name
            )
            .into(),
        ));
    }
    Ok(())
}

/// Days from `instant` (UTC milliseconds) to the cut.
fn days_since(instant: Expr, cutoff: Cutoff) -> Expr {
    (lit(cutoff.millis) - instant).cast(DataType::Float64) / lit(MS_PER_DAY as f64)
}

/// The millisecond column `name` falls in `[D - from_days, D - to_days)`.
fn within_ms(name: &str, cutoff: Cutoff, from_days: i64, to_days: i64) -> Expr {
    let instant = col(name).cast(DataType::Int64);
    instant
        .clone()
        .gt_eq(lit(cutoff.days_before(from_days)))
        .and(instant.lt(lit(cutoff.days_before(to_days))))
}

/// The day column `name` falls in `[D - from_days, D - to_days)`.
fn within_days(name: &str, cutoff: Cutoff, from_days: i32, to_days: i32) -> Expr {
    let day = col(name).cast(DataType::Int32);
    let d = cutoff.day();
    day.clone()
        .gt_eq(lit(d - from_days))
        .and(day.lt(lit(d - to_days)))
}

/// How many rows satisfy `condition`, as a float.
fn count(condition: Expr) -> Expr {
    condition
        .fill_null(lit(false))
        .cast(DataType::Float64)
        .sum()
}

/// `numerator / denominator`, null when the denominator is not positive.
fn ratio(numerator: Expr, denominator: Expr) -> Expr {
    when(denominator.clone().gt(lit(0.0)))
        .then(numerator.cast(DataType::Float64) / denominator.cast(DataType::Float64))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// A yes/no column read as a boolean whatever type the source gave it:
/// text counts as yes unless it is empty or says no (false, no, n, 0,
/// none), numbers count as yes above 0. Missing values stay missing.
fn flag(frame: &DataFrame, name: &str) -> Expr {
    let value = col(name);
    match frame.column(name).map(|c| c.dtype().clone()) {
        Ok(DataType::Boolean) => value,
        Ok(DataType::String) => {
            let word = value
                .clone()
                .str()
                .to_lowercase()
                .str()
                .strip_chars(lit(NULL));
            let says_no = ["", "false", "no", "n", "0", "none"]
                .into_iter()
                .fold(lit(false), |any, no| any.or(word.clone().eq(lit(no))));
            when(value.is_null())
                .then(lit(NULL).cast(DataType::Boolean))
                .otherwise(says_no.not())
        }
        Ok(_) => value.cast(DataType::Float64).gt(lit(0.0)),
        Err(_) => lit(NULL).cast(DataType::Boolean),
    }
}

/// The column dtype a group's feature has when its source is absent.
fn null_dtype(name: &str) -> DataType {
    match name {
        "owner_agent" => DataType::String,
        n if n.ends_with("_any_365d") => DataType::Boolean,
        _ => DataType::Float64,
    }
}

/// Adds `columns` as nulls: the source they come from is not declared.
fn with_nulls(frame: LazyFrame, columns: &[&str]) -> LazyFrame {
    let nulls: Vec<Expr> = columns
        .iter()
        .map(|name| lit(NULL).cast(null_dtype(name)).alias(*name))
        .collect();
    frame.with_columns(nulls)
}

/// Left-joins per-account features, or adds them as nulls when the source
/// is not declared. `zeros` are counts and sums (0 for an account without
/// events); columns ending in `_any_365d` are flags (false without events).
fn join_or_null(
    frame: LazyFrame,
    features: Option<LazyFrame>,
    columns: &[&str],
    zeros: &[&str],
) -> LazyFrame {
    let Some(features) = features else {
        return with_nulls(frame, columns);
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
        .filter_map(|name| {
            let empty = if name.ends_with("_any_365d") {
                lit(false)
            } else if zeros.contains(name) {
                lit(0.0)
            } else {
                return None;
            };
            Some(col(*name).fill_null(empty).alias(*name))
        })
        .collect();
    joined.with_columns(filled)
}

/// Left-joins features of a region on the account's region, or adds them
/// as nulls when the source is not declared. Regions the table does not
/// list, and accounts without a region, get nulls.
fn join_region_or_null(
    frame: LazyFrame,
    per_region: Option<LazyFrame>,
    columns: &[&str],
) -> LazyFrame {
    let Some(per_region) = per_region else {
        return with_nulls(frame, columns);
    };

    let mut wanted = vec![col("region")];
    wanted.extend(columns.iter().map(|name| col(*name)));
    frame.left_join(per_region.select(wanted), col("region"), col("region"))
}

/// An industry name as the join key it is matched by: trimmed and lower
/// case; an empty name is no industry.
fn industry_key(industry: Expr) -> Expr {
    let key = industry.str().to_lowercase().str().strip_chars(lit(NULL));
    when(key.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(key)
}

#[cfg(test)]
mod tests {

    use chrono::NaiveDate;

    use super::*;
    use crate::contract::SourceKind;

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
        testing::only(vec![(SourceKind::Orders, orders)])
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
    fn a_sum_beyond_f64_is_an_error_naming_feature_and_account() {
        let mut ingested = only_orders();
        let orders = ingested.frames.get_mut(&SourceKind::Orders).unwrap();
        let huge = Series::new("amount_base".into(), [1e308, 1e308, 20.0, 999.0]);
        orders.replace("amount_base", huge.into()).unwrap();

        let error = compute(&ingested, &config(), cutoff()).unwrap_err();

        let text = error.to_string();
        assert!(
            text.contains("feature `order_amount_365d` overflowed for account \"a\""),
            "{text}"
        );
    }

    #[test]
    fn catalogue_names_are_unique_and_every_one_is_computed() {
        let frame = compute(&only_orders(), &config(), cutoff()).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for spec in CATALOGUE {
            assert!(seen.insert(spec.name), "{} is listed twice", spec.name);
            assert!(
                frame.column(spec.name).is_ok(),
                "{} is not computed",
                spec.name
            );
        }
        assert_eq!(
            CATALOGUE.len(),
            49,
            "44 dimensions of DESIGN.md, 2 order extras and 3 lifetime features"
        );
        let groups: std::collections::BTreeSet<&str> =
            CATALOGUE.iter().map(|spec| spec.group).collect();
        assert_eq!(groups.len(), 16, "{groups:?}");
    }

    fn cutoff() -> Cutoff {
        Cutoff {
            date: NaiveDate::from_ymd_opt(2023, 11, 14).unwrap(),
            millis: D,
        }
    }

    #[test]
    fn absent_sources_give_null_and_present_ones_count_before_the_cut() {
        let frame = compute(&only_orders(), &config(), cutoff()).unwrap();

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
