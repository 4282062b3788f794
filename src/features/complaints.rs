//! Complaint features: recent complaints, severe ones, and those still
//! open at the cut (created before D and not resolved before D).

use polars::prelude::*;

use super::{count, flag, join_or_null, within_ms, Inputs};
use crate::contract::SourceKind;
use crate::snapshot::Cutoff;

const COLUMNS: &[&str] = &["complaints_90d", "severe_complaints_90d", "open_complaints"];

pub(super) fn add(frame: LazyFrame, inputs: &Inputs) -> PolarsResult<LazyFrame> {
    let features = inputs
        .ingested
        .frame(SourceKind::Complaints)
        .map(|complaints| per_account(complaints, inputs.cutoff));
    Ok(join_or_null(frame, features, COLUMNS, COLUMNS))
}

fn per_account(complaints: &DataFrame, cutoff: Cutoff) -> LazyFrame {
    let created = col("created_ms").cast(DataType::Int64);
    let resolved = col("resolved_ms").cast(DataType::Int64);
    let recent = within_ms("created_ms", cutoff, 90, 0);
    let severe = flag(complaints, "severe").fill_null(lit(false));
    let open = resolved
        .clone()
        .is_null()
        .or(resolved.gt_eq(lit(cutoff.millis)));

    complaints
        .clone()
        .lazy()
        .filter(created.lt(lit(cutoff.millis)))
        .group_by([col("account_id")])
        .agg([
            count(recent.clone()).alias("complaints_90d"),
            count(recent.and(severe)).alias("severe_complaints_90d"),
            count(open).alias("open_complaints"),
        ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn complaints_count_before_the_cut_and_stay_open_until_resolved() {
        let complaints = df!(
            "complaint_id" => [None::<&str>; 5],
            "account_id" => ["a", "a", "a", "a", "b"],
            "created_ms" => [
                ms_before(10), ms_before(100), ms_before(0), ms_before(5), ms_before(1),
            ],
            "severe" => [Some(true), Some(true), Some(true), None, Some(false)],
            "category" => [None::<&str>; 5],
            "resolved_ms" => [
                Some(ms_before(2)), None, None, Some(ms_before(-3)), Some(ms_before(0)),
            ],
        )
        .unwrap();
        let frame = features(vec![(SourceKind::Complaints, complaints)]);

        assert_eq!(
            values(&frame, "complaints_90d"),
            [Some(2.0), Some(1.0), Some(0.0), Some(0.0)],
            "a's complaint at D is unseen, the one 100 days back is too old"
        );
        assert_eq!(
            values(&frame, "severe_complaints_90d"),
            [Some(1.0), Some(0.0), Some(0.0), Some(0.0)]
        );
        assert_eq!(
            values(&frame, "open_complaints"),
            [Some(2.0), Some(1.0), Some(0.0), Some(0.0)],
            "a: the old unresolved one and the one resolved after D; \
             b: resolved at D exactly is still open before D"
        );
    }

    #[test]
    fn complaints_are_null_without_the_source() {
        let frame = features(Vec::new());
        for name in COLUMNS {
            assert_eq!(values(&frame, name), [None; 4], "{name}");
        }
    }
}
