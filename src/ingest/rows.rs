//! Small checks shared by the sinks of the event and market sources:
//! fetching a required field with a reason instead of a panic, and
//! refusing a second row for a key that must be unique.

use std::collections::BTreeMap;

use super::reader::{Problem, Row};

pub const MS_PER_DAY: i64 = 86_400_000;

fn missing(row: &Row, field: &str) -> Problem {
    Problem::new(&row.column_of(field), "", "required value is missing")
}

pub fn need_text(row: &Row, field: &str) -> Result<String, Problem> {
    row.text(field).ok_or_else(|| missing(row, field))
}

pub fn need_millis(row: &Row, field: &str) -> Result<i64, Problem> {
    row.millis(field).ok_or_else(|| missing(row, field))
}

pub fn need_days(row: &Row, field: &str) -> Result<i32, Problem> {
    row.days(field).ok_or_else(|| missing(row, field))
}

pub fn need_number(row: &Row, field: &str) -> Result<f64, Problem> {
    row.number(field).ok_or_else(|| missing(row, field))
}

/// A number that must not be below zero, when present.
pub fn not_negative(row: &Row, field: &str) -> Result<Option<f64>, Problem> {
    match row.number(field) {
        Some(value) if value < 0.0 => Err(Problem::new(
            &row.column_of(field),
            &value.to_string(),
            format!("{field} is negative"),
        )),
        other => Ok(other),
    }
}

/// `later` must not come before `earlier` (both in the same unit).
pub fn in_order<T: PartialOrd>(
    row: &Row,
    earlier: (&str, T),
    later: (&str, Option<T>),
) -> Result<(), Problem> {
    let (earlier_field, start) = earlier;
    let (later_field, end) = later;
    match end {
        Some(end) if end < start => {
            let value = row.raw(&row.column_of(later_field)).unwrap_or("");
            let reason = format!("{later_field} is before {earlier_field}");
            Err(Problem::new(&row.column_of(later_field), value, reason))
        }
        _ => Ok(()),
    }
}

/// Where a key was first seen, so a duplicate can point at it.
pub struct FirstSeen<K: Ord> {
    /// The files seen so far; keys point into it to keep memory small.
    files: Vec<String>,
    seen: BTreeMap<K, (usize, u64)>,
}

impl<K: Ord> Default for FirstSeen<K> {
    fn default() -> Self {
        FirstSeen {
            files: Vec::new(),
            seen: BTreeMap::new(),
        }
    }
}

impl<K: Ord> FirstSeen<K> {
    /// Records `key`, or says where the row it duplicates is.
    pub fn check(&mut self, key: K, row: &Row, field: &str, what: &str) -> Result<(), Problem> {
        if let Some(&(file, line)) = self.seen.get(&key) {
            let value = row.raw(&row.column_of(field)).unwrap_or("");
            let first = place(&self.files[file], line, row.name);
            let reason = format!("duplicate of {first}: same {what}");
            return Err(Problem::new(&row.column_of(field), value, reason));
        }

        let file = row.name.to_string();
        if self.files.last() != Some(&file) {
            self.files.push(file);
        }
        self.seen.insert(key, (self.files.len() - 1, row.line));
        Ok(())
    }
}

/// `line N`, with the file named when it is not the row's own.
pub fn place(file: &str, line: u64, current: &str) -> String {
    if file == current {
        format!("line {line}")
    } else {
        format!("line {line} of {file}")
    }
}
