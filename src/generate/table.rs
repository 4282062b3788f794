//! One generated CSV file being written: buffered, in UTF-8 or GBK, with a
//! count of the data rows written and of the rows made bad on purpose.
//!
//! Rows go straight to disk through a buffered writer, so a file of any
//! length takes the same small amount of memory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::contract::SourceKind;

/// Text encoding of a generated file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FileEncoding {
    #[default]
    Utf8,
    Gbk,
}

impl FileEncoding {
    pub fn name(self) -> &'static str {
        match self {
            FileEncoding::Utf8 => "utf8",
            FileEncoding::Gbk => "gbk",
        }
    }
}

/// What was written for one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Written {
    pub source: String,
    /// Paths of its files relative to the output folder, in order.
    pub files: Vec<String>,
    pub encoding: &'static str,
    /// Data rows, header excluded.
    pub rows: u64,
    /// Of those, rows written malformed on purpose.
    pub bad_rows: u64,
}

pub struct Table {
    source: SourceKind,
    out_dir: PathBuf,
    files: Vec<String>,
    path: PathBuf,
    encoding: FileEncoding,
    line: String,
    out: BufWriter<File>,
    rows: u64,
    bad_rows: u64,
}

impl Table {
    /// Creates `file` under `out_dir` and writes its header.
    pub fn create(
        out_dir: &Path,
        source: SourceKind,
        file: &str,
        encoding: FileEncoding,
        header: &[&str],
    ) -> Result<Table> {
        let (path, out) = open(out_dir, file)?;
        let mut table = Table {
            source,
            out_dir: out_dir.to_path_buf(),
            files: vec![file.to_string()],
            path,
            encoding,
            line: String::with_capacity(256),
            out,
            rows: 0,
            bad_rows: 0,
        };
        table.write(header)?;
        Ok(table)
    }

    /// Finishes the current file and goes on in a new one of the same
    /// source, such as the next day or region of a folder of files.
    pub fn next_file(&mut self, file: &str, header: &[&str]) -> Result<()> {
        self.flush()?;
        let (path, out) = open(&self.out_dir, file)?;
        self.path = path;
        self.out = out;
        self.files.push(file.to_string());
        self.write(header)
    }

    /// Writes one well-formed data row.
    pub fn row(&mut self, fields: &[&str]) -> Result<()> {
        self.write(fields)?;
        self.rows += 1;
        Ok(())
    }

    /// Writes one data row that was made malformed on purpose.
    pub fn bad_row(&mut self, fields: &[&str]) -> Result<()> {
        self.row(fields)?;
        self.bad_rows += 1;
        Ok(())
    }

    /// Writes a row that is bad when `bad` is set.
    pub fn row_marked(&mut self, bad: bool, fields: &[&str]) -> Result<()> {
        if bad {
            self.bad_row(fields)
        } else {
            self.row(fields)
        }
    }

    fn write(&mut self, fields: &[&str]) -> Result<()> {
        self.line.clear();
        for (at, field) in fields.iter().enumerate() {
            if at > 0 {
                self.line.push(',');
            }
            push_field(&mut self.line, field);
        }
        self.line.push('\n');

        let written = match self.encoding {
            FileEncoding::Utf8 => self.out.write_all(self.line.as_bytes()),
            FileEncoding::Gbk => {
                let (bytes, _, unmappable) = encoding_rs::GBK.encode(&self.line);
                if unmappable {
                    bail!(
                        "{}: row {} has a character GBK cannot hold: {}",
                        self.path.display(),
                        self.rows + 1,
                        self.line.trim_end()
                    );
                }
                self.out.write_all(&bytes)
            }
        };
        written.with_context(|| format!("cannot write to {}", self.path.display()))
    }

    fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .with_context(|| format!("cannot finish writing {}", self.path.display()))
    }

    pub fn finish(mut self) -> Result<Written> {
        self.flush()?;
        Ok(Written {
            source: self.source.name().to_string(),
            files: self.files,
            encoding: self.encoding.name(),
            rows: self.rows,
            bad_rows: self.bad_rows,
        })
    }
}

/// Appends one CSV field, quoted when it holds a delimiter, a quote or a
/// line break.
fn push_field(line: &mut String, field: &str) {
    if !field.contains([',', '"', '\n', '\r']) {
        line.push_str(field);
        return;
    }
    line.push('"');
    line.push_str(&field.replace('"', "\"\""));
    line.push('"');
}

fn open(out_dir: &Path, file: &str) -> Result<(PathBuf, BufWriter<File>)> {
    let path = out_dir.join(file);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create folder {}", folder.display()))?;
    }
    let handle =
        File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok((path, BufWriter::with_capacity(1 << 20, handle)))
}
