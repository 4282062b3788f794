//! The model a score serves: a pooled learner with its calibration, the
//! segment models that earned their place, and how a single score is
//! explained in points.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::calibrate::Calibrator;
use super::learner::Learner;

/// Contributions smaller than this many points are not shown as reasons.
const MIN_REASON_POINTS: f64 = 0.05;

/// Reasons shown each way.
const REASONS_EACH_WAY: usize = 3;

/// A learner with the calibration fitted on the held-out slice.
#[derive(Clone, Serialize, Deserialize)]
pub struct Fitted {
    pub learner: Learner,
    /// `None` when the learner did not beat chance on the held-out slice:
    /// every row then gets the base rate.
    pub calibrator: Option<Calibrator>,
    /// Share of positive examples in the held-out slice.
    pub base_rate: f64,
    /// Served probabilities stay within [floor, 1 - floor], with floor
    /// 1 / (held-out examples + 2): a slice of n examples cannot show a
    /// chance smaller than about one in n, so a score of exactly 0 or 100
    /// would claim more than the evidence holds.
    #[serde(default)]
    pub floor: f64,
}

/// A trained score model, as stored in the registry.
#[derive(Clone, Serialize, Deserialize)]
pub struct ScoreModel {
    pub score: String,
    pub version: String,
    /// The company (config `company.name`) whose history trained it; a
    /// registry shared by mistake never serves one company another's model.
    #[serde(default)]
    pub company: String,
    /// The history it learnt from (see [`super::lineage`]).
    #[serde(default)]
    pub lineage: String,
    pub feature_names: Vec<String>,
    /// The as-of date whose history trained it.
    pub trained_as_of: NaiveDate,
    pub holdout_cutoff: NaiveDate,
    pub pooled: Fitted,
    /// Segments (region x industry) with a model of their own.
    pub segments: BTreeMap<String, Fitted>,
    /// Why each other segment seen in training uses the pooled model.
    pub pooled_because: BTreeMap<String, String>,
}

/// One served score.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    /// Probability times 100, two decimals.
    pub score: f64,
    pub reasons: String,
    /// Which model answered: `segment` or `pooled`, with the reason.
    pub scope: String,
}

impl Fitted {
    /// Calibrated probabilities, one per row.
    pub fn probabilities(&self, rows: &[Vec<Option<f64>>]) -> Vec<f64> {
        match &self.calibrator {
            None => vec![self.base_rate; rows.len()],
            Some(calibrator) => self
                .learner
                .raw(rows)
                .into_iter()
                .map(|raw| {
                    let p = calibrator.probability(raw);
                    p.clamp(self.floor, 1.0 - self.floor)
                })
                .collect(),
        }
    }

    /// The top contributions each way for every row, as text.
    fn reasons(&self, rows: &[Vec<Option<f64>>], names: &[String]) -> Vec<String> {
        let Some(calibrator) = &self.calibrator else {
            let text = "no model beat chance on the held-out slice: the score is the base rate";
            return vec![text.to_string(); rows.len()];
        };

        self.learner
            .contributions(rows)
            .into_iter()
            .zip(rows)
            .map(|((bias, shares), row)| {
                let points = points(calibrator, bias, &shares);
                reason_text(&points, row, names)
            })
            .collect()
    }
}

impl ScoreModel {
    /// Scores and reasons for rows of the given segments.
    pub fn apply(&self, rows: &[Vec<Option<f64>>], segments: &[String]) -> Vec<Served> {
        let mut served: Vec<Option<Served>> = vec![None; rows.len()];
        let mut groups: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        for (i, segment) in segments.iter().enumerate() {
            let own = self
                .segments
                .contains_key(segment)
                .then_some(segment.as_str());
            groups.entry(own).or_default().push(i);
        }

        for (own, indices) in groups {
            let fitted = own.map_or(&self.pooled, |segment| &self.segments[segment]);
            let group: Vec<Vec<Option<f64>>> = indices.iter().map(|&i| rows[i].clone()).collect();
            let probabilities = fitted.probabilities(&group);
            let reasons = fitted.reasons(&group, &self.feature_names);
            for ((&i, probability), reasons) in indices.iter().zip(probabilities).zip(reasons) {
                served[i] = Some(Served {
                    score: (probability * 10_000.0).round() / 100.0,
                    reasons,
                    scope: self.scope(&segments[i]),
                });
            }
        }
        served.into_iter().flatten().collect()
    }

    fn scope(&self, segment: &str) -> String {
        if self.segments.contains_key(segment) {
            return format!("segment model ({segment})");
        }
        match self.pooled_because.get(segment) {
            Some(why) => format!("pooled model: {segment} {why}"),
            None => format!("pooled model: {segment} was not seen in training"),
        }
    }
}

/// Each feature's share of the move from the bias to this row, in score
/// points. The calibrated probability moves by `P(raw) - P(bias)`; that
/// move is divided between the features in proportion to their log-odds
/// shares, so the points add up to the score minus the score of a row
/// with every feature at its reference. When the shares cancel out (raw
/// equal to the bias), each feature is shown as the move it alone makes.
fn points(calibrator: &Calibrator, bias: f64, shares: &[f64]) -> Vec<f64> {
    let raw = bias + shares.iter().sum::<f64>();
    let moved = 100.0 * (calibrator.probability(raw) - calibrator.probability(bias));
    let span = raw - bias;

    if span.abs() > 1e-9 {
        return shares.iter().map(|share| moved * share / span).collect();
    }
    shares
        .iter()
        .map(|share| {
            let without = calibrator.probability(raw - share);
            100.0 * (calibrator.probability(raw) - without)
        })
        .collect()
}

/// `"returns in 365 days: 12 (-9.1 points); ..."`, the strongest first,
/// up to three raising the score and then up to three lowering it.
fn reason_text(points: &[f64], row: &[Option<f64>], names: &[String]) -> String {
    let mut ranked: Vec<(usize, f64)> = points.iter().copied().enumerate().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));

    let up = ranked
        .iter()
        .filter(|(_, p)| *p >= MIN_REASON_POINTS)
        .take(REASONS_EACH_WAY);
    let down = ranked
        .iter()
        .rev()
        .filter(|(_, p)| *p <= -MIN_REASON_POINTS)
        .take(REASONS_EACH_WAY);
    let text = up
        .chain(down)
        .map(|&(index, points)| {
            let name = names[index].replace('_', " ");
            let value = shown(row.get(index).copied().flatten());
            format!("{name}: {value} ({points:+.1} points)")
        })
        .collect::<Vec<_>>()
        .join("; ");
    if text.is_empty() {
        // An isotonic calibration is flat between its steps: every row on
        // the same step gets the same score whatever its features say.
        return "no feature moves this score by 0.05 points or more (it sits on a flat \
                step of the calibration)"
            .to_string();
    }
    text
}

fn shown(value: Option<f64>) -> String {
    match value {
        None => "none".to_string(),
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v:.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_add_up_to_the_move_from_the_bias() {
        let platt = Calibrator::Platt { a: 1.0, b: 0.0 };
        let shares = [1.5, -0.5, 0.25];
        let points = points(&platt, -1.0, &shares);

        let expected = 100.0 * (platt.probability(0.25) - platt.probability(-1.0));
        assert!((points.iter().sum::<f64>() - expected).abs() < 1e-9);
        assert!((points[0] / points[1] + 3.0).abs() < 1e-9);
    }

    #[test]
    fn reasons_read_with_their_values() {
        let names = vec!["returns_365d".to_string(), "orders_90d".to_string()];
        let text = reason_text(&[-9.06, 4.0], &[Some(12.0), Some(2.5)], &names);
        assert_eq!(
            text,
            "orders 90d: 2.50 (+4.0 points); returns 365d: 12 (-9.1 points)"
        );
    }
}
