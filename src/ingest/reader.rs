//! Reading the files of one declared source row by row, with the file name
//! and line of every row, and handing each row to the source's sink.
//!
//! A row whose cells do not satisfy the contract is not dropped: it becomes
//! a quarantine entry naming the file, line, column, value and reason, so
//! that rows read always equal rows accepted plus rows quarantined.
//!
//! Formats: CSV (any declared encoding, `.gz` or not), JSON lines (the
//! line number of each object) and Parquet (the 1-based row number). All
//! three become the same [`Record`]s and pass the same contract checks.
//! A file that cannot be read as a whole (0 bytes, a gzip stream cut short,
//! an unterminated quote, a JSON line cut short at the end) is a broken
//! export: the source fails with an error naming the file. A file with a
//! header and no rows is a day without data: 0 rows, no error.
//!
//! Mapped columns are found by exact name first, then case-insensitively
//! (Snowflake exports upper-case names), or by position with `#n`.
//! Numbers are parsed exactly (see [`super::decimal`]) and reach the frames
//! as f64 only when that f64 reads back as the same decimal; an amount
//! written with a currency sign or word must match the row's currency.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use tracing::warn;

use super::csv_input::CsvRecords;
use super::decimal::{self, Decimal};
use super::encoding::{strip_bom, TextEncoding};
use super::{jsonl, parquet_input, IngestError, Quarantine, SourceStats};
use crate::config::{Format, IdCase, SourceConfig};
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

/// A value a format carries already typed (Parquet dates and times), used
/// instead of reparsing its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Native {
    /// An instant, UTC epoch milliseconds.
    Instant(i64),
    /// A wall-clock time without zone, read in the source's zone.
    Naive(NaiveDateTime),
    /// A calendar day, days since 1970-01-01.
    Day(i32),
}

/// Why a row was refused, and where in the row.
#[derive(Debug, Clone, PartialEq)]
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

/// A problem found before a row could be split into cells, with its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub line: u64,
    pub problem: Problem,
}

/// One record of a file before the contract checks: the text of every
/// column, which cells are null (formats with a real null), and the typed
/// values a format carries. Empty `nulls`/`natives` mean none.
#[derive(Debug, Clone)]
pub struct Record {
    pub line: u64,
    pub cells: csv::StringRecord,
    pub nulls: Vec<bool>,
    pub natives: Vec<Option<Native>>,
}

impl Record {
    pub fn text(line: u64, cells: csv::StringRecord) -> Record {
        Record {
            line,
            cells,
            nulls: Vec::new(),
            natives: Vec::new(),
        }
    }

    fn is_null(&self, index: usize) -> bool {
        self.nulls.get(index).copied().unwrap_or(false)
    }

    fn native(&self, index: usize) -> Option<Native> {
        self.natives.get(index).copied().flatten()
    }
}

/// The whole content of a file whose format is read at once.
pub struct FileTable {
    pub headers: Vec<String>,
    pub records: Vec<Result<Record, Located>>,
}

/// One parsed row: canonical fields by contract position, plus the raw text
/// of every column of the file for source-specific rules.
pub struct Row<'a> {
    pub fields: &'a [Field],
    pub values: &'a [Option<Value>],
    pub headers: &'a [String],
    pub cells: &'a csv::StringRecord,
    pub config: &'a SourceConfig,
    /// For each contract field, the file column it is read from.
    pub positions: &'a [Option<usize>],
    /// The file the row comes from and the line it starts on.
    pub file: &'a Path,
    /// The file as the tables name it: relative to the data root.
    pub name: &'a str,
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

    /// A number field as f64, the precision the frames carry: the digits
    /// were checked to convert exactly when the row was read.
    pub fn number(&self, field: &str) -> Option<f64> {
        match self.get(field) {
            Some(Value::Number(value)) => Some(*value),
            _ => None,
        }
    }

    /// A number field as the exact decimal the file wrote, for rules that
    /// must not go through f64 (such as summing money exactly).
    pub fn decimal(&self, field: &str) -> Option<Decimal> {
        self.number(field)?;
        let index = self.fields.iter().position(|f| f.name == field)?;
        let column = self.positions.get(index).copied().flatten()?;
        parse::decimal(self.cells.get(column)?, self.config.decimal_comma).ok()
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

    /// The raw text of a file column, if the file has it: by exact name,
    /// else case-insensitively, or `#n` for the n-th column.
    pub fn raw(&self, column: &str) -> Option<&str> {
        let exact = self.headers.iter().position(|h| h == column);
        let index = match exact {
            Some(index) => index,
            None => find_column(self.headers, column).ok().flatten()?,
        };
        self.cells.get(index).map(str::trim)
    }

    /// The file column a canonical field is read from, for problem reports:
    /// the header as the file writes it, with `#n` for position mappings.
    pub fn column_of(&self, field: &str) -> String {
        let mapped = self.config.column(field).unwrap_or(field);
        let index = self.fields.iter().position(|f| f.name == field);
        let position = index.and_then(|i| self.positions.get(i).copied().flatten());
        match position {
            Some(at) => column_label(self.headers, at, mapped),
            None => mapped.to_string(),
        }
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
    let mut found = BTreeSet::new();
    let mut columns_by_file = Vec::new();

    for path in &files {
        let bytes = read_bytes(kind, path)?;
        hasher.update(&bytes);

        let name = name_in_root(path, root);
        let file = FileReader {
            kind,
            config,
            path,
            name: &name,
            zone: zone.unwrap_or(company_zone),
        };
        let plain = file.decompress(&bytes)?;
        let mut in_file = BTreeSet::new();
        let columns = file.read_rows(
            strip_bom(&plain),
            sink,
            &mut stats,
            quarantine,
            &mut in_file,
        )?;
        if columns {
            found.extend(in_file.iter().copied());
            columns_by_file.push((name.clone(), in_file));
        }
        stats.files.push(name);
    }
    if !columns_by_file.is_empty() {
        optional_columns_seen(kind, config, &files, &found)?;
    }
    stats.notes = drifted_columns(kind, config, &columns_by_file, &found);
    for note in &stats.notes {
        warn!(source = %kind, "{note}");
    }

    stats.content_hash = format!("{:x}", hasher.finalize());
    Ok(stats)
}

/// A file's path as the tables store it: relative to the data root with
/// `/` between folders, so the same run from another working directory,
/// or with the data folder spelled another way, stores the same names. A
/// file outside the root (an absolute pattern) keeps its full path.
pub fn name_in_root(path: &Path, root: &Path) -> String {
    use std::path::Component;
    let plain = |p: &Path| -> PathBuf {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    };
    match plain(path).strip_prefix(plain(root)) {
        Ok(relative) if relative.components().next().is_some() => relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        _ => path.display().to_string(),
    }
}

/// Schema drift a glob allows but a reader should know of: an optional
/// mapped column that some files of the source have and this file lacks
/// is read as null, one note per file and column.
fn drifted_columns(
    kind: SourceKind,
    config: &SourceConfig,
    columns_by_file: &[(String, BTreeSet<&'static str>)],
    found: &BTreeSet<&'static str>,
) -> Vec<String> {
    let mut notes = Vec::new();
    for (name, in_file) in columns_by_file {
        for field in kind.contract() {
            let Some(column) = config.column(field.name) else {
                continue;
            };
            if field.required || !found.contains(field.name) || in_file.contains(field.name) {
                continue;
            }
            notes.push(format!(
                "file {name} has no column `{column}` (mapped to `{}`): read as null",
                field.name
            ));
        }
    }
    notes
}

/// An optional column may be missing from some files of a glob, but one
/// that no file has is a mapping mistake, not schema drift.
fn optional_columns_seen(
    kind: SourceKind,
    config: &SourceConfig,
    files: &[PathBuf],
    found: &BTreeSet<&'static str>,
) -> Result<(), IngestError> {
    let missing = kind
        .contract()
        .iter()
        .filter(|f| !f.required && !found.contains(f.name))
        .find_map(|f| config.column(f.name).map(|column| (f.name, column)));
    let (Some((field, column)), Some(last)) = (missing, files.last()) else {
        return Ok(());
    };
    Err(IngestError::Contract {
        source_kind: kind,
        file: last.clone(),
        message: format!("column `{column}` (mapped to `{field}`) is in none of the files"),
    })
}

fn matched_files(
    kind: SourceKind,
    config: &SourceConfig,
    root: &Path,
) -> Result<Vec<PathBuf>, IngestError> {
    let mut files = Vec::new();
    for pattern in config.path.patterns() {
        for file in matched_pattern(kind, root, pattern)? {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The files one pattern matches; none is an error naming the pattern.
/// The data root is taken literally (a folder named `data[1]` is no
/// pattern); as in a shell, `*` does not match names starting with a dot.
fn matched_pattern(
    kind: SourceKind,
    root: &Path,
    pattern: &str,
) -> Result<Vec<PathBuf>, IngestError> {
    let root_text = root.display().to_string();
    let full = if root_text.is_empty() || Path::new(pattern).is_absolute() {
        pattern.to_string()
    } else {
        let escaped = glob::Pattern::escape(&root_text);
        Path::new(&escaped).join(pattern).display().to_string()
    };
    let pattern_text = root.join(pattern).display().to_string();
    let options = glob::MatchOptions {
        require_literal_leading_dot: true,
        ..glob::MatchOptions::new()
    };

    let matches = glob::glob_with(&full, options).map_err(|e| IngestError::Pattern {
        source_kind: kind,
        pattern: pattern_text.clone(),
        message: e.to_string(),
    })?;

    // A folder the glob cannot list, or a match that is neither a folder
    // nor a readable file (a dangling link), could hide rows of the day:
    // that is an error, not a smaller set of files.
    let mut files = Vec::new();
    for entry in matches {
        let path = entry.map_err(|e| IngestError::File {
            source_kind: kind,
            file: e.path().to_path_buf(),
            message: format!("cannot list while matching {pattern_text}: {}", e.error()),
        })?;
        if path.is_dir() {
            continue;
        }
        if !path.is_file() {
            return Err(IngestError::File {
                source_kind: kind,
                file: path,
                message: "matches the source's path but is not a readable file \
                          (a dangling link?)"
                    .into(),
            });
        }
        files.push(path);
    }
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

/// The column a mapping names: `#n` is the n-th column (1-based); a name
/// matches exactly, else case-insensitively. Ok(None) when absent; an
/// error when the name is ambiguous or the position is out of range.
pub fn find_column(headers: &[String], mapped: &str) -> Result<Option<usize>, String> {
    if let Some(position) = column_position(mapped) {
        if position == 0 || position > headers.len() {
            return Err(format!(
                "column {mapped} is out of range: the file has {} columns",
                headers.len()
            ));
        }
        return Ok(Some(position - 1));
    }

    let exact: Vec<usize> = (0..headers.len())
        .filter(|i| headers[*i] == mapped)
        .collect();
    let matches = if exact.is_empty() {
        let lower = mapped.to_lowercase();
        (0..headers.len())
            .filter(|i| headers[*i].to_lowercase() == lower)
            .collect()
    } else {
        exact
    };

    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        [first, second, ..] => Err(format!(
            "column `{mapped}` is ambiguous: the header has `{}` (column {}) and `{}` \
             (column {}); map the field by position instead, e.g. \"#{}\"",
            headers[*first],
            first + 1,
            headers[*second],
            second + 1,
            first + 1
        )),
    }
}

/// `#3` -> Some(3).
fn column_position(mapped: &str) -> Option<usize> {
    mapped.strip_prefix('#')?.parse().ok()
}

fn column_label(headers: &[String], at: usize, mapped: &str) -> String {
    let header = headers.get(at).map_or("", String::as_str);
    if column_position(mapped).is_some() {
        format!("{header} ({mapped})").trim_start().to_string()
    } else {
        header.to_string()
    }
}

/// Where a file's records come from.
enum Records<'a> {
    Csv(CsvRecords<'a>),
    Table(Vec<String>, std::vec::IntoIter<Result<Record, Located>>),
}

impl Records<'_> {
    fn headers(&self) -> &[String] {
        match self {
            Records::Csv(csv) => csv.headers(),
            Records::Table(headers, _) => headers,
        }
    }

    fn next_record(&mut self) -> Result<Option<Result<Record, Located>>, String> {
        match self {
            Records::Csv(csv) => csv.next_record(),
            Records::Table(_, records) => Ok(records.next()),
        }
    }

    /// A JSON lines file without one valid object: no columns to map,
    /// every line is quarantined (or there are none: no data that day).
    fn is_keyless_table(&self) -> bool {
        matches!(self, Records::Table(headers, _) if headers.is_empty())
    }
}

struct FileReader<'a> {
    kind: SourceKind,
    config: &'a SourceConfig,
    path: &'a Path,
    /// The file relative to the data root, as the tables name it.
    name: &'a str,
    zone: Tz,
}

impl FileReader<'_> {
    /// Gunzips `.gz` files and files that start with the gzip magic bytes
    /// (all members of a multi-member stream); a stream cut short is a
    /// broken export.
    fn decompress<'b>(&self, bytes: &'b [u8]) -> Result<Cow<'b, [u8]>, IngestError> {
        let named = self.path.extension().is_some_and(|e| e == "gz");
        if !named && !bytes.starts_with(&[0x1f, 0x8b]) {
            return Ok(Cow::Borrowed(bytes));
        }
        let mut plain = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut plain)
            .map_err(|e| self.broken(format!("cannot decompress (a truncated export?): {e}")))?;
        Ok(Cow::Owned(plain))
    }

    fn records<'b>(&self, plain: &'b [u8]) -> Result<Records<'b>, IngestError> {
        if plain.is_empty() {
            let message = "file has no header line, a broken export".to_string();
            return Err(self.broken(message));
        }

        match self.config.format {
            Format::Csv => {
                let encoding = TextEncoding::for_file(self.config.encoding, plain);
                let csv = CsvRecords::open(plain, self.config.delimiter, encoding)
                    .map_err(|m| self.broken(m))?;
                Ok(Records::Csv(csv))
            }
            Format::Jsonl => {
                let table = jsonl::read(plain).map_err(|m| self.broken(m))?;
                Ok(Records::Table(table.headers, table.records.into_iter()))
            }
            Format::Parquet => {
                let table = parquet_input::read(plain).map_err(|m| self.broken(m))?;
                Ok(Records::Table(table.headers, table.records.into_iter()))
            }
        }
    }

    /// Reads one file's rows; true when the file has columns to map.
    fn read_rows(
        &self,
        plain: &[u8],
        sink: &mut dyn RowSink,
        stats: &mut SourceStats,
        quarantine: &mut Vec<Quarantine>,
        found: &mut BTreeSet<&'static str>,
    ) -> Result<bool, IngestError> {
        let mut records = self.records(plain)?;
        let headers = records.headers().to_vec();
        let fields = self.kind.contract();
        let keyless = records.is_keyless_table();
        let positions = if keyless {
            vec![None; fields.len()]
        } else {
            self.mapped_positions(fields, &headers, found)?
        };

        let mut values: Vec<Option<Value>> = vec![None; fields.len()];
        while let Some(record) = records.next_record().map_err(|m| self.broken(m))? {
            stats.rows_read += 1;
            let record = record.and_then(|record| match keyless {
                true => Err(Located {
                    line: record.line,
                    problem: Problem::new("", "{}", "object has no keys"),
                }),
                false => Ok(record),
            });
            let outcome = record.and_then(|record| {
                let line = record.line;
                self.check_row(&record, &headers, fields, &positions, &mut values)
                    .and_then(|()| {
                        sink.accept(&Row {
                            fields,
                            values: &values,
                            headers: &headers,
                            cells: &record.cells,
                            config: self.config,
                            positions: &positions,
                            file: self.path,
                            name: self.name,
                            line,
                        })
                    })
                    .map_err(|problem| Located { line, problem })
            });

            match outcome {
                Ok(()) => stats.rows_accepted += 1,
                Err(located) => {
                    stats.rows_quarantined += 1;
                    quarantine.push(self.quarantined(located));
                }
            }
        }
        Ok(!keyless)
    }

    /// For each contract field, the index of its mapped column in this file.
    /// A required field's column must be in every file; an optional one may
    /// be missing from some daily files (a column added later), and the
    /// fields found are noted in `found`. Duplicate header names are refused
    /// unless no mapping by name could reach them (the source maps fields
    /// by position instead).
    fn mapped_positions(
        &self,
        fields: &[Field],
        headers: &[String],
        found: &mut BTreeSet<&'static str>,
    ) -> Result<Vec<Option<usize>>, IngestError> {
        self.refuse_duplicate_headers(headers)?;

        let mut positions = Vec::with_capacity(fields.len());
        for field in fields {
            let Some(column) = self.config.column(field.name) else {
                positions.push(None);
                continue;
            };
            let index = find_column(headers, column).map_err(|m| self.contract(m))?;
            if index.is_none() && field.required {
                return Err(self.contract(format!(
                    "column `{column}` (mapped to `{}`) not found; file has: {}",
                    field.name,
                    headers.join(", ")
                )));
            }
            if index.is_some() {
                found.insert(field.name);
            }
            positions.push(index);
        }
        Ok(positions)
    }

    /// Whether a source rule reads `header` by name outside the column
    /// mapping: wide tables read every column, and the return marker and
    /// region aliases name their own.
    fn reads_unmapped(&self, header: &str) -> bool {
        let config = self.config;
        let wide = config.fx_layout.is_some() || config.wide.is_some();
        let marker = config
            .return_marker
            .as_ref()
            .is_some_and(|m| m.column.eq_ignore_ascii_case(header));
        let alias = config
            .region_aliases
            .iter()
            .any(|a| a.eq_ignore_ascii_case(header));
        wide || marker || alias
    }

    fn refuse_duplicate_headers(&self, headers: &[String]) -> Result<(), IngestError> {
        let by_position = self
            .config
            .columns
            .values()
            .any(|c| column_position(c).is_some());

        for (index, header) in headers.iter().enumerate() {
            let Some(earlier) = headers[..index].iter().position(|h| h == header) else {
                continue;
            };
            if header.is_empty() {
                continue;
            }
            let named = self
                .config
                .columns
                .values()
                .any(|c| c.eq_ignore_ascii_case(header));
            if !named && (by_position || !self.reads_unmapped(header)) {
                warn!(
                    file = %self.path.display(),
                    column = %header,
                    "header names a column twice; neither copy is read"
                );
                continue;
            }
            return Err(self.contract(format!(
                "header names column `{header}` twice (columns {} and {}); \
                 map the field by position instead, e.g. \"#{}\"",
                earlier + 1,
                index + 1,
                earlier + 1
            )));
        }
        Ok(())
    }

    /// Parses every mapped cell of a record into `values`.
    fn check_row(
        &self,
        record: &Record,
        headers: &[String],
        fields: &[Field],
        positions: &[Option<usize>],
        values: &mut [Option<Value>],
    ) -> Result<(), Problem> {
        for ((field, position), slot) in fields.iter().zip(positions).zip(values.iter_mut()) {
            *slot = None;
            let Some(index) = *position else { continue };
            let text = record.cells[index].trim();
            let mapped = self.config.column(field.name).unwrap_or(field.name);
            let column = column_label(headers, index, mapped);

            if record.is_null(index) || self.is_null(field.kind, text) {
                if field.required {
                    return Err(Problem::new(&column, text, missing_reason(field.kind)));
                }
                continue;
            }
            let parsed = match record.native(index) {
                Some(native) => self.typed_value(field.kind, native, text),
                None => self.parse_value(field.kind, text),
            };
            *slot = Some(parsed.map_err(|reason| Problem::new(&column, text, reason))?);
        }
        self.check_written_currency(record, headers, fields, positions, values)
    }

    /// An amount written with a currency sign or word must agree with the
    /// row's currency (its currency field, else the source's `currency`).
    fn check_written_currency(
        &self,
        record: &Record,
        headers: &[String],
        fields: &[Field],
        positions: &[Option<usize>],
        values: &[Option<Value>],
    ) -> Result<(), Problem> {
        let currency_field = fields.iter().position(|f| f.kind == FieldType::Currency);
        let row_currency = match currency_field.and_then(|i| values[i].as_ref()) {
            Some(Value::Text(code)) => Some(code.clone()),
            _ => self.config.currency.as_deref().map(str::to_ascii_uppercase),
        };
        let Some(row_currency) = row_currency else {
            return Ok(());
        };

        for ((field, position), value) in fields.iter().zip(positions).zip(values) {
            let (FieldType::Number, Some(index), Some(_)) = (field.kind, position, value) else {
                continue;
            };
            let text = record.cells[*index].trim();
            let Some(codes) = decimal::written_currencies(text) else {
                continue;
            };
            if !codes.contains(&row_currency.as_str()) {
                let mapped = self.config.column(field.name).unwrap_or(field.name);
                let reason = format!(
                    "amount is written in {} but the row's currency is {row_currency}",
                    codes.join(" or ")
                );
                return Err(Problem::new(
                    &column_label(headers, *index, mapped),
                    text,
                    reason,
                ));
            }
        }
        Ok(())
    }

    /// Identifiers also treat null markers in any letter case as null, so
    /// `Null` and `NULL` keys are never merged into one account.
    fn is_null(&self, kind: FieldType, text: &str) -> bool {
        let nulls = &self.config.null_values;
        match kind {
            FieldType::Id => nulls.iter().any(|n| n.eq_ignore_ascii_case(text)),
            _ => nulls.iter().any(|n| n == text),
        }
    }

    fn parse_value(&self, kind: FieldType, text: &str) -> Result<Value, String> {
        let formats = &self.config.date_formats;
        Ok(match kind {
            FieldType::Id => Value::Text(identifier(text, self.config.id_case)),
            FieldType::Text | FieldType::Stage => Value::Text(text.to_string()),
            FieldType::Number => {
                Value::Number(parse::number_with(text, self.config.decimal_comma)?)
            }
            FieldType::Timestamp => Value::Millis(parse::timestamp(text, formats, self.zone)?),
            FieldType::Date => Value::Days(parse::date(text, formats)?),
            FieldType::Year => Value::Year(parse::year(text)?),
            FieldType::Bool => Value::Bool(parse::boolean(text)?),
            FieldType::Currency => Value::Text(parse::currency(text)?),
        })
    }

    /// A typed cell: dates and times are used as they are, naive times read
    /// in the source's zone; other field types parse the cell's text.
    fn typed_value(&self, kind: FieldType, native: Native, text: &str) -> Result<Value, String> {
        let local = |naive| {
            parse::local_to_utc(naive, self.zone)
                .ok_or_else(|| format!("`{text}` does not exist in {}", self.zone))
        };
        Ok(match (kind, native) {
            (FieldType::Timestamp, Native::Instant(ms)) => Value::Millis(ms),
            (FieldType::Timestamp, Native::Naive(naive)) => Value::Millis(local(naive)?),
            (FieldType::Timestamp, Native::Day(days)) => {
                let midnight = parse::date_from_days(days).and_hms_opt(0, 0, 0);
                Value::Millis(local(midnight.expect("midnight exists"))?)
            }
            (FieldType::Date, Native::Day(days)) => Value::Days(days),
            (FieldType::Date, Native::Naive(naive)) => {
                Value::Days(parse::days_since_epoch(naive.date()))
            }
            (FieldType::Date, Native::Instant(ms)) => Value::Days(parse::day_of_millis(ms)),
            (FieldType::Year, Native::Day(days)) => {
                Value::Year(chrono::Datelike::year(&parse::date_from_days(days)))
            }
            _ => self.parse_value(kind, text)?,
        })
    }

    fn quarantined(&self, located: Located) -> Quarantine {
        Quarantine {
            source: self.kind.name().to_string(),
            file: self.name.to_string(),
            line: located.line,
            column: located.problem.column,
            value: located.problem.value,
            reason: located.problem.reason,
        }
    }

    fn broken(&self, message: String) -> IngestError {
        IngestError::File {
            source_kind: self.kind,
            file: self.path.to_path_buf(),
            message,
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

fn missing_reason(kind: FieldType) -> &'static str {
    match kind {
        FieldType::Id => "required identifier is missing (blank or null)",
        _ => "required value is missing",
    }
}

/// An identifier as text: leading zeros kept, runs of whitespace (also
/// no-break and full-width spaces) made one space, letter case per source.
pub fn identifier(text: &str, case: IdCase) -> String {
    let spaced: Vec<&str> = text.split_whitespace().collect();
    let joined = spaced.join(" ");
    match case {
        IdCase::Keep => joined,
        IdCase::Upper => joined.to_uppercase(),
        IdCase::Lower => joined.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn columns_by_name_case_or_position() {
        let file = headers(&["ORDER_ID", "Amount", "amount_2"]);
        assert_eq!(find_column(&file, "order_id").unwrap(), Some(0));
        assert_eq!(find_column(&file, "Amount").unwrap(), Some(1));
        assert_eq!(find_column(&file, "#3").unwrap(), Some(2));
        assert_eq!(find_column(&file, "missing").unwrap(), None);
        assert!(find_column(&file, "#4").is_err());
        let clash = headers(&["id", "ID2", "Id"]);
        assert_eq!(find_column(&clash, "id").unwrap(), Some(0));
        assert!(find_column(&clash, "ID").unwrap_err().contains("ambiguous"));
    }

    #[test]
    fn identifiers_keep_zeros_and_normalise_space_and_case() {
        assert_eq!(identifier("007", IdCase::Keep), "007");
        assert_eq!(identifier("ab\u{3000} 12", IdCase::Upper), "AB 12");
        assert_eq!(identifier("AB\u{a0}12", IdCase::Lower), "ab 12");
    }
}
