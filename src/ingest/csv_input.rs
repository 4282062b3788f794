//! CSV files as records: split on bytes, each cell decoded on its own, and
//! every record numbered with the file line it starts on (counted from the
//! bytes themselves, so CRLF files, old Mac files that end lines with a
//! lone CR, and quoted line breaks number right).
//!
//! An unterminated quote is a broken export, not a bad row: from the quote
//! on, every later row would be swallowed into one cell, so the reader
//! cannot say how many rows the file holds. The file is refused with an
//! error naming the line the quote opened on. The same holds for a quote
//! left open on one line that pairs with a quote many lines later: a
//! record that spans several lines and does not fit the header has
//! swallowed the rows between, so the file is refused too. A quoted line
//! break inside a record that fits the header is a legitimate cell.

use super::encoding::TextEncoding;
use super::reader::{Located, Problem, Record};

/// The records of one CSV file, in file order.
pub struct CsvRecords<'a> {
    reader: csv::Reader<&'a [u8]>,
    bytes: &'a [u8],
    lines: LineIndex,
    encoding: TextEncoding,
    delimiter: char,
    headers: Vec<String>,
    raw: csv::ByteRecord,
}

impl<'a> CsvRecords<'a> {
    /// Checks the file's quoting and reads its header line.
    pub fn open(
        bytes: &'a [u8],
        delimiter: char,
        encoding: TextEncoding,
    ) -> Result<CsvRecords<'a>, String> {
        let lines = LineIndex::new(bytes);
        if let Some(opened) = unterminated_quote(bytes, delimiter as u8) {
            return Err(format!(
                "unterminated quote: the quoted field opened on line {} never \
                 closes, so the rest of the file would read as one cell \
                 (a broken or truncated export)",
                lines.line_of(opened)
            ));
        }

        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter as u8)
            .flexible(true)
            .has_headers(true)
            .from_reader(bytes);
        let headers = decode_headers(&mut reader, encoding)?;

        Ok(CsvRecords {
            reader,
            bytes,
            lines,
            encoding,
            delimiter,
            headers,
            raw: csv::ByteRecord::new(),
        })
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The next record, a located problem for a row that cannot be split
    /// or decoded, or None at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<Result<Record, Located>>, String> {
        let more = self
            .reader
            .read_byte_record(&mut self.raw)
            .map_err(|e| e.to_string())?;
        if !more {
            return Ok(None);
        }

        let start = self.raw.position().map_or(0, |p| p.byte() as usize);
        let start = first_content_byte(self.bytes, start);
        let line = self.lines.line_of(start);
        self.refuse_runaway_quote(start)?;
        Ok(Some(
            self.record(line)
                .map_err(|problem| Located { line, problem }),
        ))
    }

    /// A record over several lines that does not fit the header, or whose
    /// quoted text holds a line as wide as a whole row, is a quote opened
    /// on one line and closed by another row's quote later on.
    fn refuse_runaway_quote(&self, start: usize) -> Result<(), String> {
        let end = (self.reader.position().byte() as usize).min(self.bytes.len());
        let last = last_content_byte(self.bytes, start, end);
        let (first_line, last_line) = (self.lines.line_of(start), self.lines.line_of(last));
        if last_line == first_line {
            return Ok(());
        }

        let delimiter = self.delimiter as u8;
        let record = &self.bytes[start..end];
        let opened = quote_over_line_end(record, delimiter)
            .map_or(first_line, |at| self.lines.line_of(start + at));
        if self.raw.len() == self.headers.len() {
            return match row_inside_quotes(record, delimiter, self.headers.len()) {
                Some(at) => Err(format!(
                    "quoted field opened on line {opened} runs to line {last_line} and \
                     line {} inside it is a whole row ({} fields): the rows between \
                     cannot be told apart (a quote left open in the export)",
                    self.lines.line_of(start + at),
                    self.headers.len()
                )),
                None => Ok(()),
            };
        }
        Err(format!(
            "quoted field opened on line {opened} runs to line {last_line} and the \
             record does not fit the header ({} fields, the header has {}): the \
             rows between cannot be told apart (a quote left open in the export)",
            self.raw.len(),
            self.headers.len()
        ))
    }

    fn record(&self, line: u64) -> Result<Record, Problem> {
        if self.raw.len() != self.headers.len() {
            let text: Vec<String> = self
                .raw
                .iter()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let reason = format!(
                "row has {} fields, the header has {}",
                self.raw.len(),
                self.headers.len()
            );
            return Err(Problem::new(
                "",
                &text.join(&self.delimiter.to_string()),
                reason,
            ));
        }

        let cells = match self.encoding {
            TextEncoding::Utf8 => csv::StringRecord::from_byte_record(self.raw.clone())
                .map_err(|e| self.undecodable(e.utf8_error().field()))?,
            TextEncoding::Gb18030 => self.decoded()?,
        };
        Ok(Record::text(line, cells))
    }
}

impl CsvRecords<'_> {
    /// Each cell decoded on its own (the UTF-8 path checks the whole record
    /// at once and only names the failing cell).
    fn decoded(&self) -> Result<csv::StringRecord, Problem> {
        let mut cells = csv::StringRecord::with_capacity(self.raw.as_slice().len(), self.raw.len());
        for (index, bytes) in self.raw.iter().enumerate() {
            let text = self
                .encoding
                .decode(bytes)
                .ok_or_else(|| self.undecodable(index))?;
            cells.push_field(&text);
        }
        Ok(cells)
    }

    fn undecodable(&self, index: usize) -> Problem {
        let bytes = &self.raw[index];
        let reason = format!("not valid {}", self.encoding.name());
        Problem::new(
            &self.headers[index],
            &String::from_utf8_lossy(bytes),
            reason,
        )
    }
}

fn decode_headers(
    reader: &mut csv::Reader<&[u8]>,
    encoding: TextEncoding,
) -> Result<Vec<String>, String> {
    let raw = reader.byte_headers().map_err(|e| e.to_string())?.clone();
    raw.iter()
        .enumerate()
        .map(|(index, bytes)| {
            encoding
                .decode(bytes)
                .map(|h| h.trim().to_string())
                .ok_or_else(|| {
                    format!(
                        "header column {} is not valid {}: `{}`",
                        index + 1,
                        encoding.name(),
                        String::from_utf8_lossy(bytes)
                    )
                })
        })
        .collect()
}

/// The csv reader may report a record as starting on the line end of the
/// record before it (the `\n` of a CRLF pair); its content starts after.
fn first_content_byte(bytes: &[u8], start: usize) -> usize {
    let skipped = bytes[start.min(bytes.len())..]
        .iter()
        .take_while(|b| **b == b'\r' || **b == b'\n')
        .count();
    start + skipped
}

/// The last byte of a record that is not its line end (the record runs
/// from `start` up to `end`, its terminator included).
fn last_content_byte(bytes: &[u8], start: usize, end: usize) -> usize {
    let trailing = bytes[start..end]
        .iter()
        .rev()
        .take_while(|b| **b == b'\r' || **b == b'\n')
        .count();
    (end - trailing).saturating_sub(1).max(start)
}

/// Where, in one record's bytes, the first quoted field that holds a line
/// break opens.
fn quote_over_line_end(record: &[u8], delimiter: u8) -> Option<usize> {
    let mut at_field_start = true;
    let mut opened = None;
    let mut index = 0;
    while index < record.len() {
        let byte = record[index];
        match opened {
            None if at_field_start && byte == b'"' => opened = Some(index),
            None => at_field_start = byte == delimiter,
            Some(_) if byte == b'"' && record.get(index + 1) == Some(&b'"') => index += 1,
            Some(_) if byte == b'"' => {
                opened = None;
                at_field_start = false;
            }
            Some(quote) if byte == b'\n' || byte == b'\r' => return Some(quote),
            Some(_) => {}
        }
        index += 1;
    }
    None
}

/// Where, inside a quoted field of one record, a whole line holds as many
/// fields as a row (`width - 1` delimiters): text that spans lines rarely
/// does, rows swallowed by a quote left open always do. Files of fewer
/// than three columns are not judged this way.
fn row_inside_quotes(record: &[u8], delimiter: u8, width: usize) -> Option<usize> {
    if width < 3 {
        return None;
    }
    let mut quoted = false;
    let mut line_start: Option<usize> = None;
    let mut delimiters = 0;
    let mut index = 0;
    while index < record.len() {
        let byte = record[index];
        if quoted && byte == b'"' && record.get(index + 1) == Some(&b'"') {
            index += 2;
            continue;
        }
        if byte == b'"' {
            quoted = !quoted;
            line_start = None;
        } else if quoted && (byte == b'\n' || byte == b'\r') {
            if line_start.is_some() && delimiters + 1 >= width {
                return line_start;
            }
            line_start = Some(index + 1);
            delimiters = 0;
        } else if quoted && byte == delimiter {
            delimiters += 1;
        }
        index += 1;
    }
    None
}

/// Byte offsets of line ends, for numbering records by line: a `\n`, or
/// a `\r` not followed by `\n` (old Mac files).
struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(bytes: &[u8]) -> LineIndex {
        let ends_line = |i: usize| match bytes[i] {
            b'\n' => true,
            b'\r' => bytes.get(i + 1) != Some(&b'\n'),
            _ => false,
        };
        let newlines = (0..bytes.len()).filter(|i| ends_line(*i)).collect();
        LineIndex { newlines }
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> u64 {
        self.newlines.partition_point(|n| *n < offset) as u64 + 1
    }
}

/// Where a quoted field opens that never closes, following the quoting
/// rules of the csv reader: a quote opens a field only at its start, and a
/// doubled quote inside a quoted field is a literal quote.
fn unterminated_quote(bytes: &[u8], delimiter: u8) -> Option<usize> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }

    let ends_field = |b: u8| b == delimiter || b == b'\n' || b == b'\r';
    let mut state = State::FieldStart;
    let mut opened = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        state = match state {
            State::FieldStart if byte == b'"' => {
                opened = index;
                State::Quoted
            }
            State::FieldStart | State::Unquoted if ends_field(byte) => State::FieldStart,
            State::FieldStart | State::Unquoted => State::Unquoted,
            State::Quoted if byte == b'"' => State::QuoteInQuoted,
            State::Quoted => State::Quoted,
            State::QuoteInQuoted if byte == b'"' => State::Quoted,
            State::QuoteInQuoted if ends_field(byte) => State::FieldStart,
            State::QuoteInQuoted => State::Unquoted,
        };
    }
    (state == State::Quoted).then_some(opened)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut records = CsvRecords::open(text.as_bytes(), ',', TextEncoding::Utf8).unwrap();
        let mut out = Vec::new();
        while let Some(record) = records.next_record().unwrap() {
            let record = record.unwrap();
            out.push((record.line, record.cells.iter().map(String::from).collect()));
        }
        out
    }

    #[test]
    fn crlf_and_quoted_line_breaks_keep_file_lines() {
        let text = "id,note\r\nA,\"two\r\nlines\"\r\nB,x\r\n\r\nC,y\r\n";
        let lines: Vec<u64> = lines_of(text).iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2, 4, 6]);
        assert_eq!(lines_of(text)[0].1, vec!["A", "two\r\nlines"]);
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        let text = "id,note\rA,x\rB,\"two\rlines\"\rC,y\r";
        let lines: Vec<u64> = lines_of(text).iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn runaway_quote_names_where_it_opened_and_ended() {
        let text = "id,note,n\nA,x,1\nB,\"open\nC,y,3\nD,z,\"q\"\nE,w,5\n";
        let mut records = CsvRecords::open(text.as_bytes(), ',', TextEncoding::Utf8).unwrap();
        assert_eq!(records.next_record().unwrap().unwrap().unwrap().line, 2);
        let err = records.next_record().err().unwrap();
        assert!(
            err.starts_with("quoted field opened on line 3 runs to line 5 and the record"),
            "{err}"
        );
        assert_eq!(quote_over_line_end(b"a,\"b\"\"\nc\"", b','), Some(2));
        assert_eq!(quote_over_line_end(b"a,b\"\nc", b','), None);
    }

    #[test]
    fn a_runaway_quote_that_fits_the_header_is_still_refused() {
        let text = "id,note,n\nA,x,1\nB,\"open,2\nC,y,3\nD,z\",4\nE,w,5\n";
        let mut records = CsvRecords::open(text.as_bytes(), ',', TextEncoding::Utf8).unwrap();
        assert_eq!(records.next_record().unwrap().unwrap().unwrap().line, 2);
        let err = records.next_record().err().unwrap();
        assert!(
            err.starts_with("quoted field opened on line 3 runs to line 5 and line 4"),
            "{err}"
        );

        let prose = "id,note,n\nA,\"two lines, one comma\nand the end\",1\n";
        let mut records = CsvRecords::open(prose.as_bytes(), ',', TextEncoding::Utf8).unwrap();
        let record = records.next_record().unwrap().unwrap().unwrap();
        assert_eq!(
            record.line, 2,
            "text over lines that is no row stays a cell"
        );
    }

    #[test]
    fn unterminated_quote_names_the_line_it_opened_on() {
        let text = "id,note\nA,x\nB,\"never closed\nC,y\n";
        let err = CsvRecords::open(text.as_bytes(), ',', TextEncoding::Utf8)
            .err()
            .unwrap();
        assert!(err.contains("opened on line 3"), "{err}");
        assert_eq!(unterminated_quote(b"a,\"b\"\"c\"\n", b','), None);
        assert_eq!(unterminated_quote(b"a,b\"c\n", b','), None);
    }
}
