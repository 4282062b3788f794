//! The run configuration: company settings, signal rules and the declared
//! sources with their column mappings, read from one TOML file.
//!
//! Everything a night's run depends on besides the data itself lives here, so
//! two runs with the same file, the same inputs and the same as-of date are
//! the same run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::contract::{FieldType, SourceKind};

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub company: Company,
    #[serde(default)]
    pub model: ModelSettings,
    #[serde(default)]
    pub signals: SignalRules,
    #[serde(default)]
    pub white_space: WhiteSpaceRules,
    #[serde(default)]
    pub regions: RegionRules,
    #[serde(default)]
    pub sources: BTreeMap<SourceKind, SourceConfig>,
    /// Industry -> commodity symbols whose prices are its input costs; a
    /// commodities file may also name the industries each symbol feeds.
    #[serde(default)]
    pub industry_symbols: BTreeMap<String, Vec<String>>,
    /// Where this file was read from; source paths are relative to it
    /// unless a data directory is given on the command line.
    #[serde(skip)]
    pub origin: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    pub name: String,
    /// IANA zone, e.g. `Europe/London`; the as-of date D starts at 00:00 here.
    pub time_zone: String,
    /// ISO 4217 code every amount is converted to.
    pub base_currency: String,
    /// Who receives white-space reports.
    #[serde(default)]
    pub sales_vp: Option<String>,
    /// How many days an FX rate may be carried forward to a day without one.
    #[serde(default = "default_fx_carry_days")]
    pub fx_max_carry_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSettings {
    /// The horizon H of both scores, in days.
    #[serde(default = "default_horizon")]
    pub horizon_days: i64,
    /// How many earlier cut-offs feed one training set: D - H is held out,
    /// the others (from D - 2H back) fit.
    #[serde(default = "default_cutoffs")]
    pub training_cutoffs: usize,
    /// Days between two training cut-offs.
    #[serde(default = "default_cutoff_step")]
    pub cutoff_step_days: i64,
    /// L2 penalty of the logistic regression.
    #[serde(default = "default_l2")]
    pub l2: f64,
    /// Complexity budget of the gradient-boosted trees (perpetual's
    /// `budget`): higher fits more trees and deeper interactions.
    #[serde(default = "default_tree_budget")]
    pub tree_budget: f32,
    /// A nightly run retrains a score whose promoted model was trained this
    /// many days or more before D.
    #[serde(default = "default_retrain_days")]
    pub retrain_days: i64,
    /// A new model replaces the promoted one when its held-out AUC is at
    /// least this share of the promoted model's AUC on the same slice...
    #[serde(default = "default_promotion_auc_share")]
    pub promotion_auc_share: f64,
    /// ...or when the promoted model was trained this many days or more
    /// before the new one.
    #[serde(default = "default_max_model_age_days")]
    pub max_model_age_days: i64,
    /// Training examples of each class a segment (region x industry) needs
    /// for a model of its own; the whole training set needs as many for any
    /// model at all.
    #[serde(default = "default_min_examples")]
    pub min_positive_examples: usize,
    #[serde(default = "default_min_examples")]
    pub min_negative_examples: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalRules {
    #[serde(default = "default_high_probability")]
    pub high_probability_min: f64,
    #[serde(default = "default_high_probability_due")]
    pub high_probability_due_minutes: i64,
    #[serde(default = "default_churn_risk")]
    pub churn_risk_max: f64,
    #[serde(default = "default_churn_risk_due")]
    pub churn_risk_due_minutes: i64,
    #[serde(default = "default_white_space_due")]
    pub white_space_due_minutes: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhiteSpaceRules {
    /// How many region cells are reported each night.
    #[serde(default = "default_cells")]
    pub cells: usize,
    /// A cell with more current customers than this is not white space.
    #[serde(default = "default_max_customers")]
    pub max_customers: u64,
    /// How many years of market size the growth rate spans at most.
    #[serde(default = "default_cagr_years")]
    pub cagr_years: i32,
    /// Only regions the org or regions source lists are candidates. Set it
    /// when the market data holds aggregates (such as "World").
    #[serde(default)]
    pub only_known_regions: bool,
}

/// How region names written in different sources are matched to one region.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionRules {
    /// Spelling in a source -> any name or code the org source knows.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

/// One declared source: where its files are and how their columns map.
///
/// Files ending in `.gz` are gunzipped first. CSV line numbers count file
/// lines (a quoted line break counts); JSON lines give the line number of
/// each object; Parquet gives the 1-based row number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// A file path or a glob, or a list of them, relative to the data
    /// directory; every file they match is read, each once.
    pub path: Paths,
    #[serde(default)]
    pub format: Format,
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Zone of naive timestamps; the company zone when absent.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Accepted date or timestamp formats (chrono syntax), tried in order.
    #[serde(default)]
    pub date_formats: Vec<String>,
    /// Currency of amounts when the source has no currency column.
    #[serde(default)]
    pub currency: Option<String>,
    /// Cell texts that mean "no value".
    #[serde(default = "default_null_values")]
    pub null_values: Vec<String>,
    /// Canonical field -> column in the file. A name matches the header
    /// exactly, else case-insensitively (`account_id` finds `ACCOUNT_ID`);
    /// `"#3"` means the third column, counted from 1, for files whose
    /// header repeats a name. A required field's column must be in every
    /// file; an optional one may be missing from some files of a glob.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Extra columns whose values also name the region (org only).
    #[serde(default)]
    pub region_aliases: Vec<String>,
    /// How raw stage values map to open, won and lost (opportunities only).
    #[serde(default)]
    pub stages: Option<StageValues>,
    /// A text marker that flags a row as a return (orders only).
    #[serde(default)]
    pub return_marker: Option<ReturnMarker>,
    /// Wide FX files: one column per currency (fx_rates only).
    #[serde(default)]
    pub fx_layout: Option<FxLayout>,
    /// Wide series files: a date column, then one column per symbol
    /// (commodities only).
    #[serde(default)]
    pub wide: Option<WideLayout>,
    /// Text encoding of CSV files.
    #[serde(default)]
    pub encoding: Encoding,
    /// Numbers are written `1.234,56` (comma before the decimals).
    #[serde(default)]
    pub decimal_comma: bool,
    /// How identifiers are normalised after trimming.
    #[serde(default)]
    pub id_case: IdCase,
    /// Field -> canonical value -> the raw spellings that mean it, for
    /// fields with a fixed vocabulary (kind, severity, stance, sentiment).
    /// Spellings match without case. Canonical values: web_events.kind
    /// page_view, pricing_view, demo_request, download; policies.stance
    /// incentive, restriction; complaints.severity severe, not_severe;
    /// weather.severe and contracts.renewed true, false; social.sentiment
    /// a number from -1 to 1.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Field -> one value for every row, for files without that column;
    /// `{file_stem}` stands for the file's name without extensions and
    /// `{dir_name}` for the name of its folder.
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
    /// The name our own prices go by (competitor_prices only); the
    /// company name when absent.
    #[serde(default)]
    pub own_name: Option<String>,
    /// Quality limits checked before a run publishes.
    #[serde(default)]
    pub checks: SourceChecks,
}

/// One path pattern or several.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Paths {
    One(String),
    Many(Vec<String>),
}

impl Paths {
    pub fn patterns(&self) -> &[String] {
        match self {
            Paths::One(pattern) => std::slice::from_ref(pattern),
            Paths::Many(patterns) => patterns,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Csv,
    Parquet,
    /// One JSON object per line.
    Jsonl,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[default]
    Utf8,
    Gbk,
    Gb18030,
    /// UTF-8 when the bytes are valid UTF-8, else GB18030.
    Auto,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdCase {
    #[default]
    Keep,
    Upper,
    Lower,
}

/// Per-source limits: above them the run refuses to publish.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceChecks {
    /// Largest share of rows read that may be quarantined (0 to 1).
    #[serde(default = "default_max_quarantined_share")]
    pub max_quarantined_share: f64,
    /// Days the latest event day before D may trail D-1 before the check
    /// warns (0: yesterday's events must be there).
    #[serde(default)]
    pub freshness_warn_days: Option<i64>,
    /// Days the latest event day before D may trail D-1 before the run
    /// refuses to publish.
    #[serde(default)]
    pub freshness_error_days: Option<i64>,
}

impl Default for SourceChecks {
    fn default() -> Self {
        SourceChecks {
            max_quarantined_share: default_max_quarantined_share(),
            freshness_warn_days: None,
            freshness_error_days: None,
        }
    }
}

/// A wide table of series: a date column and one column per symbol.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WideLayout {
    pub date_column: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageValues {
    pub open: Vec<String>,
    pub won: Vec<String>,
    pub lost: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnMarker {
    pub column: String,
    pub prefix: String,
}

/// A wide FX table: a date column, then one column per currency holding
/// units of that currency per one unit of `quote_base`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxLayout {
    pub date_column: String,
    pub quote_base: String,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;

        let mut config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.origin = path.to_path_buf();

        config.validate()?;
        Ok(config)
    }

    /// The folder that relative source paths start from.
    pub fn data_root(&self, data_dir: Option<&Path>) -> PathBuf {
        match data_dir {
            Some(dir) => dir.to_path_buf(),
            None => self
                .origin
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        }
    }

    pub fn company_zone(&self) -> chrono_tz::Tz {
        // validate() has checked the zone name already.
        self.company.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: self.origin.clone(),
            message,
        };

        check_zone(&self.company.time_zone).map_err(|m| invalid(format!("company: {m}")))?;
        if !(1..=MAX_HORIZON_DAYS).contains(&self.model.horizon_days) {
            return Err(invalid(format!(
                "model.horizon_days must be between 1 and {MAX_HORIZON_DAYS}, got {}",
                self.model.horizon_days
            )));
        }
        if self.model.training_cutoffs < 2 {
            return Err(invalid(
                "model.training_cutoffs must be at least 2 (one held out, one to fit)".into(),
            ));
        }

        self.check_ranges().map_err(invalid)?;

        for (kind, source) in &self.sources {
            source
                .validate(*kind)
                .map_err(|m| invalid(format!("source `{kind}`: {m}")))?;
            crate::check::validate_limits(*kind, &source.checks).map_err(invalid)?;
        }
        Ok(())
    }

    /// Company, model, signal and white-space settings within their
    /// ranges; the message names the key that is not.
    fn check_ranges(&self) -> Result<(), String> {
        let company = &self.company;
        at_least("company.fx_max_carry_days", company.fx_max_carry_days, 0)?;

        let model = &self.model;
        at_least("model.cutoff_step_days", model.cutoff_step_days, 1)?;
        if !(model.l2 > 0.0 && model.l2.is_finite()) {
            return Err(format!("model.l2 must be above 0, got {}", model.l2));
        }
        if !(model.tree_budget > 0.0 && model.tree_budget <= 5.0) {
            let budget = model.tree_budget;
            return Err(format!("model.tree_budget must be in (0, 5], got {budget}"));
        }
        at_least("model.retrain_days", model.retrain_days, 1)?;
        at_least("model.max_model_age_days", model.max_model_age_days, 1)?;
        let share = model.promotion_auc_share;
        if !(share > 0.0 && share <= 1.0) {
            return Err(format!(
                "model.promotion_auc_share must be in (0, 1], got {share}"
            ));
        }
        for (key, count) in [
            ("model.min_positive_examples", model.min_positive_examples),
            ("model.min_negative_examples", model.min_negative_examples),
        ] {
            if count < 2 {
                return Err(format!("{key} must be at least 2, got {count}"));
            }
        }

        let signals = &self.signals;
        score_threshold("signals.high_probability_min", signals.high_probability_min)?;
        score_threshold("signals.churn_risk_max", signals.churn_risk_max)?;
        for (key, minutes) in [
            (
                "signals.high_probability_due_minutes",
                signals.high_probability_due_minutes,
            ),
            (
                "signals.churn_risk_due_minutes",
                signals.churn_risk_due_minutes,
            ),
            (
                "signals.white_space_due_minutes",
                signals.white_space_due_minutes,
            ),
        ] {
            at_least(key, minutes, 1)?;
        }

        at_least("white_space.cells", self.white_space.cells as i64, 1)
    }
}

fn at_least(key: &str, value: i64, least: i64) -> Result<(), String> {
    if value < least {
        return Err(format!("{key} must be at least {least}, got {value}"));
    }
    Ok(())
}

/// Scores run from 0 to 100, so a threshold outside that never fires.
fn score_threshold(key: &str, value: f64) -> Result<(), String> {
    if !(0.0..=100.0).contains(&value) {
        return Err(format!("{key} must be between 0 and 100, got {value}"));
    }
    Ok(())
}

impl SourceConfig {
    fn validate(&self, kind: SourceKind) -> Result<(), String> {
        if let Some(zone) = &self.time_zone {
            check_zone(zone)?;
        }
        for format in &self.date_formats {
            check_date_format(format)?;
        }

        let contract = kind.contract();
        for field in self.columns.keys() {
            if !contract.iter().any(|f| f.name == field) {
                let known: Vec<&str> = contract.iter().map(|f| f.name).collect();
                return Err(format!(
                    "maps unknown field `{field}` (fields: {})",
                    known.join(", ")
                ));
            }
        }

        self.validate_constants(kind)?;
        self.validate_values(kind)?;
        self.validate_layouts(kind)?;

        if kind == SourceKind::FxRates && self.fx_layout.is_some() {
            return Ok(());
        }
        for field in contract.iter().filter(|f| f.required) {
            let mapped =
                self.columns.contains_key(field.name) || self.constants.contains_key(field.name);
            if !mapped && !self.derives(kind, field.name) {
                return Err(format!(
                    "required field `{}` has no column mapping and no constant",
                    field.name
                ));
            }
        }
        if kind == SourceKind::Opportunities && self.stages.is_none() {
            return Err("needs a [stages] table mapping open, won and lost values".into());
        }
        Ok(())
    }

    /// Fields the source can compute without a column of their own.
    fn derives(&self, kind: SourceKind, field: &str) -> bool {
        let wide = kind == SourceKind::Commodities && self.wide.is_some();
        match field {
            "amount" => self.columns.contains_key("unit_price"),
            "id" => {
                kind != SourceKind::Contracts
                    && kind != SourceKind::Policies
                    && kind != SourceKind::Prospects
            }
            "date" | "symbol" | "close" => wide,
            _ => false,
        }
    }

    /// Constants name contract fields the file has no column for, use no
    /// placeholder but `{file_stem}` and `{dir_name}`, and parse as their
    /// field's type.
    fn validate_constants(&self, kind: SourceKind) -> Result<(), String> {
        let contract = kind.contract();
        for (name, text) in &self.constants {
            let field = contract
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| unknown_field("constants", name, contract))?;
            if let Some(column) = self.columns.get(name) {
                return Err(format!(
                    "field `{name}` has both a column (`{column}`) and a constant"
                ));
            }
            let without = text
                .replace(crate::ingest::mapping::FILE_STEM, "")
                .replace(crate::ingest::mapping::DIR_NAME, "");
            if without.contains('{') || without.contains('}') {
                return Err(format!(
                    "constant for `{name}` uses a placeholder other than \
                     {{file_stem}} and {{dir_name}}: `{text}`"
                ));
            }
            if without.len() == text.len() {
                crate::ingest::mapping::parse_constant(field.kind, text, self, chrono_tz::UTC)
                    .map_err(|m| format!("constant for `{name}` is not valid: {m}"))?;
            }
        }
        Ok(())
    }

    /// `values` name contract fields (or `severity`), and the canonical
    /// values of fixed vocabularies are ones the pipeline knows.
    fn validate_values(&self, kind: SourceKind) -> Result<(), String> {
        let contract = kind.contract();
        for (name, mapping) in &self.values {
            let field = contract
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| unknown_field("values", name, contract))?;
            if !matches!(field.kind, FieldType::Text | FieldType::Id) {
                return Err(format!("values.{name}: only text fields take spellings"));
            }
            for canonical in mapping.keys() {
                check_canonical(kind, name, canonical)?;
            }
        }
        Ok(())
    }

    fn validate_layouts(&self, kind: SourceKind) -> Result<(), String> {
        if self.wide.is_some() && kind != SourceKind::Commodities {
            return Err("`wide` is only read for commodities".into());
        }
        if self.wide.is_some() {
            let long = ["date", "symbol", "close"];
            if let Some(field) = long.iter().find(|f| self.columns.contains_key(**f)) {
                return Err(format!(
                    "a `wide` file takes `{field}` from its layout; remove its column mapping"
                ));
            }
        }
        if self.own_name.is_some() && kind != SourceKind::CompetitorPrices {
            return Err("`own_name` is only read for competitor_prices".into());
        }
        Ok(())
    }

    /// The column mapped to a canonical field, if any.
    pub fn column(&self, field: &str) -> Option<&str> {
        self.columns.get(field).map(String::as_str)
    }
}

fn unknown_field(setting: &str, name: &str, contract: &[crate::contract::Field]) -> String {
    let known: Vec<&str> = contract.iter().map(|f| f.name).collect();
    format!(
        "{setting} names unknown field `{name}` (fields: {})",
        known.join(", ")
    )
}

fn check_canonical(kind: SourceKind, field: &str, canonical: &str) -> Result<(), String> {
    if kind == SourceKind::Social && field == "sentiment" {
        let value = crate::ingest::parse::number(canonical).ok();
        if value.is_some_and(|v| (-1.0..=1.0).contains(&v)) {
            return Ok(());
        }
        return Err(format!(
            "values.sentiment: `{canonical}` is not a number from -1 to 1"
        ));
    }
    match crate::contract::vocabulary(kind, field) {
        Some(known) if !known.contains(&canonical) => Err(format!(
            "values.{field}: unknown value `{canonical}` (known: {})",
            known.join(", ")
        )),
        _ => Ok(()),
    }
}

/// Five years: a longer horizon leaves no training cut-off in any
/// history a company keeps.
const MAX_HORIZON_DAYS: i64 = 1826;

/// A format chrono cannot use would quarantine every row; it is a config
/// error instead.
fn check_date_format(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};

    let broken = StrftimeItems::new(format).any(|item| matches!(item, Item::Error));
    if broken || format.trim().is_empty() {
        return Err(format!(
            "date format `{format}` is not a valid chrono format"
        ));
    }
    Ok(())
}

fn check_zone(zone: &str) -> Result<(), String> {
    zone.parse::<chrono_tz::Tz>()
        .map(|_| ())
        .map_err(|_| format!("unknown time zone `{zone}`"))
}

impl Default for ModelSettings {
    fn default() -> Self {
        ModelSettings {
            horizon_days: default_horizon(),
            training_cutoffs: default_cutoffs(),
            cutoff_step_days: default_cutoff_step(),
            l2: default_l2(),
            tree_budget: default_tree_budget(),
            retrain_days: default_retrain_days(),
            promotion_auc_share: default_promotion_auc_share(),
            max_model_age_days: default_max_model_age_days(),
            min_positive_examples: default_min_examples(),
            min_negative_examples: default_min_examples(),
        }
    }
}

impl Default for SignalRules {
    fn default() -> Self {
        SignalRules {
            high_probability_min: default_high_probability(),
            high_probability_due_minutes: default_high_probability_due(),
            churn_risk_max: default_churn_risk(),
            churn_risk_due_minutes: default_churn_risk_due(),
            white_space_due_minutes: default_white_space_due(),
        }
    }
}

impl Default for WhiteSpaceRules {
    fn default() -> Self {
        WhiteSpaceRules {
            cells: default_cells(),
            max_customers: default_max_customers(),
            cagr_years: default_cagr_years(),
            only_known_regions: false,
        }
    }
}

fn default_fx_carry_days() -> i64 {
    7
}
fn default_horizon() -> i64 {
    90
}
fn default_tree_budget() -> f32 {
    0.5
}
fn default_retrain_days() -> i64 {
    7
}
fn default_promotion_auc_share() -> f64 {
    0.95
}
fn default_max_model_age_days() -> i64 {
    28
}
fn default_min_examples() -> usize {
    40
}
fn default_cutoffs() -> usize {
    6
}
fn default_cutoff_step() -> i64 {
    30
}
/// Ten: with some sixty correlated features and a few thousand examples,
/// a weaker penalty let collinear features take opposite signs (a p_alive
/// near zero raising health); on the demo and the online-retail example
/// 10 ranks the held-out slice as well or better than 1.
fn default_l2() -> f64 {
    10.0
}
fn default_high_probability() -> f64 {
    85.0
}
fn default_high_probability_due() -> i64 {
    30
}
fn default_churn_risk() -> f64 {
    35.0
}
fn default_churn_risk_due() -> i64 {
    48 * 60
}
fn default_white_space_due() -> i64 {
    24 * 60
}
fn default_cells() -> usize {
    5
}
fn default_max_customers() -> u64 {
    3
}
fn default_cagr_years() -> i32 {
    3
}
fn default_max_quarantined_share() -> f64 {
    1.0
}
fn default_delimiter() -> char {
    ','
}
fn default_null_values() -> Vec<String> {
    vec![
        String::new(),
        "NULL".into(),
        "null".into(),
        "N/A".into(),
        "NA".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("radar.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(&path)
    }

    const COMPANY: &str = "[company]\nname = \"t\"\ntime_zone = \"UTC\"\n\
                           base_currency = \"EUR\"\n";

    const ORDERS: &str = "[sources.orders]\npath = \"orders.csv\"\n\
                          columns = { account = \"a\", date = \"d\", amount = \"m\" }\n";

    #[test]
    fn a_date_format_chrono_cannot_use_is_a_config_error() {
        let bad = format!("{COMPANY}{ORDERS}date_formats = [\"%Y-%m-%d\", \"%Q\"]\n");
        let message = load(&bad).unwrap_err().to_string();
        assert!(
            message.contains("source `orders`: date format `%Q` is not a valid chrono format"),
            "{message}"
        );

        let good = format!("{COMPANY}{ORDERS}date_formats = [\"%d/%m/%Y %H:%M\", \"%Y-%m\"]\n");
        assert!(load(&good).is_ok());
    }

    #[test]
    fn a_horizon_beyond_five_years_is_a_config_error() {
        let message = load(&format!("{COMPANY}[model]\nhorizon_days = 100000\n"))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("model.horizon_days must be between 1 and 1826, got 100000"),
            "{message}"
        );
        assert!(load(&format!("{COMPANY}[model]\nhorizon_days = 1826\n")).is_ok());
    }
}
