//! Stage 2, snapshot: cut every source at a point in time.
//!
//! A run for as-of date D sees only events before D 00:00 in the company's
//! time zone. Training uses the same cut at earlier dates, so the features
//! a model learns from are computed exactly like the ones it scores.
//! Deals are restated as they stood at the cut: a deal won after it is
//! still open there. Exports keep only a deal's final amount, which for a
//! deal that closed after the cut is later knowledge (a lost deal's value
//! is often 0), so such a deal counts as open with an unknown amount.

use chrono::NaiveDate;
use chrono_tz::Tz;
use polars::prelude::*;

use crate::contract::SourceKind;
use crate::ingest::parse::{days_since_epoch, local_to_utc};
use crate::ingest::Ingested;

pub const MS_PER_DAY: i64 = 86_400_000;

/// A point in time that a snapshot is cut at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cutoff {
    /// The as-of date D in the company's zone.
    pub date: NaiveDate,
    /// D 00:00 in the company's zone, as UTC milliseconds.
    pub millis: i64,
}

impl Cutoff {
    pub fn new(date: NaiveDate, zone: Tz) -> Cutoff {
        let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
        let millis = local_to_utc(midnight, zone).expect("a local midnight always maps");
        Cutoff { date, millis }
    }

    pub fn day(&self) -> i32 {
        days_since_epoch(self.date)
    }

    /// The instant `days` days before this cut.
    pub fn days_before(&self, days: i64) -> i64 {
        self.millis - days * MS_PER_DAY
    }
}

/// Orders before the cut.
pub fn orders(ingested: &Ingested, cutoff: Cutoff) -> Option<LazyFrame> {
    let orders = ingested.frame(SourceKind::Orders)?.clone().lazy();
    Some(orders.filter(col("ts_ms").lt(lit(cutoff.millis))))
}

/// Deals created before the cut, with `stage_at`, `closed_at_ms` and
/// `amount_at` as they stood at the cut.
pub fn opportunities(ingested: &Ingested, cutoff: Cutoff) -> Option<LazyFrame> {
    let deals = ingested.frame(SourceKind::Opportunities)?.clone().lazy();
    let closed_before = col("closed_ms").lt(lit(cutoff.millis));

    Some(
        deals
            .filter(col("created_ms").lt(lit(cutoff.millis)))
            .with_columns([
                when(col("stage").neq(lit("open")).and(closed_before.clone()))
                    .then(col("stage"))
                    .otherwise(lit("open"))
                    .alias("stage_at"),
                when(closed_before.clone())
                    .then(col("closed_ms"))
                    .otherwise(lit(NULL).cast(DataType::Int64))
                    .alias("closed_at_ms"),
                when(col("stage").neq(lit("open")).and(closed_before.not()))
                    .then(lit(NULL).cast(DataType::Float64))
                    .otherwise(col("amount_base"))
                    .alias("amount_at"),
            ]),
    )
}

/// The accounts that exist at the cut: declared accounts created before it
/// (or with no creation date), else the accounts that have an event before
/// it, with region, industry and currency from their first order.
pub fn accounts(ingested: &Ingested, cutoff: Cutoff) -> LazyFrame {
    if let Some(accounts) = ingested.frame(SourceKind::Accounts) {
        let created = col("created_ms");
        return accounts
            .clone()
            .lazy()
            .filter(created.clone().is_null().or(created.lt(lit(cutoff.millis))));
    }

    let from_orders = orders(ingested, cutoff).map(|orders| {
        orders.select([
            col("account_id"),
            col("ts_ms").alias("first_ms"),
            col("region"),
            col("industry"),
            col("currency"),
        ])
    });
    let from_deals = opportunities(ingested, cutoff).map(|deals| {
        deals.select([
            col("account_id"),
            col("created_ms").alias("first_ms"),
            lit(NULL).cast(DataType::String).alias("region"),
            lit(NULL).cast(DataType::String).alias("industry"),
            lit(NULL).cast(DataType::String).alias("currency"),
        ])
    });

    let mut events: Vec<LazyFrame> = [from_orders, from_deals].into_iter().flatten().collect();
    events.extend(other_activity(ingested, cutoff));
    first_seen_accounts(events)
}

/// Accounts seen only in contracts, service or engagement sources (an
/// export of tweets per brand, say) exist from their first event too; these
/// sources name no region, industry or currency.
fn other_activity(ingested: &Ingested, cutoff: Cutoff) -> Vec<LazyFrame> {
    let day_start = |day: &str| col(day).cast(DataType::Int64) * lit(MS_PER_DAY);
    let sources = [
        (SourceKind::Contracts, day_start("start_day")),
        (SourceKind::Complaints, col("created_ms")),
        (SourceKind::Tickets, col("opened_ms")),
        (SourceKind::WebEvents, col("ts_ms")),
        (SourceKind::Social, col("ts_ms")),
    ];

    let text_null = || lit(NULL).cast(DataType::String);
    sources
        .into_iter()
        .filter_map(|(kind, first)| {
            let frame = ingested.frame(kind)?.clone().lazy();
            let seen = frame
                .select([col("account_id"), first.alias("first_ms")])
                .filter(col("first_ms").lt(lit(cutoff.millis)));
            Some(seen.with_columns([
                text_null().alias("region"),
                text_null().alias("industry"),
                text_null().alias("currency"),
            ]))
        })
        .collect()
}

fn first_seen_accounts(events: Vec<LazyFrame>) -> LazyFrame {
    let empty = events.is_empty();
    let all = if empty {
        DataFrame::new_infer_height(vec![
            Series::new_empty("account_id".into(), &DataType::String).into(),
            Series::new_empty("first_ms".into(), &DataType::Int64).into(),
            Series::new_empty("region".into(), &DataType::String).into(),
            Series::new_empty("industry".into(), &DataType::String).into(),
            Series::new_empty("currency".into(), &DataType::String).into(),
        ])
        .expect("empty columns agree")
        .lazy()
    } else {
        concat(events, UnionArgs::default()).expect("event frames share one schema")
    };

    let first = |name: &str| col(name).drop_nulls().first().alias(name);
    all.filter(col("account_id").is_not_null())
        .sort(["first_ms", "account_id"], SortMultipleOptions::default())
        .group_by([col("account_id")])
        .agg([
            col("first_ms").min().alias("created_ms"),
            first("region"),
            first("industry"),
            first("currency"),
        ])
        .with_columns([
            lit(NULL).cast(DataType::String).alias("account_name"),
            lit(NULL).cast(DataType::Float64).alias("size"),
        ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::testing::only;

    fn cut() -> Cutoff {
        Cutoff::new(
            NaiveDate::from_ymd_opt(2015, 2, 20).unwrap(),
            chrono_tz::UTC,
        )
    }

    #[test]
    fn accounts_seen_only_in_social_exist_from_their_first_interaction() {
        let cut = cut();
        let social = df!(
            "account_id" => ["Delta", "United", "Delta", "Virgin"],
            "ts_ms" => [
                cut.millis - 5 * MS_PER_DAY,
                cut.millis - MS_PER_DAY,
                cut.millis - 9 * MS_PER_DAY,
                cut.millis,
            ],
        )
        .unwrap();
        let ingested = only(vec![(SourceKind::Social, social)]);

        let accounts = accounts(&ingested, cut)
            .sort(["account_id"], SortMultipleOptions::default())
            .collect()
            .unwrap();

        let ids: Vec<_> = accounts
            .column("account_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            ids,
            [Some("Delta"), Some("United")],
            "Virgin's tweet is at the cut"
        );
        let created = accounts.column("created_ms").unwrap().i64().unwrap();
        let created: Vec<_> = created.iter().collect();
        let expected = [cut.millis - 9 * MS_PER_DAY, cut.millis - MS_PER_DAY];
        assert_eq!(created, expected.map(Some));
    }
}
