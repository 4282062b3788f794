//! The learners a score can pick from: the regularised logistic
//! regression, the gradient-boosted trees and naive Bayes over binned
//! fields (the baseline, which on small or noisy histories can rank as
//! well as either). All answer in raw log-odds with per-feature
//! contributions that add up to that raw output; the score's calibrator
//! turns it into a probability.

use serde::{Deserialize, Serialize};

use super::model::{self, LinearModel, ModelOptions, TrainingSet};
use super::naive_bayes::{self, NaiveBayes};
use super::trees::{self, TreeModel, TreeOptions};

#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "model", rename_all = "snake_case")]
pub enum Learner {
    Logistic(LinearModel),
    Trees(Box<TreeModel>),
    NaiveBayes(NaiveBayes),
}

/// Which learner to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnerKind {
    Logistic,
    Trees,
    NaiveBayes,
}

impl LearnerKind {
    pub fn name(self) -> &'static str {
        match self {
            LearnerKind::Logistic => "logistic",
            LearnerKind::Trees => "trees",
            LearnerKind::NaiveBayes => "naive_bayes",
        }
    }
}

/// The settings both learners need.
#[derive(Debug, Clone, Copy)]
pub struct LearnerOptions {
    pub l2: f64,
    pub tree_budget: f32,
}

/// Fits one learner; the error names the learner and what failed.
pub fn fit(
    kind: LearnerKind,
    set: &TrainingSet,
    options: &LearnerOptions,
) -> Result<Learner, String> {
    match kind {
        LearnerKind::Logistic => model::fit(set, &ModelOptions { l2: options.l2 })
            .map(Learner::Logistic)
            .map_err(|e| format!("logistic regression: {e}")),
        LearnerKind::Trees => {
            let tree_options = TreeOptions {
                budget: options.tree_budget,
                ..TreeOptions::default()
            };
            trees::fit(set, &tree_options)
                .map(|model| Learner::Trees(Box::new(model)))
                .map_err(|e| format!("gradient-boosted trees: {e}"))
        }
        LearnerKind::NaiveBayes => naive_bayes::fit(set)
            .map(Learner::NaiveBayes)
            .map_err(|e| format!("naive bayes: {e}")),
    }
}

impl Learner {
    pub fn kind(&self) -> LearnerKind {
        match self {
            Learner::Logistic(_) => LearnerKind::Logistic,
            Learner::Trees(_) => LearnerKind::Trees,
            Learner::NaiveBayes(_) => LearnerKind::NaiveBayes,
        }
    }

    /// Raw log-odds, one per row.
    pub fn raw(&self, rows: &[Vec<Option<f64>>]) -> Vec<f64> {
        match self {
            Learner::Logistic(linear) => rows.iter().map(|row| linear.raw(row)).collect(),
            Learner::Trees(trees) => trees.raw(rows),
            Learner::NaiveBayes(bayes) => rows.iter().map(|row| bayes.log_odds(row)).collect(),
        }
    }

    /// The bias and the per-feature shares of each row's raw log-odds.
    pub fn contributions(&self, rows: &[Vec<Option<f64>>]) -> Vec<(f64, Vec<f64>)> {
        match self {
            Learner::Logistic(linear) => rows.iter().map(|row| linear.contributions(row)).collect(),
            Learner::Trees(trees) => trees.contributions(rows),
            Learner::NaiveBayes(bayes) => rows
                .iter()
                .map(|row| bayes.contributions(row, row.len()))
                .collect(),
        }
    }

    pub fn version(&self) -> String {
        match self {
            Learner::Logistic(linear) => linear.version(),
            Learner::Trees(trees) => trees.version(),
            Learner::NaiveBayes(bayes) => bayes.version(),
        }
    }
}
