//! The baseline learner: naive Bayes over binned field values, the kind
//! of lead scoring common CRMs ship. A richer model is worth its
//! complexity only when it beats this one on the held-out slice.
//!
//! Each feature is cut into up to ten quantile bins plus a "missing" bin;
//! the log-odds of a row is the prior log-odds plus, per feature, the log
//! ratio of how often each outcome falls in the row's bin.

use serde::{Deserialize, Serialize};

use crate::score::model::TrainingSet;

/// Most value bins per feature (the "missing" bin comes on top).
pub const MAX_VALUE_BINS: usize = 10;

/// A fitted naive Bayes baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NaiveBayes {
    /// ln(positives / negatives) of the fit rows.
    pub prior_log_odds: f64,
    /// Features that informed the fit, in training-set column order.
    pub features: Vec<BinnedFeature>,
}

/// One feature's bins and what each bin says about the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinnedFeature {
    pub name: String,
    /// Column of the feature in a row.
    pub column: usize,
    /// Ascending lower edges of value bins 1..: value bin i holds values
    /// from `edges[i - 1]` up to, not including, `edges[i]`.
    pub edges: Vec<f64>,
    /// ln(P(bin | positive) / P(bin | negative)) per value bin, then one
    /// more for the missing bin.
    pub log_ratios: Vec<f64>,
}

/// Why the baseline could not be fitted.
#[derive(Debug, thiserror::Error)]
pub enum NaiveBayesError {
    #[error(
        "naive bayes needs both outcomes, got {positives} positive and \
         {negatives} negative rows"
    )]
    SingleClass { positives: usize, negatives: usize },
    #[error("naive bayes training set has {rows} rows but {labels} labels")]
    LabelCount { rows: usize, labels: usize },
    #[error(
        "naive bayes training row {row} has {values} values, expected one per \
         feature ({features})"
    )]
    RowWidth {
        row: usize,
        values: usize,
        features: usize,
    },
}

/// Fits the baseline. Value bins come from the fit rows' distinct values:
/// with at most [`MAX_VALUE_BINS`] distinct values each is its own bin,
/// otherwise the edges are the values at the row deciles (repeated edges
/// collapse, so heavy ties give fewer bins). Counts per bin and outcome
/// get Laplace smoothing (+1). A feature whose fit rows all fall in one
/// bin, missing included, says nothing about the outcome and is left out.
pub fn fit(set: &TrainingSet) -> Result<NaiveBayes, NaiveBayesError> {
    check_shape(set)?;
    let positives = set.labels.iter().filter(|&&label| label).count();
    let negatives = set.labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(NaiveBayesError::SingleClass {
            positives,
            negatives,
        });
    }

    let features = (0..set.feature_names.len())
        .filter_map(|column| bin_feature(set, column, positives, negatives))
        .collect();
    Ok(NaiveBayes {
        prior_log_odds: (positives as f64 / negatives as f64).ln(),
        features,
    })
}

impl NaiveBayes {
    /// Log-odds of a positive outcome for one row laid out like the
    /// training set. `None`, NaN, infinities and columns past the end of
    /// the row count as missing.
    pub fn log_odds(&self, row: &[Option<f64>]) -> f64 {
        let evidence: f64 = self
            .features
            .iter()
            .map(|feature| {
                let value = present(row.get(feature.column).copied().flatten());
                feature.log_ratios[feature.bin_of(value)]
            })
            .sum();
        self.prior_log_odds + evidence
    }
}

impl NaiveBayes {
    /// The prior log-odds and each feature's log ratio for this row, in
    /// the columns of a row `width` wide (features left out of the fit add
    /// 0). Prior plus ratios is exactly [`Self::log_odds`].
    pub fn contributions(&self, row: &[Option<f64>], width: usize) -> (f64, Vec<f64>) {
        let mut shares = vec![0.0; width];
        for feature in &self.features {
            let value = present(row.get(feature.column).copied().flatten());
            if let Some(share) = shares.get_mut(feature.column) {
                *share += feature.log_ratios[feature.bin_of(value)];
            }
        }
        (self.prior_log_odds, shares)
    }

    /// `"nb-"` and 12 hex digits of a SHA-256 over the fitted bins.
    pub fn version(&self) -> String {
        use sha2::{Digest, Sha256};

        let text = serde_json::to_vec(self).unwrap_or_default();
        let digest = Sha256::digest(&text);
        let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        format!("nb-{hex}")
    }
}

impl BinnedFeature {
    fn bin_of(&self, value: Option<f64>) -> usize {
        match value {
            Some(value) => self.edges.partition_point(|&edge| edge <= value),
            None => self.edges.len() + 1,
        }
    }
}

fn check_shape(set: &TrainingSet) -> Result<(), NaiveBayesError> {
    if set.rows.len() != set.labels.len() {
        return Err(NaiveBayesError::LabelCount {
            rows: set.rows.len(),
            labels: set.labels.len(),
        });
    }
    let features = set.feature_names.len();
    match set.rows.iter().position(|row| row.len() != features) {
        Some(row) => Err(NaiveBayesError::RowWidth {
            row,
            values: set.rows[row].len(),
            features,
        }),
        None => Ok(()),
    }
}

fn bin_feature(
    set: &TrainingSet,
    column: usize,
    positives: usize,
    negatives: usize,
) -> Option<BinnedFeature> {
    let values: Vec<Option<f64>> = set.rows.iter().map(|row| present(row[column])).collect();
    let mut binned = BinnedFeature {
        name: set.feature_names[column].clone(),
        column,
        edges: value_edges(&values),
        log_ratios: Vec::new(),
    };

    let bins = binned.edges.len() + 2;
    let mut counts = vec![[0usize; 2]; bins];
    for (&value, &label) in values.iter().zip(&set.labels) {
        counts[binned.bin_of(value)][usize::from(label)] += 1;
    }
    let occupied = counts.iter().filter(|c| c[0] + c[1] > 0).count();
    if occupied < 2 {
        return None;
    }

    let smoothed = |count: usize, total: usize| (count as f64 + 1.0) / (total + bins) as f64;
    binned.log_ratios = counts
        .iter()
        .map(|c| (smoothed(c[1], positives) / smoothed(c[0], negatives)).ln())
        .collect();
    Some(binned)
}

/// Lower edges of value bins 1.. (bin 0 starts at minus infinity).
fn value_edges(values: &[Option<f64>]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    if distinct.len() <= MAX_VALUE_BINS {
        return distinct.into_iter().skip(1).collect();
    }

    let mut edges: Vec<f64> = (1..MAX_VALUE_BINS)
        .map(|decile| sorted[decile * sorted.len() / MAX_VALUE_BINS])
        .filter(|&edge| edge > sorted[0])
        .collect();
    edges.dedup();
    edges
}

fn present(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXACT: f64 = 1e-12;

    fn set(names: &[&str], rows: Vec<Vec<Option<f64>>>, labels: Vec<bool>) -> TrainingSet {
        TrainingSet {
            feature_names: names.iter().map(|name| name.to_string()).collect(),
            rows,
            labels,
        }
    }

    #[test]
    fn two_features_give_hand_computed_log_odds() {
        // Feature "region" takes 0 or 1; "seats" is constant and adds
        // nothing. 3 positives, 2 negatives.
        let rows = vec![
            vec![Some(1.0), Some(5.0)],
            vec![Some(1.0), Some(5.0)],
            vec![Some(0.0), Some(5.0)],
            vec![Some(0.0), Some(5.0)],
            vec![Some(0.0), Some(5.0)],
        ];
        let labels = vec![true, true, true, false, false];
        let model = fit(&set(&["region", "seats"], rows, labels)).unwrap();
        assert_eq!(model.features.len(), 1);
        assert_eq!(model.features[0].name, "region");
        assert_eq!(model.features[0].edges, vec![1.0]);

        // Bins: value 0, value 1, missing (3 bins, +1 each).
        // region = 1: positives 2 -> 3/6, negatives 0 -> 1/5.
        let expected = (3.0f64 / 2.0).ln() + ((3.0 / 6.0) / (1.0 / 5.0f64)).ln();
        let got = model.log_odds(&[Some(1.0), Some(5.0)]);
        assert!((got - expected).abs() < EXACT, "log odds {got}");

        // region = 0: positives 1 -> 2/6, negatives 2 -> 3/5.
        let expected = (1.5f64).ln() + ((2.0 / 6.0) / (3.0 / 5.0f64)).ln();
        let got = model.log_odds(&[Some(0.0), Some(7.0)]);
        assert!((got - expected).abs() < EXACT, "log odds {got}");

        // As a learner: the prior plus one share per column, the constant
        // feature's share 0, adding up to the log-odds.
        let (prior, shares) = model.contributions(&[Some(0.0), Some(7.0)], 2);
        assert!((prior - 1.5f64.ln()).abs() < EXACT);
        assert_eq!(shares[1], 0.0);
        assert!((prior + shares[0] + shares[1] - got).abs() < EXACT);
    }

    #[test]
    fn missing_values_have_their_own_bin() {
        let rows = vec![vec![None], vec![None], vec![Some(2.0)], vec![Some(3.0)]];
        let labels = vec![true, true, false, true];
        let model = fit(&set(&["last_order_days"], rows, labels)).unwrap();

        // Bins: 2, 3, missing. Missing: positives 2 -> 3/6, negatives 0
        // -> 1/4. NaN and a row too short both count as missing.
        let expected = (3.0f64).ln() + ((3.0 / 6.0) / (1.0 / 4.0f64)).ln();
        for row in [vec![None], vec![Some(f64::NAN)], vec![]] {
            let got = model.log_odds(&row);
            assert!((got - expected).abs() < EXACT, "log odds {got}");
        }
    }

    #[test]
    fn deciles_set_the_edges_of_many_distinct_values() {
        let values: Vec<Option<f64>> = (0..100).map(|v| Some(v as f64)).collect();
        let edges = value_edges(&values);
        let expected: Vec<f64> = (1..10).map(|d| (d * 10) as f64).collect();
        assert_eq!(edges, expected);
    }

    #[test]
    fn rejects_one_outcome_and_ragged_rows() {
        let one = fit(&set(&["x"], vec![vec![Some(1.0)]], vec![true]));
        assert!(matches!(
            one,
            Err(NaiveBayesError::SingleClass {
                positives: 1,
                negatives: 0
            })
        ));
        let ragged = fit(&set(&["x", "y"], vec![vec![Some(1.0)]], vec![true]));
        assert_eq!(
            ragged.unwrap_err().to_string(),
            "naive bayes training row 0 has 1 values, expected one per feature (2)"
        );
    }

    #[test]
    fn ranks_an_informative_feature() {
        // Outcome is positive when signal + noise > 0; a second feature is
        // pure noise. Deterministic pseudo-random values from an LCG.
        let mut state = 12345u64;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..2000 {
            let signal = uniform() * 2.0 - 1.0;
            let noise = uniform() * 2.0 - 1.0;
            labels.push(signal + 0.2 * (uniform() - 0.5) > 0.0);
            rows.push(vec![Some(signal), Some(noise)]);
        }
        let model = fit(&set(&["signal", "noise"], rows.clone(), labels.clone())).unwrap();
        let scores: Vec<f64> = rows.iter().map(|row| model.log_odds(row)).collect();
        let auc = crate::score::metrics::auc(&scores, &labels).unwrap();
        // Ten bins of a nearly deterministic signal rank almost perfectly;
        // 0.9 leaves room for the ties inside each bin.
        assert!(auc > 0.9, "auc {auc}");
    }
}
