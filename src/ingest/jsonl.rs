//! JSON lines files: one object per line, its keys the columns.
//!
//! Values keep the text they were written with: a number such as
//! `12345.678901234567890` reaches the contract checks digit for digit (a
//! JSON library would round it to f64 first), strings are unescaped, and
//! nested arrays or objects are kept as their JSON text. `null` is a null
//! cell. Blank lines are not rows. The columns of a file are the keys of
//! all its objects in first-seen order; a key an object lacks is null.
//!
//! A last line that is not valid JSON and has no line end is a file cut
//! short in transfer: the file is refused as a broken export.

use std::collections::BTreeMap;

use super::reader::{FileTable, Located, Problem, Record};

/// One parsed object: its keys in order with their text (None for null).
type Object = Vec<(String, Option<String>)>;

pub fn read(bytes: &[u8]) -> Result<FileTable, String> {
    let mut headers: Vec<String> = Vec::new();
    let mut columns: BTreeMap<String, usize> = BTreeMap::new();
    let mut parsed: Vec<Result<(u64, Object), Located>> = Vec::new();

    let line_count = bytes.split(|b| *b == b'\n').count();
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let number = index as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }

        let outcome = std::str::from_utf8(line)
            .map_err(|_| "line is not valid UTF-8".to_string())
            .and_then(object);
        match outcome {
            Ok(fields) => {
                for (key, _) in &fields {
                    if !columns.contains_key(key) {
                        columns.insert(key.clone(), headers.len());
                        headers.push(key.clone());
                    }
                }
                parsed.push(Ok((number, fields)));
            }
            Err(reason) if index + 1 == line_count => {
                return Err(format!(
                    "line {number} is cut short ({reason}) and the file has no \
                     final line end (a truncated export)"
                ));
            }
            Err(reason) => {
                let value = String::from_utf8_lossy(line).into_owned();
                let problem = Problem::new("", &value, reason);
                parsed.push(Err(Located {
                    line: number,
                    problem,
                }));
            }
        }
    }

    let records = parsed
        .into_iter()
        .map(|outcome| outcome.map(|(line, fields)| record(line, fields, &columns)))
        .collect();
    Ok(FileTable { headers, records })
}

fn record(line: u64, fields: Object, columns: &BTreeMap<String, usize>) -> Record {
    let mut texts = vec![String::new(); columns.len()];
    let mut nulls = vec![true; columns.len()];
    for (key, value) in fields {
        let index = columns[&key];
        if let Some(value) = value {
            texts[index] = value;
            nulls[index] = false;
        }
    }
    let mut record = Record::text(line, csv::StringRecord::from(texts));
    record.nulls = nulls;
    record
}

/// Parses one line as a flat JSON object.
fn object(line: &str) -> Result<Object, String> {
    let mut scan = Scanner { text: line, at: 0 };
    scan.expect('{')?;
    let mut fields: Object = Vec::new();
    if scan.peek() == Some('}') {
        scan.at += 1;
        return scan.end(fields);
    }

    loop {
        let key = scan.string()?;
        if fields.iter().any(|(k, _)| *k == key) {
            return Err(format!("key `{key}` appears twice in one object"));
        }
        scan.expect(':')?;
        let value = scan.value()?;
        fields.push((key, value));
        match scan.next_char() {
            Some(',') => continue,
            Some('}') => return scan.end(fields),
            _ => return Err("not a JSON object: expected `,` or `}`".into()),
        }
    }
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl Scanner<'_> {
    fn skip_space(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.text[self.at..].chars().next()
    }

    fn next_char(&mut self) -> Option<char> {
        let next = self.peek()?;
        self.at += next.len_utf8();
        Some(next)
    }

    fn expect(&mut self, wanted: char) -> Result<(), String> {
        match self.next_char() {
            Some(c) if c == wanted => Ok(()),
            _ => Err(format!("not a JSON object: expected `{wanted}`")),
        }
    }

    fn end(&mut self, fields: Object) -> Result<Object, String> {
        match self.peek() {
            None => Ok(fields),
            Some(_) => Err("not a JSON object: text after the closing `}`".into()),
        }
    }

    /// The span of one JSON value starting here, checked by serde_json.
    fn span(&mut self) -> Result<&str, String> {
        self.skip_space();
        let start = self.at;
        let bytes = self.text.as_bytes();
        let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
        while self.at < bytes.len() {
            let byte = bytes[self.at];
            if in_string {
                match byte {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' => in_string = false,
                    _ => {}
                }
            } else {
                match byte {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth == 0 => break,
                    b'}' | b']' => depth -= 1,
                    b',' if depth == 0 => break,
                    _ => {}
                }
            }
            self.at += 1;
            if depth == 0 && !in_string && bytes[start] == b'"' && self.at > start + 1 {
                break;
            }
        }

        let span = self.text[start..self.at].trim_end();
        serde_json::from_str::<serde_json::Value>(span)
            .map_err(|e| format!("not valid JSON: {e}"))?;
        Ok(span)
    }

    fn string(&mut self) -> Result<String, String> {
        let span = self.span()?;
        serde_json::from_str::<String>(span)
            .map_err(|_| "not a JSON object: a key must be a string".into())
    }

    /// A value as text: strings unescaped, numbers as written, nested
    /// values as JSON text, null as None.
    fn value(&mut self) -> Result<Option<String>, String> {
        let span = self.span()?;
        Ok(match span.as_bytes().first() {
            Some(b'"') => Some(serde_json::from_str::<String>(span).map_err(|e| e.to_string())?),
            _ if span == "null" => None,
            _ => Some(span.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_digits_and_strings_unescape() {
        let fields = object(r#"{"id": "007", "amount": 12345.678901234567890, "n": null}"#);
        let fields = fields.unwrap();
        assert_eq!(fields[0], ("id".into(), Some("007".into())));
        assert_eq!(
            fields[1],
            ("amount".into(), Some("12345.678901234567890".into()))
        );
        assert_eq!(fields[2], ("n".into(), None));
        let nested = object(r#"{"tags": ["a", "b,c"], "q": "say \"hi\""}"#).unwrap();
        assert_eq!(nested[0].1.as_deref(), Some(r#"["a", "b,c"]"#));
        assert_eq!(nested[1].1.as_deref(), Some("say \"hi\""));
    }

    #[test]
    fn broken_objects_are_refused() {
        assert!(object(r#"{"a": 1,}"#).is_err());
        assert!(object(r#"{"a": 1} x"#).is_err());
        assert!(object(r#"{"a": 1, "a": 2}"#).unwrap_err().contains("twice"));
        assert!(object("[1, 2]").is_err());
        assert!(object(r#"{"a": 01}"#).is_err());
    }
}
