//! Text encodings of exports: UTF-8 (with or without a byte order mark),
//! GBK and GB18030, declared per source or detected.
//!
//! Files are split into records on their bytes (the delimiters, quotes and
//! line ends of all three encodings are plain ASCII bytes that never occur
//! inside a multi-byte character), and each cell is decoded on its own, so
//! one badly encoded cell quarantines its row instead of the whole file.

use crate::config::Encoding;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const GB18030_BOM: &[u8] = b"\x84\x31\x95\x33";

/// The encoding one file is decoded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    /// GBK is a subset of GB18030; one decoder reads both, including the
    /// four-byte sequences GB18030 adds.
    Gb18030,
}

impl TextEncoding {
    /// Resolves the declared setting for one file's bytes. `auto` picks
    /// UTF-8 when most lines with non-ASCII bytes are valid UTF-8 (so one
    /// corrupt cell in a UTF-8 file is quarantined, not the file misread),
    /// and GB18030 otherwise.
    pub fn for_file(declared: Encoding, bytes: &[u8]) -> TextEncoding {
        match declared {
            Encoding::Utf8 => TextEncoding::Utf8,
            Encoding::Gbk | Encoding::Gb18030 => TextEncoding::Gb18030,
            Encoding::Auto => detect(bytes),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Gb18030 => "GBK/GB18030",
        }
    }

    /// The decoded text of one cell, or None when its bytes are not valid
    /// in this encoding.
    pub fn decode(self, bytes: &[u8]) -> Option<String> {
        match self {
            TextEncoding::Utf8 => std::str::from_utf8(bytes).ok().map(str::to_string),
            TextEncoding::Gb18030 => encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|text| text.into_owned()),
        }
    }
}

/// Removes a byte order mark of either encoding from the start.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes
        .strip_prefix(UTF8_BOM)
        .or_else(|| bytes.strip_prefix(GB18030_BOM))
        .unwrap_or(bytes)
}

fn detect(bytes: &[u8]) -> TextEncoding {
    if bytes.starts_with(UTF8_BOM) || std::str::from_utf8(bytes).is_ok() {
        return TextEncoding::Utf8;
    }

    let (mut valid, mut invalid) = (0usize, 0usize);
    for line in bytes.split(|b| *b == b'\n').filter(|l| !l.is_ascii()) {
        if std::str::from_utf8(line).is_ok() {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    if valid > invalid {
        TextEncoding::Utf8
    } else {
        TextEncoding::Gb18030
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb18030(text: &str) -> Vec<u8> {
        encoding_rs::GB18030.encode(text).0.into_owned()
    }

    #[test]
    fn gbk_and_four_byte_gb18030_characters_decode() {
        let bytes = gb18030("客户𠀀");
        assert_eq!(bytes.len(), 8, "two 2-byte and one 4-byte character");
        let text = TextEncoding::Gb18030.decode(&bytes).unwrap();
        assert_eq!(text, "客户𠀀");
    }

    #[test]
    fn auto_detects_by_content() {
        assert_eq!(detect("客户,1\n".as_bytes()), TextEncoding::Utf8);
        assert_eq!(detect(&gb18030("客户,1\n")), TextEncoding::Gb18030);
        let mut mostly_utf8 = "客户,1\n客户,2\n".as_bytes().to_vec();
        mostly_utf8.extend_from_slice(b"bad \xff,3\n");
        assert_eq!(detect(&mostly_utf8), TextEncoding::Utf8);
    }

    #[test]
    fn invalid_bytes_are_not_replaced() {
        assert_eq!(TextEncoding::Utf8.decode(b"ab\xff"), None);
        assert_eq!(TextEncoding::Gb18030.decode(b"\x81"), None);
        assert_eq!(strip_bom(b"\xEF\xBB\xBFid"), b"id");
    }
}
