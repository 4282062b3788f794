//! The generic parts of a source mapping that apply before any
//! source-specific rule: `constants` fill fields the file has no column
//! for, and `values` turn raw spellings into canonical values.
//!
//! Both act on the parsed row, so every sink sees a row as if the file had
//! carried the canonical field in a column of its own.

use std::path::Path;

use chrono_tz::Tz;

use super::reader::{read_source, Problem, Row, RowSink, Value};
use super::{IngestError, Quarantine, SourceStats};
use crate::config::SourceConfig;
use crate::contract::{FieldType, SourceKind};
use crate::ingest::parse;

/// The placeholder for the file's name without extensions in a constant.
pub const FILE_STEM: &str = "{file_stem}";

/// The placeholder for the name of the folder holding the file.
pub const DIR_NAME: &str = "{dir_name}";

/// Reads a source like `read_source`, with its constants and value
/// mappings applied to every row before `sink` sees it.
pub fn read_mapped(
    kind: SourceKind,
    source: &SourceConfig,
    root: &Path,
    company_zone: Tz,
    sink: &mut dyn RowSink,
    quarantine: &mut Vec<Quarantine>,
) -> Result<SourceStats, IngestError> {
    let zone = source
        .time_zone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(company_zone);
    let mut mapped = Mapped {
        sink,
        zone,
        values: Vec::new(),
    };
    read_source(kind, source, root, company_zone, &mut mapped, quarantine)
}

struct Mapped<'s> {
    sink: &'s mut dyn RowSink,
    zone: Tz,
    values: Vec<Option<Value>>,
}

impl RowSink for Mapped<'_> {
    fn accept(&mut self, row: &Row) -> Result<(), Problem> {
        let config = row.config;
        if config.constants.is_empty() && config.values.is_empty() {
            return self.sink.accept(row);
        }

        self.values.clear();
        self.values.extend_from_slice(row.values);
        for (field, slot) in row.fields.iter().zip(self.values.iter_mut()) {
            if slot.is_none() && config.column(field.name).is_none() {
                if let Some(constant) = config.constants.get(field.name) {
                    let text = with_file_stem(constant, row.file);
                    let value = parse_constant(field.kind, &text, config, self.zone)
                        .map_err(|reason| constant_problem(field.name, &text, reason))?;
                    *slot = Some(value);
                }
            }
            if let Some(Value::Text(raw)) = slot {
                if let Some(canonical) = canonical(config, field.name, raw) {
                    *raw = canonical.to_string();
                }
            }
        }

        let mapped = Row {
            values: &self.values,
            ..*row
        };
        self.sink.accept(&mapped)
    }
}

fn constant_problem(field: &str, text: &str, reason: String) -> Problem {
    let reason = format!("constant for `{field}` in config is not valid: {reason}");
    Problem::new(&format!("constants.{field}"), text, reason)
}

/// `constant` with `{file_stem}` replaced by the file name up to its first
/// dot (`brent-daily.csv.gz` gives `brent-daily`) and `{dir_name}` by the
/// name of the file's folder.
pub fn with_file_stem(constant: &str, file: &Path) -> String {
    if !constant.contains(FILE_STEM) && !constant.contains(DIR_NAME) {
        return constant.to_string();
    }
    let name_of = |path: Option<&Path>| {
        path.and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let name = name_of(Some(file));
    let stem = name.split('.').next().unwrap_or_default();
    let folder = name_of(file.parent());
    constant.replace(FILE_STEM, stem).replace(DIR_NAME, &folder)
}

/// A constant's text as a value of the field's type.
pub fn parse_constant(
    kind: FieldType,
    text: &str,
    config: &SourceConfig,
    zone: Tz,
) -> Result<Value, String> {
    let formats = &config.date_formats;
    Ok(match kind {
        FieldType::Id | FieldType::Text | FieldType::Stage => Value::Text(text.trim().into()),
        FieldType::Number => Value::Number(parse::number(text)?),
        FieldType::Timestamp => Value::Millis(parse::timestamp(text, formats, zone)?),
        FieldType::Date => Value::Days(parse::date(text, formats)?),
        FieldType::Year => Value::Year(parse::year(text)?),
        FieldType::Bool => Value::Bool(parse::boolean(text)?),
        FieldType::Currency => Value::Text(parse::currency(text)?),
    })
}

/// The canonical value whose spellings (or own name) match `raw`, ignoring
/// case and surrounding blanks.
pub fn canonical<'c>(config: &'c SourceConfig, field: &str, raw: &str) -> Option<&'c str> {
    let raw = raw.trim();
    config
        .values
        .get(field)?
        .iter()
        .find(|(canonical, spellings)| {
            canonical.eq_ignore_ascii_case(raw)
                || spellings.iter().any(|s| s.trim().eq_ignore_ascii_case(raw))
        })
        .map(|(canonical, _)| canonical.as_str())
}

/// Whether the source maps spellings for `field`.
pub fn maps(config: &SourceConfig, field: &str) -> bool {
    config.values.contains_key(field)
}

/// A yes/no field: `true`/`false` spellings from `values` first, then the
/// usual boolean words. When the mapping lists only `true` spellings,
/// anything else is false.
pub fn flag(row: &Row, field: &str) -> Result<Option<bool>, Problem> {
    let Some(text) = row.text(field) else {
        return Ok(None);
    };
    if let Ok(value) = parse::boolean(&text) {
        return Ok(Some(value));
    }
    let only_true = row
        .config
        .values
        .get(field)
        .is_some_and(|m| m.contains_key("true") && !m.contains_key("false"));
    if only_true {
        return Ok(Some(false));
    }
    let reason =
        format!("`{text}` is neither true nor false; map it under values.{field} in config");
    Err(Problem::new(&row.column_of(field), &text, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stem_drops_every_extension() {
        let file = Path::new("/data/oil/brent-daily.csv.gz");
        assert_eq!(with_file_stem("{file_stem}", file), "brent-daily");
        assert_eq!(with_file_stem("oil:{file_stem}", file), "oil:brent-daily");
        assert_eq!(with_file_stem("USD", file), "USD");
        let gas = Path::new("data/natural_gas/daily.csv");
        assert_eq!(
            with_file_stem("{dir_name}-{file_stem}", gas),
            "natural_gas-daily"
        );
    }
}
