//! Reading the files of one declared source row by row, with the file name
//! and line of every row, and handing each row to the source's sink.
//!
//! A row whose cells do not satisfy the contract is not dropped: it becomes
//! a quarantine entry naming the file, line, column, value and reason, so
//! that rows read always equal rows accepted plus rows quarantined.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use sha2::{Digest, Sha256};

use super::{IngestError, Quarantine, SourceStats};
use crate::config::SourceConfig;
use crate::contract::{Field, FieldType, SourceKind};
use crate::ingest::parse;

/// A typed cell value after parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Millis(i64),
    Days(i32),
    Year(i32),
    Bool(bool),
}

/// Why a row was refused, and where in the row.
#[derive(Debug, Clone)]
pub struct Problem {
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl Problem {
    pub fn new(column: &str, value: &str, reason: impl Into<String>) -> Problem {
        Problem {
            column: column.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// One parsed row: canonical fields by contract position, plus the raw text
/// of every column of the file for source-specific rules.
pub struct Row<'a> {
    pub fields: &'a [Field],
    pub values: &'a [Option<Value>],
    pub headers: &'a [String],
    pub cells: &'a csv::StringRecord,
    pub config: &'a SourceConfig,
    /// The file the row comes from and the line it starts on.
    pub file: &'a Path,
    pub line: u64,
}

impl Row<'_> {
    fn get(&self, field: &str) -> Option<&Value> {
        let index = self.fields.iter().position(|f| f.name == field)?;
        self.values[index].as_ref()
    }

    pub fn text(&self, field: &str) -> Option<String> {
        match self.get(field) {
            Some(Value::Text(text)) => Some(text.clone()),
            _ => None,
        }
    }

    pub fn number(&self, field: &str) -> Option<f64> {
        match self.get(field) {
            Some(Value::Number(value)) => Some(*value),
            _ => None,
        }
    }

    pub fn millis(&self, field: &str) -> Option<i64> {
        match self.get(field) {
            Some(Value::Millis(value)) => Some(*value),
            _ => None,
        }
    }

    pub fn days(&self, field: &str) -> Option<i32> {
        match self.get(field) {
            Some(Value::Days(value)) => Some(*value),
            _ => None,
        }
    }

    pub fn year(&self, field: &str) -> Option<i32> {
        match self.get(field) {
            Some(Value::Year(value)) => Some(*value),
            _ => None,
        }
    }

    pub fn boolean(&self, field: &str) -> Option<bool> {
        match self.get(field) {
            Some(Value::Bool(value)) => Some(*value),
            _ => None,
        }
    }

    /// The raw text of a file column, if the file has it.
    pub fn raw(&self, column: &str) -> Option<&str> {
        let index = self.headers.iter().position(|h| h == column)?;
        self.cells.get(index).map(str::trim)
    }

    /// The file column a canonical field is read from, for problem reports.
    pub fn column_of(&self, field: &str) -> String {
        self.config.column(field).unwrap_or(field).to_string()
    }

    pub fn is_null(&self, text: &str) -> bool {
        self.config.null_values.iter().any(|n| n == text)
    }
}

/// Receives the accepted rows of one source.
pub trait RowSink {
    fn accept(&mut self, row: &Row) -> Result<(), Problem>;
}

/// Reads every file of a source into `sink`; bad rows go to `quarantine`.
pub fn read_source(
    kind: SourceKind,
    config: &SourceConfig,
    root: &Path,
    company_zone: Tz,
    sink: &mut dyn RowSink,
    quarantine: &mut Vec<Quarantine>,
) -> Result<SourceStats, IngestError> {
    let files = matched_files(kind, config, root)?;
    let zone = config
        .time_zone
        .as_deref()
        .map(|z| z.parse().unwrap_or(company_zone));
    let mut stats = SourceStats::new(kind);
    let mut hasher = Sha256::new();

    for path in &files {
        let bytes = read_bytes(kind, path)?;
        hasher.update(&bytes);

        let text = decode(kind, path, &bytes)?;
        let file = FileReader {
            kind,
            config,
            path,
            zone: zone.unwrap_or(company_zone),
        };
        file.read_rows(&text, sink, &mut stats, quarantine)?;
        stats.files.push(path.display().to_string());
    }

    stats.content_hash = format!("{:x}", hasher.finalize());
    Ok(stats)
}

fn matched_files(
    kind: SourceKind,
    config: &SourceConfig,
    root: &Path,
) -> Result<Vec<PathBuf>, IngestError> {
    let pattern = root.join(&config.path);
    let pattern_text = pattern.display().to_string();

    let mut files: Vec<PathBuf> = glob::glob(&pattern_text)
        .map_err(|e| IngestError::Pattern {
            source_kind: kind,
            pattern: pattern_text.clone(),
            message: e.to_string(),
        })?
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();

    if files.is_empty() {
        return Err(IngestError::NoFiles {
            source_kind: kind,
            pattern: pattern_text,
        });
    }
    Ok(files)
}

fn read_bytes(kind: SourceKind, path: &Path) -> Result<Vec<u8>, IngestError> {
    let bytes = std::fs::read(path).map_err(|e| IngestError::File {
        source_kind: kind,
        file: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if bytes.is_empty() {
        return Err(IngestError::File {
            source_kind: kind,
            file: path.to_path_buf(),
            message: "file is empty (0 bytes), a broken export".into(),
        });
    }
    Ok(bytes)
}

/// Gunzips `.gz` files and strips a UTF-8 byte order mark.
fn decode(kind: SourceKind, path: &Path, bytes: &[u8]) -> Result<Vec<u8>, IngestError> {
    let broken = |message: String| IngestError::File {
        source_kind: kind,
        file: path.to_path_buf(),
        message,
    };

    let mut plain = Vec::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut plain)
            .map_err(|e| broken(format!("cannot decompress: {e}")))?;
    } else {
        plain = bytes.to_vec();
    }

    if plain.starts_with(b"\xEF\xBB\xBF") {
        plain.drain(..3);
    }
    if plain.is_empty() {
        return Err(broken("file has no header line, a broken export".into()));
    }
    Ok(plain)
}

struct FileReader<'a> {
    kind: SourceKind,
    config: &'a SourceConfig,
    path: &'a Path,
    zone: Tz,
}

impl FileReader<'_> {
    fn read_rows(
        &self,
        text: &[u8],
        sink: &mut dyn RowSink,
        stats: &mut SourceStats,
        quarantine: &mut Vec<Quarantine>,
    ) -> Result<(), IngestError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.config.delimiter as u8)
            .flexible(true)
            .from_reader(text);

        let headers = self.headers(&mut reader)?;
        let fields = self.kind.contract();
        let positions = self.mapped_positions(fields, &headers)?;

        let mut raw = csv::ByteRecord::new();
        let mut values: Vec<Option<Value>> = vec![None; fields.len()];
        loop {
            let more = reader
                .read_byte_record(&mut raw)
                .map_err(|e| self.broken(e))?;
            if !more {
                break;
            }
            stats.rows_read += 1;
            let line = raw.position().map_or(0, |p| p.line());

            let outcome = self
                .parse_row(&raw, &headers, fields, &positions, &mut values)
                .and_then(|cells| {
                    let row = Row {
                        fields,
                        values: &values,
                        headers: &headers,
                        cells: &cells,
                        config: self.config,
                        file: self.path,
                        line,
                    };
                    sink.accept(&row)
                });

            match outcome {
                Ok(()) => stats.rows_accepted += 1,
                Err(problem) => {
                    stats.rows_quarantined += 1;
                    quarantine.push(self.quarantined(line, problem));
                }
            }
        }
        Ok(())
    }

    fn headers(&self, reader: &mut csv::Reader<&[u8]>) -> Result<Vec<String>, IngestError> {
        let headers = reader.byte_headers().map_err(|e| self.broken(e))?.clone();
        let headers: Vec<String> = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();

        let mut seen = std::collections::BTreeSet::new();
        for header in headers.iter().filter(|h| !h.is_empty()) {
            if !seen.insert(header.as_str()) {
                return Err(self.contract(format!("header names column `{header}` twice")));
            }
        }
        Ok(headers)
    }

    /// For each contract field, the index of its mapped column in this file.
    fn mapped_positions(
        &self,
        fields: &[Field],
        headers: &[String],
    ) -> Result<Vec<Option<usize>>, IngestError> {
        let mut positions = Vec::with_capacity(fields.len());
        for field in fields {
            let Some(column) = self.config.column(field.name) else {
                positions.push(None);
                continue;
            };
            let index = headers.iter().position(|h| h == column).ok_or_else(|| {
                self.contract(format!(
                    "column `{column}` (mapped to `{}`) not found; file has: {}",
                    field.name,
                    headers.join(", ")
                ))
            })?;
            positions.push(Some(index));
        }
        Ok(positions)
    }

    fn parse_row(
        &self,
        raw: &csv::ByteRecord,
        headers: &[String],
        fields: &[Field],
        positions: &[Option<usize>],
        values: &mut [Option<Value>],
    ) -> Result<csv::StringRecord, Problem> {
        if raw.len() != headers.len() {
            let line: Vec<String> = raw
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            return Err(Problem::new(
                "",
                &line.join(&self.config.delimiter.to_string()),
                format!(
                    "row has {} fields, the header has {}",
                    raw.len(),
                    headers.len()
                ),
            ));
        }

        let cells = csv::StringRecord::from_byte_record(raw.clone()).map_err(|e| {
            let index = e.utf8_error().field();
            let column = headers.get(index).map_or("", String::as_str);
            let value = String::from_utf8_lossy(&raw[index]).into_owned();
            Problem::new(column, &value, "not valid UTF-8")
        })?;

        for ((field, position), slot) in fields.iter().zip(positions).zip(values.iter_mut()) {
            *slot = None;
            let Some(index) = *position else { continue };
            let text = cells[index].trim();
            let column = &headers[index];

            if self.config.null_values.iter().any(|n| n == text) {
                if field.required {
                    return Err(Problem::new(column, text, "required value is missing"));
                }
                continue;
            }
            *slot = Some(
                self.parse_value(field.kind, text)
                    .map_err(|reason| Problem::new(column, text, reason))?,
            );
        }
        Ok(cells)
    }

    fn parse_value(&self, kind: FieldType, text: &str) -> Result<Value, String> {
        let formats = &self.config.date_formats;
        Ok(match kind {
            FieldType::Id | FieldType::Text | FieldType::Stage => Value::Text(text.to_string()),
            FieldType::Number => Value::Number(parse::number(text)?),
            FieldType::Timestamp => Value::Millis(parse::timestamp(text, formats, self.zone)?),
            FieldType::Date => Value::Days(parse::date(text, formats)?),
            FieldType::Year => Value::Year(parse::year(text)?),
            FieldType::Bool => Value::Bool(parse::boolean(text)?),
            FieldType::Currency => Value::Text(parse::currency(text)?),
        })
    }

    fn quarantined(&self, line: u64, problem: Problem) -> Quarantine {
        Quarantine {
            source: self.kind.name().to_string(),
            file: self.path.display().to_string(),
            line,
            column: problem.column,
            value: problem.value,
            reason: problem.reason,
        }
    }

    fn broken(&self, error: csv::Error) -> IngestError {
        IngestError::File {
            source_kind: self.kind,
            file: self.path.to_path_buf(),
            message: error.to_string(),
        }
    }

    fn contract(&self, message: String) -> IngestError {
        IngestError::Contract {
            source_kind: self.kind,
            file: self.path.to_path_buf(),
            message,
        }
    }
}
