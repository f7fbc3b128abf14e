//! One input file in memory: read, checked (UTF-8, header), and split into
//! pieces on record boundaries so that pieces parse in parallel.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::IngestError;
use super::row::{COLUMNS, Chunk, Col, REQUIRED};
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
        let bom = if raw.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        if let Err(e) = std::str::from_utf8(&raw[bom..]) {
            let at = bom + e.valid_up_to();
            let line = 1 + memchr::memchr_iter(b'\n', &raw[..at]).count();
            return Err(fail(format!("not UTF-8 (line {line}, byte {})", at + 1)));
        }
        let mut src = Source {
            name: shown,
            raw,
            bom,
            format,
            columns: [None; COLUMNS.len()],
            header_fields: 0,
            data_start: bom,
        };
        if format == Format::Csv {
            src.read_header().map_err(fail)?;
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
        let raw = &self.raw;
        let end = raw.len();
        let mut pieces = Vec::new();
        let mut start = self.data_start;
        let mut lines_before = memchr::memchr_iter(b'\n', &raw[..start]).count() as u64;
        while start < end {
            let mut cut = (start + PIECE_BYTES).min(end);
            if cut < end {
                // Quote parity of [start, cut); then move to a newline outside quotes.
                let mut pos = start;
                let mut odd = false;
                let mut found = end;
                let mut target = cut;
                while let Some(nl) = memchr::memchr(b'\n', &raw[target..]).map(|i| target + i) {
                    if self.format == Format::Csv {
                        odd ^= memchr::memchr_iter(b'"', &raw[pos..nl]).count() % 2 == 1;
                        pos = nl;
                    }
                    if !odd {
                        found = nl + 1;
                        break;
                    }
                    target = nl + 1;
                }
                cut = found;
            }
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
        let mut rdr =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut rec = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    return Err(IngestError { path: self.name.clone(), reason: e.to_string() });
                }
            }
            let line = lines_before + rec.position().map_or(1, |p| p.line());
            if rec.len() == 1 && rec[0].trim().is_empty() {
                continue;
            }
            if rec.len() != self.header_fields {
                chunk.reject_shape(
                    line,
                    self.columns[Col::Id as usize].and_then(|i| rec.get(i)).unwrap_or(""),
                    format!("row has {} fields, the header has {}", rec.len(), self.header_fields),
                );
                continue;
            }
            let mut fields = [""; COLUMNS.len()];
            for (f, c) in fields.iter_mut().zip(self.columns) {
                *f = c.and_then(|i| rec.get(i)).unwrap_or("");
            }
            chunk.process(line, &fields);
        }
        Ok(())
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
