//! Service ticket features: recent tickets, tickets open at the cut, and
//! how quickly and how well recent tickets were resolved. Resolution time
//! and satisfaction are known once a ticket is closed, so they come from
//! tickets closed in the 90 days before D.

use polars::prelude::*;

use super::{count, join_or_null, within_ms, Inputs};
use crate::contract::SourceKind;
use crate::snapshot::Cutoff;

const COLUMNS: &[&str] = &[
    "tickets_90d",
    "open_tickets",
    "median_resolution_hours_90d",
    "mean_satisfaction_90d",
];

const ZEROS: &[&str] = &["tickets_90d", "open_tickets"];

const MS_PER_HOUR: f64 = 3_600_000.0;

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let features = inputs
        .ingested
        .frame(SourceKind::Tickets)
        .map(|tickets| per_account(tickets, inputs.cutoff));
    Ok(join_or_null(frame, features, COLUMNS, ZEROS))
}

fn per_account(tickets: &DataFrame, cutoff: Cutoff) -> LazyFrame {
    let opened = col("opened_ms").cast(DataType::Int64);
    let closed = col("closed_ms").cast(DataType::Int64);
    let open = closed
        .clone()
        .is_null()
        .or(closed.clone().gt_eq(lit(cutoff.millis)));
    let closed_recently = within_ms("closed_ms", cutoff, 90, 0);
    let hours = (closed - opened.clone()).cast(DataType::Float64) / lit(MS_PER_HOUR);

    tickets
        .clone()
        .lazy()
        .filter(opened.lt(lit(cutoff.millis)))
        .group_by([col("account_id")])
        .agg([
            count(within_ms("opened_ms", cutoff, 90, 0)).alias("tickets_90d"),
            count(open).alias("open_tickets"),
            hours
                .filter(closed_recently.clone())
                .median()
                .alias("median_resolution_hours_90d"),
            col("satisfaction")
                .cast(DataType::Float64)
                .filter(closed_recently)
                .mean()
                .alias("mean_satisfaction_90d"),
        ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn tickets_resolution_and_satisfaction_come_from_tickets_closed_before_the_cut() {
        let hour = 3_600_000;
        let tickets = df!(
            "ticket_id" => [None::<&str>; 6],
            "account_id" => ["a", "a", "a", "a", "a", "b"],
            "opened_ms" => [
                ms_before(20), ms_before(10), ms_before(3), ms_before(200), ms_before(0),
                ms_before(120),
            ],
            "closed_ms" => [
                Some(ms_before(20) + 2 * hour), Some(ms_before(10) + 10 * hour),
                Some(ms_before(-1)), Some(ms_before(100)), None, Some(ms_before(100)),
            ],
            "priority" => [None::<&str>; 6],
            "satisfaction" => [Some(4.0), None, Some(1.0), Some(5.0), Some(1.0), Some(3.0)],
        )
        .unwrap();
        let frame = features(vec![(SourceKind::Tickets, tickets)]);

        assert_eq!(
            values(&frame, "tickets_90d"),
            [Some(3.0), Some(0.0), Some(0.0), Some(0.0)],
            "the ticket opened at D is unseen"
        );
        assert_eq!(
            values(&frame, "open_tickets"),
            [Some(1.0), Some(0.0), Some(0.0), Some(0.0)],
            "a's ticket closed after D is open at D"
        );
        assert_eq!(
            values(&frame, "median_resolution_hours_90d"),
            [Some(6.0), None, None, None],
            "median of 2 and 10 hours; later closings and old ones are out"
        );
        assert_eq!(
            values(&frame, "mean_satisfaction_90d"),
            [Some(4.0), None, None, None],
            "the unrated ticket is left out; the rating after D is unseen"
        );
    }

    #[test]
    fn tickets_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
