//! Parquet files as records, through polars' Parquet reader.
//!
//! Every cell becomes the text the contract checks read (integers and
//! floats as their exact shortest text, so widened types across daily files
//! read the same), and date and time columns also carry their typed value.
//! The record's line is its 1-based row number in the file.
//!
//! Legacy INT96 timestamps: polars reads them as nanoseconds, which only
//! reach the year 2262. A later value, such as the far-future sentinel
//! 9999-12-31, is not wrapped by polars but saturated to the largest
//! nanosecond count (2262-04-11T23:47:16.854775807). That instant cannot be
//! told apart from the real date, so such a cell is refused with a reason;
//! exports should write far-future sentinels as dates or INT64 timestamps.
//! A timestamp column without a zone is a naive local time, read in the
//! source's zone; Spark writes INT96 in UTC, so such sources should set
//! `time_zone = "UTC"`.

use chrono::{DateTime, NaiveDateTime};
use polars::prelude::*;

use super::reader::{FileTable, Located, Native, Problem, Record};

/// What polars gives for an INT96 timestamp beyond the nanosecond range.
const SATURATED_NS: i64 = i64::MAX;

enum Cell {
    Null,
    Text(String),
    Typed(Native, String),
    Refused { value: String, reason: String },
}

pub fn read(bytes: &[u8]) -> Result<FileTable, String> {
    let frame = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let headers: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|name| name.to_string())
        .collect();

    let mut columns = Vec::with_capacity(headers.len());
    for column in frame.columns() {
        let cells = column_cells(column.as_materialized_series())
            .map_err(|e| format!("column `{}` cannot be read: {e}", column.name()))?;
        columns.push(cells);
    }

    let records = (0..frame.height())
        .map(|row| record(row, &headers, &mut columns))
        .collect();
    Ok(FileTable { headers, records })
}

fn record(row: usize, headers: &[String], columns: &mut [Vec<Cell>]) -> Result<Record, Located> {
    let line = row as u64 + 1;
    let mut texts = Vec::with_capacity(columns.len());
    let mut nulls = Vec::with_capacity(columns.len());
    let mut natives = Vec::with_capacity(columns.len());

    for (index, cells) in columns.iter_mut().enumerate() {
        let cell = std::mem::replace(&mut cells[row], Cell::Null);
        let (text, null, native) = match cell {
            Cell::Null => (String::new(), true, None),
            Cell::Text(text) => (text, false, None),
            Cell::Typed(native, text) => (text, false, Some(native)),
            Cell::Refused { value, reason } => {
                let problem = Problem::new(&headers[index], &value, reason);
                return Err(Located { line, problem });
            }
        };
        texts.push(text);
        nulls.push(null);
        natives.push(native);
    }

    let mut record = Record::text(line, csv::StringRecord::from(texts));
    record.nulls = nulls;
    record.natives = natives;
    Ok(record)
}

fn column_cells(series: &Series) -> PolarsResult<Vec<Cell>> {
    let texts = |values: Vec<Option<String>>| -> Vec<Cell> {
        values
            .into_iter()
            .map(|v| v.map_or(Cell::Null, Cell::Text))
            .collect()
    };

    Ok(match series.dtype() {
        DataType::String => texts(
            series
                .str()?
                .iter()
                .map(|v| v.map(str::to_string))
                .collect(),
        ),
        DataType::Boolean => texts(
            series
                .bool()?
                .iter()
                .map(|v| v.map(|b| b.to_string()))
                .collect(),
        ),
        DataType::UInt64 => texts(
            series
                .u64()?
                .iter()
                .map(|v| v.map(|n| n.to_string()))
                .collect(),
        ),
        DataType::Float32 => texts(
            series
                .f32()?
                .iter()
                .map(|v| v.map(|n| n.to_string()))
                .collect(),
        ),
        DataType::Float64 => texts(
            series
                .f64()?
                .iter()
                .map(|v| v.map(|n| n.to_string()))
                .collect(),
        ),
        dtype if dtype.is_integer() => {
            let ints = series.cast(&DataType::Int64)?;
            texts(
                ints.i64()?
                    .iter()
                    .map(|v| v.map(|n| n.to_string()))
                    .collect(),
            )
        }
        DataType::Date => {
            let days = series.cast(&DataType::Int32)?;
            days.i32()?
                .iter()
                .map(|v| v.map_or(Cell::Null, day_cell))
                .collect()
        }
        DataType::Datetime(unit, zone) => {
            let (unit, zoned) = (*unit, zone.is_some());
            let raw = series.cast(&DataType::Int64)?;
            raw.i64()?
                .iter()
                .map(|v| v.map_or(Cell::Null, |v| instant_cell(v, unit, zoned)))
                .collect()
        }
        _ => (0..series.len())
            .map(|i| match series.get(i) {
                Ok(AnyValue::Null) => Cell::Null,
                Ok(value) => Cell::Text(value.to_string()),
                Err(e) => Cell::Refused {
                    value: String::new(),
                    reason: format!("cell cannot be read: {e}"),
                },
            })
            .collect(),
    })
}

fn day_cell(days: i32) -> Cell {
    let day = super::parse::date_from_days(days);
    Cell::Typed(Native::Day(days), day.format("%Y-%m-%d").to_string())
}

fn instant_cell(value: i64, unit: TimeUnit, zoned: bool) -> Cell {
    if unit == TimeUnit::Nanoseconds && value == SATURATED_NS {
        return Cell::Refused {
            value: "2262-04-11T23:47:16.854775807".into(),
            reason: "timestamp beyond 2262-04-11 (an INT96 value such as a \
                     9999-12-31 sentinel); the Parquet reader cannot hold it \
                     in nanoseconds, so its true value is unknown"
                .into(),
        };
    }

    let millis = match unit {
        TimeUnit::Nanoseconds => value.div_euclid(1_000_000),
        TimeUnit::Microseconds => value.div_euclid(1_000),
        TimeUnit::Milliseconds => value,
    };
    let Some(moment) = DateTime::from_timestamp_millis(millis) else {
        return Cell::Refused {
            value: value.to_string(),
            reason: "timestamp is outside the representable range".into(),
        };
    };

    if zoned {
        let text = moment.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        return Cell::Typed(Native::Instant(millis), text);
    }
    let naive: NaiveDateTime = moment.naive_utc();
    let text = naive.format("%Y-%m-%d %H:%M:%S%.3f").to_string();
    Cell::Typed(Native::Naive(naive), text)
}
