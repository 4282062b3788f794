//! Lifetime features: the buy-till-you-die models of `score::btyd` fitted
//! on the order history before the cut, giving each account its chance of
//! still being active, its expected orders over the model horizon and its
//! expected order value.
//!
//! Inputs per account, from non-return orders strictly before the cut:
//! an order day is a 24-hour period ending at the cut (day 1 is the last
//! 24 hours before D 00:00 local, day 2 the 24 before that, ...), so days
//! follow the company's calendar and every cut-off cuts them the same way.
//! `x` is the number of distinct order days minus 1 (repeat days), `t_x`
//! the time from the first to the last order day and `T` the time from the
//! start of the first order day to the cut. Times are in weeks (days / 7):
//! the fitted parameters then stay near 1, where the optimiser starts, and
//! match the scale of the published fits. The monetary value of an account
//! is the mean base-currency value of its repeat order days (the first day
//! is left out, as the Gamma-Gamma model asks).
//!
//! One fit per cut, on every account with orders. When a fit cannot be
//! trusted the features are null for every account at that cut and a
//! warning names the cut-off and the reason.
//!
//! Known cost: each fit runs the Nelder-Mead search of `score::btyd` over
//! every account with orders, so on the online-retail example (about 4,000
//! accounts) one cut-off takes close to a minute and a nightly run with
//! six cut-offs several minutes. Merging accounts with equal (x, t_x, T)
//! into weighted rows, or a gradient-based optimiser, would cut this.

use std::collections::BTreeMap;

use polars::prelude::*;
use tracing::warn;

use super::{join_or_null, Inputs};
use crate::score::btyd::{BgNbd, GammaGamma, History};
use crate::snapshot::{self, Cutoff, MS_PER_DAY};

const COLUMNS: &[&str] = &["p_alive", "expected_orders_horizon", "expected_order_value"];

/// Days in the time unit the models are fitted in (weeks).
pub(crate) const DAYS_PER_UNIT: f64 = 7.0;

/// Fewer accounts with orders, or fewer with a repeat order day, than
/// these and the fit says more about the optimiser than the customers.
const MIN_ACCOUNTS: usize = 30;
const MIN_REPEATERS: usize = 10;

/// A fitted parameter outside this range means the likelihood ran off
/// towards zero or infinity (the optimiser works on logs, unbounded):
/// the model degenerated and its numbers are not used.
const PARAMETER_RANGE: (f64, f64) = (1e-6, 1e6);

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let features = match snapshot::orders(inputs.ingested, inputs.cutoff) {
        Some(orders) => Some(per_account(orders, inputs)?.lazy()),
        None => None,
    };
    Ok(join_or_null(frame, features, COLUMNS, &[]))
}

/// One account's order days before the cut: day number (1 = the last 24
/// hours before the cut) to the base-currency value ordered that day.
type OrderDays = BTreeMap<i64, f64>;

/// What the models read of one account.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    pub history: History,
    /// Mean value of the repeat order days; none without a repeat day.
    pub repeat_value: Option<f64>,
}

fn per_account(orders: LazyFrame, inputs: &Inputs) -> PolarsResult<DataFrame> {
    let cutoff = inputs.cutoff;
    let days = order_days(orders, cutoff)?;
    let summaries: Vec<(String, Summary)> = days
        .into_iter()
        .map(|(account, days)| (account, summarise(&days)))
        .collect();

    let horizon = inputs.config.model.horizon_days as f64 / DAYS_PER_UNIT;
    let nulls = vec![None; summaries.len()];
    let (p_alive, expected_orders, order_value) = match activity(&summaries, horizon, cutoff) {
        Some((alive, expected)) => (alive, expected, spend(&summaries, cutoff)),
        None => (nulls.clone(), nulls.clone(), nulls),
    };

    let accounts: Vec<&str> = summaries.iter().map(|(id, _)| id.as_str()).collect();
    df!(
        "account_id" => accounts,
        "p_alive" => p_alive,
        "expected_orders_horizon" => expected_orders,
        "expected_order_value" => order_value,
    )
}

/// Non-return orders before the cut summed per account and order day,
/// accounts in id order.
fn order_days(orders: LazyFrame, cutoff: Cutoff) -> PolarsResult<BTreeMap<String, OrderDays>> {
    let kept = orders
        .filter(col("is_return").not())
        .select([
            col("account_id").cast(DataType::String),
            col("ts_ms").cast(DataType::Int64),
            col("amount_base").cast(DataType::Float64),
        ])
        .collect()?;

    let ids = kept.column("account_id")?.str()?;
    let instants = kept.column("ts_ms")?.i64()?;
    let amounts = kept.column("amount_base")?.f64()?;
    let mut accounts: BTreeMap<String, OrderDays> = BTreeMap::new();
    for ((id, instant), amount) in ids.iter().zip(instants.iter()).zip(amounts.iter()) {
        let (Some(id), Some(instant)) = (id, instant) else {
            continue;
        };
        let day = day_before_cut(instant, cutoff);
        let days = match accounts.get_mut(id) {
            Some(days) => days,
            None => accounts.entry(id.to_string()).or_default(),
        };
        *days.entry(day).or_insert(0.0) += amount.unwrap_or(0.0);
    }
    Ok(accounts)
}

/// The order day of an instant before the cut: 1 for the last 24 hours
/// before it, 2 for the 24 before those, and so on.
fn day_before_cut(instant: i64, cutoff: Cutoff) -> i64 {
    let age = cutoff.millis - instant;
    (age + MS_PER_DAY - 1) / MS_PER_DAY
}

/// x, t_x and T in weeks, and the mean repeat-day value, of one account's
/// order days (at least one).
fn summarise(days: &OrderDays) -> Summary {
    let first = *days
        .keys()
        .next_back()
        .expect("an account has an order day");
    let last = *days.keys().next().expect("an account has an order day");
    let repeats = days.len() - 1;
    let history = History {
        x: repeats as f64,
        t_x: (first - last) as f64 / DAYS_PER_UNIT,
        t_obs: first as f64 / DAYS_PER_UNIT,
    };

    let repeat_days = days.iter().filter(|(day, _)| **day != first);
    let repeat_value =
        (repeats > 0).then(|| repeat_days.map(|(_, v)| v).sum::<f64>() / repeats as f64);
    Summary {
        history,
        repeat_value,
    }
}

/// P(alive) and expected orders per account, in account order.
type Activity = (Vec<Option<f64>>, Vec<Option<f64>>);

/// P(alive) and expected orders over `horizon` weeks per account, from a
/// BG/NBD fit on all of them; none when the fit is not usable, and then
/// all three lifetime features are null.
fn activity(summaries: &[(String, Summary)], horizon: f64, cutoff: Cutoff) -> Option<Activity> {
    let all = "p_alive, expected_orders_horizon, expected_order_value";
    let histories: Vec<History> = summaries.iter().map(|(_, s)| s.history).collect();
    let model = match fit_activity(&histories) {
        Ok(model) => model,
        Err(reason) => {
            warn_null(cutoff, all, &reason);
            return None;
        }
    };

    let expected: Result<Vec<f64>, String> = histories
        .iter()
        .map(|h| {
            model
                .expected_purchases(h, horizon)
                .map_err(|e| e.to_string())
        })
        .collect();
    match expected {
        Ok(expected) => {
            let alive = histories.iter().map(|h| Some(model.p_alive(h))).collect();
            Some((alive, expected.into_iter().map(Some).collect()))
        }
        Err(reason) => {
            warn_null(cutoff, all, &reason);
            None
        }
    }
}

/// The BG/NBD fit, or why it is not usable.
pub(crate) fn fit_activity(histories: &[History]) -> Result<BgNbd, String> {
    let repeaters = histories.iter().filter(|h| h.x > 0.0).count();
    if histories.len() < MIN_ACCOUNTS {
        return Err(format!(
            "{} accounts with orders, at least {MIN_ACCOUNTS} needed",
            histories.len()
        ));
    }
    if repeaters < MIN_REPEATERS {
        return Err(format!(
            "{repeaters} accounts with a repeat order day, at least {MIN_REPEATERS} needed"
        ));
    }

    let model = BgNbd::fit(histories).map_err(|e| e.to_string())?;
    let BgNbd { r, alpha, a, b } = model;
    check_parameters("bg/nbd", &[("r", r), ("alpha", alpha)])?;
    if a.min(b) < PARAMETER_RANGE.0 || !(a.is_finite() && b.is_finite()) {
        let detail = format!("bg/nbd parameters a = {a}, b = {b} ran towards zero");
        return Err(format!("{detail}; the fit degenerated"));
    }
    // a and b growing together with a / (a + b) steady is the limit where
    // every account has the same chance of dropping out after an order,
    // which happens when few accounts have left. The search stops at about
    // 1.2e6 there (see `score::btyd`), close enough to that limit for
    // p_alive and expected orders, so the fit is kept.
    Ok(model)
}

/// Expected order value per account from a Gamma-Gamma fit on the
/// accounts with a repeat day of positive mean value; none for the others,
/// and for all when the fit is not usable.
fn spend(summaries: &[(String, Summary)], cutoff: Cutoff) -> Vec<Option<f64>> {
    let spends: Vec<Option<(f64, f64)>> = summaries
        .iter()
        .map(|(_, s)| {
            s.repeat_value
                .filter(|v| *v > 0.0 && v.is_finite())
                .map(|v| (s.history.x, v))
        })
        .collect();
    let model = match fit_spend(&spends, summaries.len()) {
        Ok(model) => model,
        Err(reason) => {
            warn_null(cutoff, "expected_order_value", &reason);
            return vec![None; summaries.len()];
        }
    };

    let values: Result<Vec<Option<f64>>, String> = spends
        .iter()
        .map(|spend| match spend {
            Some((x, zbar)) => model
                .expected_spend(*x, *zbar)
                .map(Some)
                .map_err(|e| e.to_string()),
            None => Ok(None),
        })
        .collect();
    values.unwrap_or_else(|reason| {
        warn_null(cutoff, "expected_order_value", &reason);
        vec![None; summaries.len()]
    })
}

/// The Gamma-Gamma fit on the accounts that have a spend, or why it is
/// not usable. `accounts` counts every account with orders.
pub(crate) fn fit_spend(
    spends: &[Option<(f64, f64)>],
    accounts: usize,
) -> Result<GammaGamma, String> {
    let spends: Vec<(f64, f64)> = spends.iter().flatten().copied().collect();
    if accounts < MIN_ACCOUNTS {
        return Err(format!(
            "{accounts} accounts with orders, at least {MIN_ACCOUNTS} needed"
        ));
    }
    if spends.len() < MIN_REPEATERS {
        return Err(format!(
            "{} accounts with repeat order days of positive value, at least \
             {MIN_REPEATERS} needed",
            spends.len()
        ));
    }

    let model = GammaGamma::fit(&spends).map_err(|e| e.to_string())?;
    let GammaGamma { p, q, gamma } = model;
    check_parameters("gamma-gamma", &[("p", p), ("q", q), ("gamma", gamma)])?;
    Ok(model)
}

fn check_parameters(model: &str, parameters: &[(&str, f64)]) -> Result<(), String> {
    let (low, high) = PARAMETER_RANGE;
    for (name, value) in parameters {
        if !(value.is_finite() && (low..=high).contains(value)) {
            return Err(format!(
                "{model} parameter {name} = {value} ran to the edge of [{low:e}, {high:e}]; \
                 the fit degenerated"
            ));
        }
    }
    Ok(())
}

fn warn_null(cutoff: Cutoff, features: &str, reason: &str) {
    warn!(
        "lifetime features {features} are null for every account at cut-off {}: {reason}",
        cutoff.date
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::SourceKind;
    use crate::features::testing::{self, assert_close, ms_before};

    /// One order line: account, days before the cut, value, return flag.
    type Line = (String, f64, f64, bool);

    /// Forty accounts: account i first ordered 60 + 5i days before the
    /// cut and came back on `repeats(i)` more days: even accounts (0 to 12
    /// repeats) spread them evenly up to the cut, odd ones (1 or 2) came
    /// back 2 to 4 days apart and then fell silent. Repeat day j of account i is worth 10 + i + 5j.
    /// The first day has a second line an hour later, which must merge
    /// into the same order day.
    fn lines() -> Vec<Line> {
        let mut lines = Vec::new();
        for i in 0..40 {
            let id = format!("a{i:02}");
            let first = first_day(i);
            lines.push((id.clone(), first as f64, 7.0, false));
            lines.push((id.clone(), first as f64 - 1.0 / 24.0, 3.0, false));
            for j in 1..=repeats(i) {
                let day = first - j * gap(i);
                lines.push((id.clone(), day as f64, (10 + i + 5 * j) as f64, false));
            }
        }
        lines
    }

    fn first_day(i: usize) -> usize {
        60 + 5 * i
    }

    fn repeats(i: usize) -> usize {
        if i.is_multiple_of(2) {
            [0, 2, 5, 8, 12][i / 2 % 5]
        } else {
            [1, 1, 2][i / 2 % 3]
        }
    }

    fn gap(i: usize) -> usize {
        if i.is_multiple_of(2) {
            first_day(i) / (repeats(i) + 1)
        } else {
            2 + i % 3
        }
    }

    /// The (x, t_x, T) in weeks and repeat-day mean value of account i,
    /// worked out from the construction of [`lines`].
    fn expected_summary(i: usize) -> (History, Option<f64>) {
        let x = repeats(i);
        let history = History {
            x: x as f64,
            t_x: (x * gap(i)) as f64 / 7.0,
            t_obs: first_day(i) as f64 / 7.0,
        };
        let values = (1..=x).map(|j| (10 + i + 5 * j) as f64);
        let mean = (x > 0).then(|| values.sum::<f64>() / x as f64);
        (history, mean)
    }

    fn compute(lines: &[Line]) -> DataFrame {
        let n = lines.len();
        let orders = df!(
            "order_id" => (0..n).map(|k| k.to_string()).collect::<Vec<_>>(),
            "account_id" => lines.iter().map(|l| l.0.clone()).collect::<Vec<_>>(),
            "ts_ms" => lines
                .iter()
                .map(|l| ms_before(0) - (l.1 * MS_PER_DAY as f64).round() as i64)
                .collect::<Vec<_>>(),
            "amount_base" => lines.iter().map(|l| l.2).collect::<Vec<_>>(),
            "currency" => vec![Some("EUR"); n],
            "is_return" => lines.iter().map(|l| l.3).collect::<Vec<_>>(),
            "region" => vec![Some("North"); n],
            "industry" => vec![None::<&str>; n],
        )
        .unwrap();
        let ingested = testing::only(vec![(SourceKind::Orders, orders)]);
        crate::features::compute(&ingested, &testing::config(""), testing::cutoff()).unwrap()
    }

    fn column(frame: &DataFrame, name: &str) -> Vec<Option<f64>> {
        frame.column(name).unwrap().f64().unwrap().iter().collect()
    }

    fn all_null(frame: &DataFrame) -> bool {
        COLUMNS
            .iter()
            .all(|name| column(frame, name).iter().all(Option::is_none))
    }

    #[test]
    fn features_equal_the_btyd_models_fitted_on_the_same_histories() {
        let frame = compute(&lines());
        assert_eq!(frame.height(), 40);

        let summaries: Vec<(History, Option<f64>)> = (0..40).map(expected_summary).collect();
        let histories: Vec<History> = summaries.iter().map(|s| s.0).collect();
        let model = BgNbd::fit(&histories).unwrap();
        let spends: Vec<(f64, f64)> = summaries
            .iter()
            .filter_map(|(h, mean)| mean.map(|m| (h.x, m)))
            .collect();
        assert_eq!(
            spends.len(),
            36,
            "all but the 4 even accounts without repeats"
        );
        let spend = GammaGamma::fit(&spends).unwrap();
        let horizon = testing::config("").model.horizon_days as f64 / 7.0;

        let alive = column(&frame, "p_alive");
        let orders = column(&frame, "expected_orders_horizon");
        let value = column(&frame, "expected_order_value");
        for (i, (h, mean)) in summaries.iter().enumerate() {
            let what = format!("account a{i:02}");
            assert_close(alive[i], Some(model.p_alive(h)), &what);
            let expected = model.expected_purchases(h, horizon).unwrap();
            assert_close(orders[i], Some(expected), &what);
            let want = mean.map(|m| spend.expected_spend(h.x, m).unwrap());
            assert_close(value[i], want, &what);
        }
        assert_eq!(alive[0], Some(1.0), "no repeat day: alive under BG/NBD");
        assert!(alive[39].unwrap() < 1.0, "{:?}", alive[39]);
    }

    #[test]
    fn orders_on_or_after_the_cut_and_returns_change_nothing() {
        let base = compute(&lines());
        let mut more = lines();
        more.push(("a03".into(), 0.0, 500.0, false));
        more.push(("a07".into(), -2.0, 80.0, false));
        more.push(("a11".into(), 5.0, 90.0, true));
        more.push(("a12".into(), 1.0, 60.0, true));
        more.push(("z99".into(), 3.0, 60.0, true));

        let changed = compute(&more);

        for name in COLUMNS {
            let mut want = column(&base, name);
            let got = column(&changed, name);
            // z99 only returned goods: an account without orders, null.
            want.push(None);
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn too_few_accounts_or_repeaters_give_nulls_everywhere() {
        let few: Vec<Line> = lines()
            .into_iter()
            .filter(|l| l.0.as_str() < "a29")
            .collect();
        assert!(all_null(&compute(&few)), "29 accounts");

        let once: Vec<Line> = lines()
            .into_iter()
            .filter(|l| l.2 < 10.0 || l.0.as_str() < "a11")
            .collect();
        let frame = compute(&once);
        assert_eq!(frame.height(), 40);
        assert!(all_null(&frame), "9 accounts with repeat days");
    }

    #[test]
    fn without_an_orders_source_the_features_are_null() {
        let frame = testing::features(vec![]);
        for name in COLUMNS {
            assert_eq!(testing::values(&frame, name), [None; 4], "{name}");
        }
    }

    #[test]
    fn order_days_count_back_from_the_cut() {
        let cutoff = testing::cutoff();
        assert_eq!(day_before_cut(cutoff.millis - 1, cutoff), 1);
        assert_eq!(day_before_cut(cutoff.millis - MS_PER_DAY, cutoff), 1);
        assert_eq!(day_before_cut(cutoff.millis - MS_PER_DAY - 1, cutoff), 2);
    }
}
