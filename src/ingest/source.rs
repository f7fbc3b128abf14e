//! One input file in memory: read, checked (UTF-8, header), and split into
//! pieces on record boundaries so that pieces parse in parallel.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::IngestError;
use super::row::{COLUMNS, Chunk, Col, REQUIRED};
use crate::csvlines::{LineCounter, QuoteWalk};
use crate::ingest::FxRates;
use crate::roles::Catalog;

/// Bytes per parallel piece; small files are one piece.
const PIECE_BYTES: usize = 2 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Csv,
    Jsonl,
}

/// A file's bytes (BOM removed) and what was learnt from its header.
pub(super) struct Source {
    pub(super) name: String,
    raw: Vec<u8>,
    bom: usize,
    format: Format,
    /// CSV: index of each known column in the header.
    columns: [Option<usize>; COLUMNS.len()],
    header_fields: usize,
    /// Offset of the first data byte (after the header for CSV).
    data_start: usize,
}

/// A byte range of a source with the number of lines before it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Piece {
    start: usize,
    end: usize,
    lines_before: u64,
}

impl Source {
    pub(super) fn read(path: &Path, name: String) -> Result<Source, IngestError> {
        let fail = |reason: String| IngestError { path: name.clone(), reason };
        let shown = name.clone();
        let format = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase) {
            Some(e) if e == "csv" => Format::Csv,
            Some(e) if e == "jsonl" || e == "ndjson" => Format::Jsonl,
            _ => return Err(fail("unknown file type (expected .csv or .jsonl)".into())),
        };
        let raw = std::fs::read(path).map_err(|e| fail(format!("cannot read file: {e}")))?;
        Source::from_bytes(shown, raw, format).map_err(fail)
    }

    /// A source from bytes already read.
    fn from_bytes(name: String, raw: Vec<u8>, format: Format) -> Result<Source, String> {
        let bom = if raw.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        if let Err(e) = std::str::from_utf8(&raw[bom..]) {
            let at = bom + e.valid_up_to();
            let line = 1 + memchr::memchr_iter(b'\n', &raw[..at]).count();
            return Err(format!("not UTF-8 (line {line}, byte {})", at + 1));
        }
        let mut src = Source {
            name,
            raw,
            bom,
            format,
            columns: [None; COLUMNS.len()],
            header_fields: 0,
            data_start: bom,
        };
        if format == Format::Csv {
            src.read_header()?;
        }
        Ok(src)
    }

    fn read_header(&mut self) -> Result<(), String> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(&self.raw[self.bom..]);
        let header = rdr.headers().map_err(|e| format!("cannot read the header: {e}"))?.clone();
        let header_end = rdr.position().byte() as usize;
        drop(rdr);
        for (i, h) in header.iter().enumerate() {
            let h = h.trim().to_ascii_lowercase();
            if let Some(c) = COLUMNS.iter().position(|c| *c == h) {
                self.columns[c].get_or_insert(i);
            }
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .filter(|c| self.columns[**c as usize].is_none())
            .map(|c| c.name())
            .collect();
        if !missing.is_empty() {
            let s = if missing.len() > 1 { "s" } else { "" };
            return Err(format!("missing required column{s} {}", missing.join(", ")));
        }
        self.header_fields = header.len();
        self.data_start = self.bom + header_end;
        Ok(())
    }

    /// Splits the data into pieces that end on record boundaries (never
    /// inside a quoted CSV field).
    pub(super) fn split(&self) -> Vec<Piece> {
        self.split_every(PIECE_BYTES)
    }

    /// [`Source::split`] with pieces of about `piece_bytes` bytes.
    fn split_every(&self, piece_bytes: usize) -> Vec<Piece> {
        let raw = &self.raw;
        let end = raw.len();
        let mut quotes = QuoteWalk::new(raw, self.data_start);
        let mut pieces = Vec::new();
        let mut start = self.data_start;
        let mut lines_before = memchr::memchr_iter(b'\n', &raw[..start]).count() as u64;
        while start < end {
            let target = start.saturating_add(piece_bytes.max(1)).min(end);
            let cut = if target == end {
                end
            } else {
                match self.format {
                    Format::Csv => quotes.boundary_after(target),
                    Format::Jsonl => {
                        memchr::memchr(b'\n', &raw[target..]).map_or(end, |i| target + i + 1)
                    }
                }
            };
            pieces.push(Piece { start, end: cut, lines_before });
            lines_before += memchr::memchr_iter(b'\n', &raw[start..cut]).count() as u64;
            start = cut;
        }
        pieces
    }

    pub(super) fn parse_piece<'a>(
        &self,
        file: usize,
        piece: Piece,
        catalog: &'a Catalog,
        fx: &'a FxRates,
    ) -> Result<Chunk<'a>, IngestError> {
        let mut chunk = Chunk::new(file, self.name.clone(), catalog, fx);
        let bytes = &self.raw[piece.start..piece.end];
        match self.format {
            Format::Csv => self.parse_csv(bytes, piece.lines_before, &mut chunk)?,
            Format::Jsonl => parse_jsonl(bytes, piece.lines_before, &mut chunk),
        }
        Ok(chunk)
    }

    fn parse_csv(
        &self,
        bytes: &[u8],
        lines_before: u64,
        chunk: &mut Chunk,
    ) -> Result<(), IngestError> {
        self.csv_records(bytes, lines_before, |line, rec| {
            if rec.len() == 1 && rec[0].trim().is_empty() {
                return;
            }
            if rec.len() != self.header_fields {
                chunk.reject_shape(
                    line,
                    self.columns[Col::Id as usize].and_then(|i| rec.get(i)).unwrap_or(""),
                    format!("row has {} fields, the header has {}", rec.len(), self.header_fields),
                );
                return;
            }
            let mut fields = [""; COLUMNS.len()];
            for (f, c) in fields.iter_mut().zip(self.columns) {
                *f = c.and_then(|i| rec.get(i)).unwrap_or("");
            }
            chunk.process(line, &fields);
        })
    }

    /// Every CSV record of a piece with the physical line it starts on.
    fn csv_records(
        &self,
        bytes: &[u8],
        lines_before: u64,
        mut each: impl FnMut(u64, &csv::StringRecord),
    ) -> Result<(), IngestError> {
        let mut rdr =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let lines = LineCounter::new(bytes, lines_before + 1);
        let mut rec = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => {
                    return Err(IngestError { path: self.name.clone(), reason: e.to_string() });
                }
            }
            let line = rec.position().map_or(lines_before + 1, |p| lines.record_line(p));
            each(line, &rec);
        }
    }

    pub(super) fn sha256(&self) -> String {
        crate::model::hex(&Sha256::digest(&self.raw))
    }
}

fn parse_jsonl(bytes: &[u8], lines_before: u64, chunk: &mut Chunk) {
    let text = std::str::from_utf8(bytes).expect("the whole file was checked as UTF-8");
    for (i, l) in text.split('\n').enumerate() {
        let line = lines_before + i as u64 + 1;
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        let obj: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(l) {
            Ok(o) => o,
            Err(e) => {
                chunk.reject_shape(line, "", format!("not a JSON object: {e}"));
                continue;
            }
        };
        let id = obj.get("id").and_then(|v| json_text(v).ok()).unwrap_or_default();
        let mut owned: [String; COLUMNS.len()] = Default::default();
        let mut bad = None;
        for (slot, name) in owned.iter_mut().zip(COLUMNS) {
            if let Some(v) = obj.get(*name) {
                match json_text(v) {
                    Ok(s) => *slot = s,
                    Err(()) => bad = Some(*name),
                }
            }
        }
        if let Some(name) = bad {
            chunk.reject_field(line, &id, name, "must be a string, number or boolean".into());
            continue;
        }
        let fields: [&str; COLUMNS.len()] = std::array::from_fn(|i| owned[i].as_str());
        chunk.process(line, &fields);
    }
}

/// A JSON value as the text a CSV cell would hold.
fn json_text(v: &serde_json::Value) -> Result<String, ()> {
    use serde_json::Value;
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        // A list of skills is accepted as the `;`-separated form.
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or(()))
            .collect::<Result<Vec<_>, ()>>()
            .map(|v| v.join(";")),
        Value::Object(_) => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One field as written, and the value a CSV reader must give for it.
    fn field() -> impl Strategy<Value = (String, String)> {
        let plain = ("[a-z0-9]{1,4}", "[a-z \"]{0,4}").prop_map(|(head, tail)| {
            // Quotes after the first character are literal characters (`27in"`).
            let text = format!("{head}{tail}");
            (text.clone(), text)
        });
        let quoted = prop::collection::vec(
            prop::sample::select(vec!["a", ",", "\n", "\r\n", "\"", "b "]),
            0..6,
        )
        .prop_map(|parts| {
            let value: String = parts.concat();
            (format!("\"{}\"", value.replace('"', "\"\"")), value)
        });
        // Text after a closing quote belongs to the field, quotes in it are literal.
        let quoted_then_text = ("[a-z\n]{0,3}", "[a-z][a-z\"]{0,2}")
            .prop_map(|(inner, tail)| (format!("\"{inner}\"{tail}"), format!("{inner}{tail}")));
        prop_oneof![4 => plain, 3 => quoted, 1 => quoted_then_text, 1 => Just((String::new(), String::new()))]
    }

    /// A whole file: its bytes and, for every data record, its physical line and values.
    fn csv_file() -> impl Strategy<Value = (Vec<u8>, Vec<(u64, Vec<String>)>)> {
        let record = (prop::collection::vec(field(), 1..5), any::<bool>(), 0..8u8);
        (prop::collection::vec(record, 1..40), any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(records, bom, header_crlf, final_newline)| {
                let mut text = String::new();
                if bom {
                    text.push('\u{feff}');
                }
                text.push_str("id,title,company,posted_at");
                text.push_str(if header_crlf { "\r\n" } else { "\n" });
                let mut line = 2;
                let mut want = Vec::new();
                let n = records.len();
                for (i, (fields, crlf, blank)) in records.into_iter().enumerate() {
                    let end = if crlf { "\r\n" } else { "\n" };
                    if blank == 0 {
                        // An empty line between records: read as nothing.
                        text.push_str(end);
                        line += 1;
                    }
                    let written: Vec<&str> = fields.iter().map(|f| f.0.as_str()).collect();
                    let row = written.join(",");
                    if row.is_empty() {
                        // A lone empty field is an empty line; keep the record by quoting it.
                        text.push_str("\"\"");
                    } else {
                        text.push_str(&row);
                    }
                    want.push((line, fields.into_iter().map(|f| f.1).collect()));
                    line += 1 + memchr::memchr_iter(b'\n', row.as_bytes()).count() as u64;
                    if i + 1 < n || final_newline {
                        text.push_str(end);
                    }
                }
                (text.into_bytes(), want)
            })
    }

    fn records_of(src: &Source, pieces: &[Piece]) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        for p in pieces {
            src.csv_records(&src.raw[p.start..p.end], p.lines_before, |line, rec| {
                out.push((line, rec.iter().map(str::to_string).collect()));
            })
            .unwrap();
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// However the file is cut, the pieces give the records and lines
        /// that one serial csv reader gives, and those are the ones written.
        #[test]
        fn pieces_read_as_one_serial_reader((bytes, want) in csv_file(), piece in 1usize..48) {
            // The serial reader agrees with what was written (values; lines come from the file).
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(body);
            let serial: Vec<Vec<String>> = rdr
                .records()
                .map(|r| r.unwrap().iter().map(str::to_string).collect())
                .collect();
            let values: Vec<Vec<String>> = want.iter().map(|w| w.1.clone()).collect();
            prop_assert_eq!(&serial, &values);

            let src = Source::from_bytes("t.csv".into(), bytes.clone(), Format::Csv).unwrap();
            let whole = records_of(&src, &src.split_every(usize::MAX));
            prop_assert_eq!(&whole, &want);
            let pieces = src.split_every(piece);
            // The pieces cover the data, in order, without gaps.
            prop_assert_eq!(pieces.first().map(|p| p.start), Some(src.data_start));
            prop_assert!(pieces.windows(2).all(|w| w[0].end == w[1].start));
            prop_assert_eq!(pieces.last().map(|p| p.end), Some(bytes.len()));
            prop_assert_eq!(&records_of(&src, &pieces), &want);
        }
    }

    #[test]
    fn a_stray_quote_does_not_cut_a_later_multi_line_field() {
        let mut text = String::from("id,title,company,posted_at\n");
        text.push_str("1,Machine Learning Engineer 27in\",Acme,2026-11-02\n");
        for i in 2..40 {
            text.push_str(&format!("{i},MLOps Engineer,\"New York,\nNY\",2026-11-02\n"));
        }
        let src = Source::from_bytes("t.csv".into(), text.into_bytes(), Format::Csv).unwrap();
        for piece in [1, 5, 16, 100] {
            let got = records_of(&src, &src.split_every(piece));
            assert_eq!(got.len(), 39, "pieces of {piece} bytes");
            assert!(got.iter().all(|r| r.1.len() == 4), "pieces of {piece} bytes");
            assert_eq!(got[38].0, 2 + 2 * 38 - 1);
        }
    }
}
