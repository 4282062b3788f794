//! Gradient-boosted trees for the propensity and health scores, fitted by
//! the `perpetual` booster with a log-loss objective.
//!
//! A [`TreeModel`] answers raw log-odds (calibration happens elsewhere)
//! and explains each answer with exact tree-SHAP contributions computed
//! here in f64, so that for every row the expected value plus the
//! contributions equals the raw output. Fitting is deterministic: the
//! booster runs on a fixed number of threads with a fixed seed, and the
//! JSON form writes every map with sorted keys.
//!
//! The expectation behind the contributions weighs each branch by the
//! number of training rows that took it. The booster's own per-node
//! hessian sums cannot serve: a node that receives the rows with a missing
//! value at its parent's split records the sum without those rows, while
//! its children count them, so branch weights taken from them do not add
//! up and the explanation of a missing value goes wrong.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use perpetual::booster::config::BoosterIO;
use perpetual::node::Node;
use perpetual::objective::Objective;
use perpetual::tree::core::Tree;
use perpetual::{Matrix, PerpetualBooster};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::score::model::TrainingSet;

/// The booster's threads. Split finding sums f32 histograms, and with a
/// different thread count the partial sums could be added in a different
/// order; pinning the count keeps a fit the same on every machine.
const FIT_THREADS: usize = 2;

/// Settings for [`fit`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TreeOptions {
    /// How much fitting effort the booster may spend. The `perpetual`
    /// documentation recommends starting at 0.5 and raising it to 1.0 only
    /// once the features are trusted; 0.5 is the default here because the
    /// training slices are small and a larger budget mostly adds trees
    /// that fit noise.
    pub budget: f32,
    /// Seed of the booster's row and column sampling.
    pub seed: u64,
}

impl Default for TreeOptions {
    fn default() -> Self {
        TreeOptions {
            budget: 0.5,
            seed: 0,
        }
    }
}

/// Why a tree model could not be fitted, read or written.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("tree training set has no rows")]
    NoRows,
    #[error("tree training set has no features")]
    NoFeatures,
    #[error("tree training set has {rows} rows but {labels} labels")]
    LabelCount { rows: usize, labels: usize },
    #[error(
        "tree training row {row} has {found} values but the set names \
         {expected} features"
    )]
    RowWidth {
        row: usize,
        expected: usize,
        found: usize,
    },
    #[error(
        "insufficient tree training data: {positives} positive and \
         {negatives} negative labels, and both classes are needed"
    )]
    OneClass { positives: usize, negatives: usize },
    #[error("tree booster failed: {0}")]
    Booster(String),
    #[error("tree model json could not be written: {0}")]
    Write(String),
    #[error("tree model json could not be read: {0}")]
    Read(String),
}

/// A fitted booster and the names of the features it reads, in order.
#[derive(Clone, Serialize, Deserialize)]
pub struct TreeModel {
    feature_names: Vec<String>,
    booster: PerpetualBooster,
    /// For every tree, the number of training rows that reached each node.
    rows_reaching: Vec<BTreeMap<usize, u64>>,
}

/// Fits gradient-boosted trees on `set` with a log-loss objective.
///
/// `None`, NaN and infinite values are missing; the booster learns a
/// direction for missing values at every split.
pub fn fit(set: &TrainingSet, options: &TreeOptions) -> Result<TreeModel, TreeError> {
    check_training_set(set)?;

    let columns = column_major(&set.rows, set.feature_names.len());
    let matrix = Matrix::new(&columns, set.rows.len(), set.feature_names.len());
    let targets: Vec<f64> = set
        .labels
        .iter()
        .map(|&label| if label { 1.0 } else { 0.0 })
        .collect();

    let mut booster = configured_booster(options);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        booster.fit(&matrix, &targets, None, None)
    }));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(TreeError::Booster(error.to_string())),
        Err(_) => return Err(TreeError::Booster("the fit stopped with a panic".into())),
    }

    let rows_reaching = count_rows_reaching(&booster, &matrix);
    Ok(TreeModel {
        feature_names: set.feature_names.clone(),
        booster,
        rows_reaching,
    })
}

/// Walks every training row down every tree and counts, per node, the
/// rows that pass through it.
fn count_rows_reaching(
    booster: &PerpetualBooster,
    matrix: &Matrix<f64>,
) -> Vec<BTreeMap<usize, u64>> {
    let rows: Vec<Vec<f64>> = (0..matrix.rows)
        .map(|i| (0..matrix.cols).map(|j| *matrix.get(i, j)).collect())
        .collect();
    booster
        .get_prediction_trees()
        .iter()
        .map(|tree| {
            let mut counts: BTreeMap<usize, u64> =
                tree.nodes.keys().map(|&index| (index, 0)).collect();
            for row in &rows {
                let mut index = 0;
                loop {
                    *counts.entry(index).or_insert(0) += 1;
                    let node = &tree.nodes[&index];
                    if node.is_leaf {
                        break;
                    }
                    index = next_node(node, row);
                }
            }
            counts
        })
        .collect()
}

/// Refuses sets the booster cannot learn from before it sees them.
fn check_training_set(set: &TrainingSet) -> Result<(), TreeError> {
    if set.rows.is_empty() {
        return Err(TreeError::NoRows);
    }
    if set.feature_names.is_empty() {
        return Err(TreeError::NoFeatures);
    }
    if set.rows.len() != set.labels.len() {
        return Err(TreeError::LabelCount {
            rows: set.rows.len(),
            labels: set.labels.len(),
        });
    }

    let expected = set.feature_names.len();
    if let Some((row, values)) = set
        .rows
        .iter()
        .enumerate()
        .find(|(_, values)| values.len() != expected)
    {
        return Err(TreeError::RowWidth {
            row,
            expected,
            found: values.len(),
        });
    }

    let (positives, negatives) = set.class_counts();
    if positives == 0 || negatives == 0 {
        return Err(TreeError::OneClass {
            positives,
            negatives,
        });
    }
    Ok(())
}

/// The booster's memory budget, in GB: its histogram arena takes about
/// 70 % of it, and trees stop growing if the ensemble fills the rest
/// (hundreds of MB of trees; the budgets used here stay far below).
const MEMORY_LIMIT_GB: f32 = 0.5;

/// The booster settings that make a fit repeatable and quiet.
///
/// Determinism: a fixed thread count ([`FIT_THREADS`]) and the caller's
/// seed; no `timeout`, which would tie the result to the machine's speed.
/// Memory: without a limit the booster sizes its histogram arena from the
/// memory free at fit time (up to 10,000 node histograms: 4 GB for a
/// 10,000-account run), so a fixed [`MEMORY_LIMIT_GB`] caps it; the fit
/// then depends on that constant, not on the machine. Quiet: `log_iterations` 0 turns off the
/// booster's progress log. Class weighting is off so that the raw output
/// stays a log-odds of the training base rate.
///
/// One dependence on the machine remains inside the booster: a machine
/// with less memory free than the limit gets a smaller arena.
fn configured_booster(options: &TreeOptions) -> PerpetualBooster {
    let mut booster = PerpetualBooster::default();
    booster.cfg.objective = Objective::LogLoss;
    booster.cfg.budget = options.budget;
    booster.cfg.seed = options.seed;
    booster.cfg.num_threads = Some(FIT_THREADS);
    booster.cfg.missing = f64::NAN;
    booster.cfg.allow_missing_splits = true;
    booster.cfg.log_iterations = 0;
    booster.cfg.timeout = None;
    booster.cfg.memory_limit = Some(MEMORY_LIMIT_GB);
    booster.cfg.auto_class_weights = false;
    booster
}

/// Lays rows out column after column, the order `perpetual`'s
/// [`Matrix::new`] reads (value (i, j) at `j * rows + i`), with every
/// missing or non-finite value as NaN.
fn column_major(rows: &[Vec<Option<f64>>], width: usize) -> Vec<f64> {
    let mut columns = Vec::with_capacity(rows.len() * width);
    for feature in 0..width {
        for row in rows {
            columns.push(booster_value(row.get(feature).copied().flatten()));
        }
    }
    columns
}

/// A value as the booster reads it: NaN for missing and infinities.
fn booster_value(value: Option<f64>) -> f64 {
    match value {
        Some(number) if number.is_finite() => number,
        _ => f64::NAN,
    }
}

impl TreeModel {
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// Raw log-odds (before any calibration), one per row.
    ///
    /// A row shorter than the feature list reads the absent values as
    /// missing; values past the list are ignored.
    pub fn raw(&self, rows: &[Vec<Option<f64>>]) -> Vec<f64> {
        rows.iter()
            .map(|row| {
                let values = self.booster_row(row);
                self.trees()
                    .iter()
                    .fold(self.booster.base_score, |sum, tree| {
                        sum + leaf_value(tree, &values)
                    })
            })
            .collect()
    }

    /// Exact tree-SHAP contributions in log-odds: for each row the bias
    /// (expected value) and one value per feature; bias + sum == raw.
    ///
    /// The bias is the mean raw output over the training rows: the
    /// expectation weighs each branch by the training rows that took it,
    /// so the identity holds up to f64 rounding on every tree.
    pub fn contributions(&self, rows: &[Vec<Option<f64>>]) -> Vec<(f64, Vec<f64>)> {
        let bias = self
            .weighed_trees()
            .fold(self.booster.base_score, |sum, tree| {
                sum + expected_value(tree, 0)
            });
        rows.iter()
            .map(|row| {
                let values = self.booster_row(row);
                let mut shares = vec![0.0; self.feature_names.len()];
                for tree in self.weighed_trees() {
                    tree_shap(tree, &values, &mut shares);
                }
                (bias, shares)
            })
            .collect()
    }

    /// The model as JSON with every map's keys in sorted order, so the
    /// same model always gives the same text.
    pub fn to_json(&self) -> Result<String, TreeError> {
        let value =
            serde_json::to_value(self).map_err(|error| TreeError::Write(error.to_string()))?;
        serde_json::to_string(&value).map_err(|error| TreeError::Write(error.to_string()))
    }

    pub fn from_json(text: &str) -> Result<TreeModel, TreeError> {
        let model: TreeModel =
            serde_json::from_str(text).map_err(|error| TreeError::Read(error.to_string()))?;
        model.check_trees()?;
        Ok(model)
    }

    /// Stable short fingerprint, "gbt-" + 12 hex of SHA-256 over the JSON.
    pub fn version(&self) -> String {
        let json = self.to_json().unwrap_or_default();
        let digest = Sha256::digest(json.as_bytes());
        let hex: String = digest
            .iter()
            .take(6)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        format!("gbt-{hex}")
    }

    /// The booster's own JSON, for reading with `perpetual` directly.
    pub fn booster_json(&self) -> Result<String, TreeError> {
        self.booster
            .json_dump()
            .map_err(|error| TreeError::Write(error.to_string()))
    }

    fn trees(&self) -> &[Tree] {
        self.booster.get_prediction_trees()
    }

    fn weighed_trees(&self) -> impl Iterator<Item = WeighedTree<'_>> {
        self.trees()
            .iter()
            .zip(&self.rows_reaching)
            .map(|(tree, rows)| WeighedTree { tree, rows })
    }

    /// A row padded or cut to the feature list, missing values as NaN.
    fn booster_row(&self, row: &[Option<f64>]) -> Vec<f64> {
        (0..self.feature_names.len())
            .map(|feature| booster_value(row.get(feature).copied().flatten()))
            .collect()
    }

    /// Refuses JSON whose trees would send a row to a node that does not
    /// exist or split on a feature the model does not have.
    fn check_trees(&self) -> Result<(), TreeError> {
        let width = self.feature_names.len();
        if self.rows_reaching.len() != self.trees().len() {
            return Err(TreeError::Read(format!(
                "{} trees but row counts for {}",
                self.trees().len(),
                self.rows_reaching.len()
            )));
        }
        for (number, tree) in self.trees().iter().enumerate() {
            if !tree.nodes.contains_key(&0) {
                return Err(TreeError::Read(format!("tree {number} has no root")));
            }
            let counted = &self.rows_reaching[number];
            if tree.nodes.keys().any(|index| !counted.contains_key(index)) {
                return Err(TreeError::Read(format!(
                    "tree {number} has a node without a row count"
                )));
            }
            for node in tree.nodes.values().filter(|node| !node.is_leaf) {
                let children = [node.left_child, node.right_child, node.missing_node];
                let dangling = children.iter().any(|c| !tree.nodes.contains_key(c));
                if dangling || node.split_feature >= width {
                    return Err(TreeError::Read(format!(
                        "tree {number} node {} points outside the model",
                        node.num
                    )));
                }
            }
        }
        Ok(())
    }
}

/// The leaf value `tree` gives a row, walking splits as the booster does.
fn leaf_value(tree: &Tree, row: &[f64]) -> f64 {
    let mut node = &tree.nodes[&0];
    while !node.is_leaf {
        node = &tree.nodes[&next_node(node, row)];
    }
    f64::from(node.weight_value)
}

fn next_node(node: &Node, row: &[f64]) -> usize {
    node.get_child_idx(&row[node.split_feature], &f64::NAN)
}

/// The branches below a split: left, right and, when the split has its
/// own branch for missing values, that one.
fn branches(node: &Node) -> Vec<usize> {
    let mut children = vec![node.left_child, node.right_child];
    if node.has_missing_branch() {
        children.push(node.missing_node);
    }
    children
}

/// A tree with the training rows that reached each of its nodes.
#[derive(Clone, Copy)]
struct WeighedTree<'a> {
    tree: &'a Tree,
    rows: &'a BTreeMap<usize, u64>,
}

/// Each branch's share of the training rows that reached `node`. Below a
/// node no training row reached, the branches share equally.
fn branch_shares(tree: WeighedTree, node: &Node) -> Vec<(usize, f64)> {
    let children = branches(node);
    let covers: Vec<f64> = children
        .iter()
        .map(|child| tree.rows.get(child).copied().unwrap_or(0) as f64)
        .collect();
    let total: f64 = covers.iter().sum();
    let even = 1.0 / children.len() as f64;
    children
        .into_iter()
        .zip(covers)
        .map(|(child, cover)| {
            let share = if total > 0.0 { cover / total } else { even };
            (child, share)
        })
        .collect()
}

/// The tree's output averaged over its branches by [`branch_shares`].
fn expected_value(tree: WeighedTree, index: usize) -> f64 {
    let node = &tree.tree.nodes[&index];
    if node.is_leaf {
        return f64::from(node.weight_value);
    }
    branch_shares(tree, node)
        .into_iter()
        .map(|(child, share)| share * expected_value(tree, child))
        .sum()
}

/// One feature on the path from the root to the current node, with the
/// fraction of the expectation that follows the path when the feature is
/// unknown (`zero`) and known (`one`), and the permutation weight.
#[derive(Debug, Clone, Copy)]
struct PathStep {
    feature: usize,
    zero: f64,
    one: f64,
    weight: f64,
}

/// Adds the exact Shapley values of `tree` at `row` to `shares`.
///
/// This is the path-dependent tree-SHAP recursion (Lundberg et al., 2018)
/// in f64: the path keeps, for every subset size, the weight of the
/// orderings that reach the node, and each leaf pays its value out to the
/// features on the path.
fn tree_shap(tree: WeighedTree, row: &[f64], shares: &mut [f64]) {
    let root = PathStep {
        feature: usize::MAX,
        zero: 1.0,
        one: 1.0,
        weight: 1.0,
    };
    visit(tree, row, shares, 0, Vec::new(), root);
}

fn visit(
    tree: WeighedTree,
    row: &[f64],
    shares: &mut [f64],
    index: usize,
    mut path: Vec<PathStep>,
    step: PathStep,
) {
    extend(&mut path, step);
    let node = &tree.tree.nodes[&index];

    if node.is_leaf {
        pay_out_leaf(&path, f64::from(node.weight_value), shares);
        return;
    }

    let (mut zero, mut one) = (1.0, 1.0);
    if let Some(seen) = path.iter().position(|s| s.feature == node.split_feature) {
        zero = path[seen].zero;
        one = path[seen].one;
        unwind(&mut path, seen);
    }

    let taken = next_node(node, row);
    for (child, share) in branch_shares(tree, node) {
        let child_one = if child == taken { one } else { 0.0 };
        let child_zero = share * zero;
        if child_zero == 0.0 && child_one == 0.0 {
            continue;
        }
        let next = PathStep {
            feature: node.split_feature,
            zero: child_zero,
            one: child_one,
            weight: 0.0,
        };
        visit(tree, row, shares, child, path.clone(), next);
    }
}

fn pay_out_leaf(path: &[PathStep], value: f64, shares: &mut [f64]) {
    for index in 1..path.len() {
        let step = path[index];
        let weight = unwound_sum(path, index);
        shares[step.feature] += weight * (step.one - step.zero) * value;
    }
}

/// Appends `step` to the path and updates the permutation weights.
fn extend(path: &mut Vec<PathStep>, step: PathStep) {
    let depth = path.len();
    let first = if depth == 0 { 1.0 } else { 0.0 };
    path.push(PathStep {
        weight: first,
        ..step
    });

    let size = (depth + 1) as f64;
    for i in (0..depth).rev() {
        let carried = step.one * path[i].weight * (i + 1) as f64 / size;
        path[i + 1].weight += carried;
        path[i].weight = step.zero * path[i].weight * (depth - i) as f64 / size;
    }
}

/// Removes the step at `index`, undoing its effect on the weights.
fn unwind(path: &mut Vec<PathStep>, index: usize) {
    let depth = path.len() - 1;
    let (zero, one) = (path[index].zero, path[index].one);
    let size = (depth + 1) as f64;
    let mut next_one = path[depth].weight;

    for i in (0..depth).rev() {
        if one != 0.0 {
            let kept = path[i].weight;
            path[i].weight = next_one * size / ((i + 1) as f64 * one);
            next_one = kept - path[i].weight * zero * (depth - i) as f64 / size;
        } else {
            path[i].weight = path[i].weight * size / (zero * (depth - i) as f64);
        }
    }

    for i in index..depth {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
    path.pop();
}

/// The total permutation weight the path would have without `index`.
fn unwound_sum(path: &[PathStep], index: usize) -> f64 {
    let depth = path.len() - 1;
    let (zero, one) = (path[index].zero, path[index].one);
    let size = (depth + 1) as f64;
    let mut next_one = path[depth].weight;
    let mut total = 0.0;

    for i in (0..depth).rev() {
        if one != 0.0 {
            let part = next_one * size / ((i + 1) as f64 * one);
            total += part;
            next_one = path[i].weight - part * zero * (depth - i) as f64 / size;
        } else if zero != 0.0 {
            total += path[i].weight * size / (zero * (depth - i) as f64);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::score::testing::Lcg;

    /// Three features; the label follows x0 > 0.5 and x1 missing, with
    /// some noise, and x2 is often missing.
    fn small_set(rows: usize) -> TrainingSet {
        let mut random = Lcg(7);
        let mut set = TrainingSet {
            feature_names: vec!["x0".into(), "x1".into(), "x2".into()],
            ..TrainingSet::default()
        };
        for _ in 0..rows {
            let x0 = random.uniform();
            let x1 = (random.uniform() < 0.7).then(|| random.uniform());
            let x2 = (random.uniform() < 0.5).then(|| random.uniform() * 10.0);
            let signal = (x0 > 0.5) as u8 + x1.is_none() as u8;
            let label = if random.uniform() < 0.1 {
                signal == 0
            } else {
                signal > 0
            };
            set.rows.push(vec![Some(x0), x1, x2]);
            set.labels.push(label);
        }
        set
    }

    /// The path-dependent expectation of `tree` when only the features in
    /// `known` are read from the row: unknown splits average their
    /// branches by [`branch_shares`].
    fn conditional(tree: WeighedTree, row: &[f64], known: &[bool], index: usize) -> f64 {
        let node = &tree.tree.nodes[&index];
        if node.is_leaf {
            return f64::from(node.weight_value);
        }
        if known[node.split_feature] {
            return conditional(tree, row, known, next_node(node, row));
        }
        branch_shares(tree, node)
            .into_iter()
            .map(|(child, share)| share * conditional(tree, row, known, child))
            .sum()
    }

    /// Shapley values by enumerating every subset of features.
    fn brute_force(tree: WeighedTree, row: &[f64]) -> Vec<f64> {
        let width = row.len();
        let factorial = |n: usize| (1..=n).map(|k| k as f64).product::<f64>();
        let mut values = vec![0.0; width];
        for feature in 0..width {
            for mask in 0..(1u32 << width) {
                if mask & (1 << feature) != 0 {
                    continue;
                }
                let mut known: Vec<bool> = (0..width).map(|j| mask & (1 << j) != 0).collect();
                let size = known.iter().filter(|&&k| k).count();
                let without = conditional(tree, row, &known, 0);
                known[feature] = true;
                let with = conditional(tree, row, &known, 0);
                let weight = factorial(size) * factorial(width - size - 1) / factorial(width);
                values[feature] += weight * (with - without);
            }
        }
        values
    }

    #[test]
    fn tree_shap_matches_shapley_values_by_enumeration() {
        let model = fit(&small_set(400), &TreeOptions::default()).unwrap();
        let rows = small_set(20).rows;
        let mut checked = 0;
        for row in &rows {
            let values = model.booster_row(row);
            for tree in model.weighed_trees() {
                let mut shares = vec![0.0; values.len()];
                tree_shap(tree, &values, &mut shares);
                let exact = brute_force(tree, &values);
                for (fast, slow) in shares.iter().zip(&exact) {
                    assert!((fast - slow).abs() < 1e-12, "{fast} vs {slow}");
                }
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} trees checked");
    }

    #[test]
    fn contributions_add_up_to_the_raw_output() {
        let set = small_set(500);
        let model = fit(&set, &TreeOptions::default()).unwrap();
        let raw = model.raw(&set.rows);
        let explained = model.contributions(&set.rows);
        assert_eq!(explained.len(), set.rows.len());
        for (value, (bias, shares)) in raw.iter().zip(&explained) {
            assert_eq!(shares.len(), 3);
            let total = bias + shares.iter().sum::<f64>();
            assert!((total - value).abs() < 1e-9, "{total} vs {value}");
        }
    }

    #[test]
    fn bias_is_the_mean_raw_output_over_the_training_rows() {
        let set = small_set(500);
        let model = fit(&set, &TreeOptions::default()).unwrap();
        let raw = model.raw(&set.rows);
        let mean = raw.iter().sum::<f64>() / raw.len() as f64;
        let (bias, _) = &model.contributions(&set.rows[..1])[0];
        assert!((bias - mean).abs() < 1e-9, "bias {bias} mean {mean}");
        let root_rows: Vec<u64> = model.rows_reaching.iter().map(|r| r[&0]).collect();
        assert!(root_rows.iter().all(|&n| n == 500), "{root_rows:?}");
    }

    /// Why branch weights come from row counts: the booster's hessian sums
    /// of two children fall short of their parent's when the parent's
    /// split sent missing values to one of them.
    #[test]
    fn booster_hessian_sums_leave_out_rows_missing_at_the_split() {
        let model = fit(&small_set(1000), &TreeOptions::default()).unwrap();
        let short = model.trees().iter().any(|tree| {
            tree.nodes
                .values()
                .filter(|node| !node.is_leaf)
                .any(|node| {
                    let children = tree.nodes[&node.left_child].hessian_sum
                        + tree.nodes[&node.right_child].hessian_sum;
                    children < 0.9 * node.hessian_sum
                })
        });
        assert!(short, "every split's children add up to their parent");
    }

    #[test]
    fn the_fit_does_not_depend_on_the_thread_count() {
        let set = small_set(3000);
        let columns = column_major(&set.rows, 3);
        let matrix = Matrix::new(&columns, set.rows.len(), 3);
        let targets: Vec<f64> = set.labels.iter().map(|&l| f64::from(u8::from(l))).collect();
        let fitted = |threads: usize| {
            let mut booster = configured_booster(&TreeOptions::default());
            booster.cfg.num_threads = Some(threads);
            booster.fit(&matrix, &targets, None, None).unwrap();
            booster.cfg.num_threads = None;
            serde_json::to_string(&serde_json::to_value(&booster).unwrap()).unwrap()
        };
        let one = fitted(1);
        assert!(fitted(2) == one, "two threads fit other trees than one");
        assert!(fitted(4) == one, "four threads fit other trees than one");
    }

    /// What the booster itself does with sets [`fit`] refuses, for the
    /// record; run with `--ignored --nocapture`.
    #[test]
    #[ignore]
    fn probe_the_booster_on_degenerate_sets() {
        let cases: Vec<(&str, usize, Vec<f64>, Vec<f64>)> = vec![
            ("no rows", 0, vec![], vec![]),
            ("one row", 1, vec![1.0], vec![1.0]),
            ("one class", 4, vec![1.0, 2.0, 3.0, 4.0], vec![1.0; 4]),
            (
                "all missing",
                4,
                vec![f64::NAN; 4],
                vec![0.0, 1.0, 0.0, 1.0],
            ),
            ("no features", 4, vec![], vec![0.0, 1.0, 0.0, 1.0]),
        ];
        for (name, rows, data, targets) in cases {
            let cols = data.len().checked_div(rows).unwrap_or(1);
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let matrix = Matrix::new(&data, rows, cols);
                let mut booster = configured_booster(&TreeOptions::default());
                booster
                    .fit(&matrix, &targets, None, None)
                    .map(|_| booster.trees.len())
            }));
            match outcome {
                Ok(Ok(trees)) => println!("{name}: fitted {trees} trees"),
                Ok(Err(error)) => println!("{name}: error {error}"),
                Err(_) => println!("{name}: panicked"),
            }
        }
    }

    #[test]
    fn raw_equals_the_booster_prediction() {
        let set = small_set(300);
        let model = fit(&set, &TreeOptions::default()).unwrap();
        let columns = column_major(&set.rows, 3);
        let matrix = Matrix::new(&columns, set.rows.len(), 3);
        let expected = model.booster.predict(&matrix, false);
        assert_eq!(model.raw(&set.rows), expected);
    }

    #[test]
    fn column_major_puts_each_feature_together_and_missing_as_nan() {
        let rows = vec![
            vec![Some(1.0), None],
            vec![Some(f64::INFINITY), Some(4.0)],
            vec![Some(3.0), Some(f64::NAN)],
        ];
        let flat = column_major(&rows, 2);
        assert_eq!(flat.len(), 6);
        assert_eq!(flat[0], 1.0);
        assert!(flat[1].is_nan());
        assert_eq!(flat[2], 3.0);
        assert!(flat[3].is_nan());
        assert_eq!(flat[4], 4.0);
        assert!(flat[5].is_nan());
        let matrix = Matrix::new(&flat, 3, 2);
        assert_eq!(*matrix.get(2, 0), 3.0);
        assert_eq!(*matrix.get(1, 1), 4.0);
    }

    #[test]
    fn unusable_sets_are_refused_with_a_reason() {
        let options = TreeOptions::default();
        let mut set = small_set(10);

        set.labels = vec![true; 10];
        let error = fit(&set, &options).err().unwrap();
        assert!(matches!(
            error,
            TreeError::OneClass {
                positives: 10,
                negatives: 0
            }
        ));

        set.labels.pop();
        let error = fit(&set, &options).err().unwrap();
        assert!(matches!(
            error,
            TreeError::LabelCount {
                rows: 10,
                labels: 9
            }
        ));

        let mut short = small_set(10);
        short.rows[4].pop();
        let error = fit(&short, &options).err().unwrap();
        assert!(matches!(
            error,
            TreeError::RowWidth {
                row: 4,
                expected: 3,
                found: 2
            }
        ));

        let empty = TrainingSet {
            feature_names: vec!["x".into()],
            ..Default::default()
        };
        assert!(matches!(fit(&empty, &options), Err(TreeError::NoRows)));

        let no_features = TrainingSet {
            rows: vec![vec![], vec![]],
            labels: vec![true, false],
            ..Default::default()
        };
        assert!(matches!(
            fit(&no_features, &options),
            Err(TreeError::NoFeatures)
        ));
        assert_eq!(
            TreeError::OneClass {
                positives: 0,
                negatives: 3
            }
            .to_string(),
            "insufficient tree training data: 0 positive and 3 negative labels, \
             and both classes are needed"
        );
    }

    #[test]
    fn version_is_a_short_fingerprint_of_the_json() {
        let model = fit(&small_set(200), &TreeOptions::default()).unwrap();
        let version = model.version();
        assert_eq!(version.len(), 16);
        assert!(version.starts_with("gbt-"));
        assert!(version[4..].chars().all(|c| c.is_ascii_hexdigit()));
        let other = fit(&small_set(201), &TreeOptions::default()).unwrap();
        assert_ne!(other.version(), version);
    }

    #[test]
    fn json_with_a_dangling_node_is_refused() {
        let model = fit(&small_set(200), &TreeOptions::default()).unwrap();
        let mut broken = model.clone();
        let tree = &mut broken.booster.trees[0];
        let parent = tree.nodes.values().find(|n| !n.is_leaf).unwrap().num;
        tree.nodes.get_mut(&parent).unwrap().left_child = 9999;
        let text = broken.to_json().unwrap();
        let error = TreeModel::from_json(&text).err().unwrap();
        assert!(
            error.to_string().contains("points outside the model"),
            "{error}"
        );
        assert!(TreeModel::from_json("{").is_err());
    }
}
