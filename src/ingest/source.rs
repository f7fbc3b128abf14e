//! One input file as a stream of blocks: read a bounded block at a time,
//! checked (UTF-8, header) and cut on record boundaries so that blocks parse
//! in parallel, in any number, to the records and lines one serial reader
//! gives. Memory follows the block size, not the file.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::IngestError;
use super::row::{COLUMNS, Chunk, Col, REQUIRED};
use crate::csvlines::{LineCounter, QuoteWalk};

/// Bytes per block; a block grows only to hold one record longer than this.
pub(super) const BLOCK_BYTES: usize = 512 << 10;

/// How far back from a block's end a record boundary is looked for before
/// the block is grown (records are far shorter; a longer one grows it).
const TAIL_BYTES: usize = 256 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Csv,
    Jsonl,
}

/// What a file's header says: where each known column is.
#[derive(Debug, Clone)]
pub(super) struct Header {
    pub(super) format: Format,
    /// CSV: index of each known column in the header.
    columns: [Option<usize>; COLUMNS.len()],
    fields: usize,
}

/// Whole records of a file with the number of lines before them.
#[derive(Debug)]
pub(super) struct Block {
    pub(super) bytes: Vec<u8>,
    pub(super) lines_before: u64,
}

/// A file being read block by block.
pub(super) struct Stream<R> {
    pub(super) name: String,
    reader: R,
    block_bytes: usize,
    /// Bytes read and not yet handed out; they begin on a record boundary.
    buf: Vec<u8>,
    /// Offset in the file of `buf[0]`, and newlines before it.
    offset: u64,
    lines_before: u64,
    eof: bool,
    digest: Sha256,
    pub(super) header: Header,
    /// The file's size, when known (for estimates only).
    pub(super) size: u64,
    /// Buffers of blocks already parsed, to read into again.
    pub(super) spare: Vec<Vec<u8>>,
}

impl Stream<std::fs::File> {
    /// Opens a file and reads its header.
    pub(super) fn open(path: &Path, name: String, block_bytes: usize) -> Result<Self, IngestError> {
        let fail = |reason: String| IngestError { path: name.clone(), reason };
        let format = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase) {
            Some(e) if e == "csv" => Format::Csv,
            Some(e) if e == "jsonl" || e == "ndjson" => Format::Jsonl,
            _ => return Err(fail("unknown file type (expected .csv or .jsonl)".into())),
        };
        let file = std::fs::File::open(path).map_err(|e| fail(format!("cannot read file: {e}")))?;
        let size = file.metadata().map_or(0, |m| m.len());
        let mut s = Stream::new(name.clone(), file, format, block_bytes).map_err(fail)?;
        s.size = size;
        Ok(s)
    }
}

impl<R: Read> Stream<R> {
    /// A stream over `reader`, its header read (CSV).
    pub(super) fn new(
        name: String,
        reader: R,
        format: Format,
        block_bytes: usize,
    ) -> Result<Self, String> {
        let mut s = Stream {
            name,
            reader,
            block_bytes: block_bytes.max(1),
            buf: Vec::new(),
            offset: 0,
            lines_before: 0,
            eof: false,
            digest: Sha256::new(),
            header: Header { format, columns: [None; COLUMNS.len()], fields: 0 },
            size: 0,
            spare: Vec::new(),
        };
        // The BOM and, for CSV, the whole header record.
        s.fill(3)?;
        if s.buf.starts_with(b"\xEF\xBB\xBF") {
            s.consume(3);
        }
        if format == Format::Csv {
            s.read_header()?;
        }
        Ok(s)
    }

    /// Reads until `buf` holds at least `len` bytes or the file ends.
    fn fill(&mut self, len: usize) -> Result<(), String> {
        while self.buf.len() < len && !self.eof {
            let start = self.buf.len();
            let want = (len - start) as u64;
            self.buf.reserve(len - start);
            let n = (&mut self.reader)
                .take(want)
                .read_to_end(&mut self.buf)
                .map_err(|e| format!("cannot read file: {e}"))?;
            self.digest.update(&self.buf[start..]);
            // `read_to_end` stops short of the limit only at the end of the file.
            self.eof = (n as u64) < want;
        }
        Ok(())
    }

    /// Takes the first `n` bytes of `buf`, counting their lines; the rest
    /// moves to a spare buffer when there is one.
    fn consume(&mut self, n: usize) -> Vec<u8> {
        let mut rest = self.spare.pop().unwrap_or_default();
        rest.clear();
        rest.extend_from_slice(&self.buf[n..]);
        self.buf.truncate(n);
        let head = std::mem::replace(&mut self.buf, rest);
        self.offset += n as u64;
        self.lines_before += memchr::memchr_iter(b'\n', &head).count() as u64;
        head
    }

    /// The end of the last whole record in `buf`, if one ends there.
    fn last_boundary(&self) -> Option<usize> {
        let buf = &self.buf;
        match self.header.format {
            Format::Jsonl => memchr::memrchr(b'\n', buf).map(|i| i + 1),
            Format::Csv => {
                // `buf` starts on a record boundary, outside quotes.
                let mut quotes = QuoteWalk::new(buf, 0);
                let tail = buf.len().saturating_sub(TAIL_BYTES);
                let mut last = None;
                for nl in memchr::memchr_iter(b'\n', &buf[tail..]) {
                    if !quotes.inside_at(tail + nl) {
                        last = Some(tail + nl + 1);
                    }
                }
                last
            }
        }
    }

    /// Checks that `bytes` (starting at `buf[0]`) are UTF-8.
    fn check_utf8(&self, bytes: &[u8]) -> Result<(), String> {
        if let Err(e) = std::str::from_utf8(bytes) {
            let at = e.valid_up_to();
            let line =
                self.lines_before + 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64;
            return Err(format!("not UTF-8 (line {line}, byte {})", self.offset + at as u64 + 1));
        }
        Ok(())
    }

    fn read_header(&mut self) -> Result<(), String> {
        // Enough bytes for the header record (it ends at the first boundary).
        let mut want = self.block_bytes.min(64 << 10);
        let end = loop {
            self.fill(want)?;
            let end = QuoteWalk::new(&self.buf, 0).boundary_after(0);
            if end < self.buf.len() || self.eof {
                break end;
            }
            want = self.buf.len() * 2;
        };
        self.check_utf8(&self.buf[..end])?;
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(&self.buf[..end]);
        let header = rdr.headers().map_err(|e| format!("cannot read the header: {e}"))?.clone();
        let header_end = rdr.position().byte() as usize;
        drop(rdr);
        for (i, h) in header.iter().enumerate() {
            let h = h.trim().to_ascii_lowercase();
            if let Some(c) = COLUMNS.iter().position(|c| *c == h) {
                self.header.columns[c].get_or_insert(i);
            }
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .filter(|c| self.header.columns[**c as usize].is_none())
            .map(|c| c.name())
            .collect();
        if !missing.is_empty() {
            let s = if missing.len() > 1 { "s" } else { "" };
            return Err(format!("missing required column{s} {}", missing.join(", ")));
        }
        self.header.fields = header.len();
        self.consume(header_end);
        Ok(())
    }

    /// The next block of whole records, `None` at the end of the file.
    pub(super) fn next_block(&mut self) -> Result<Option<Block>, String> {
        let mut want = self.block_bytes;
        let cut = loop {
            self.fill(want)?;
            if self.eof {
                break self.buf.len();
            }
            match self.last_boundary() {
                Some(cut) => break cut,
                // One record longer than the block: read on.
                None => want = self.buf.len() * 2,
            }
        };
        if cut == 0 {
            return Ok(None);
        }
        self.check_utf8(&self.buf[..cut])?;
        let lines_before = self.lines_before;
        let bytes = self.consume(cut);
        Ok(Some(Block { bytes, lines_before }))
    }

    /// SHA-256 of every byte of the file, once it has been read to the end.
    pub(super) fn sha256(self) -> String {
        debug_assert!(self.eof && self.buf.is_empty());
        crate::model::hex(&self.digest.finalize())
    }
}

impl Header {
    /// Parses a block's records into `chunk`.
    pub(super) fn parse(&self, block: &Block, chunk: &mut Chunk) -> Result<(), String> {
        chunk.bytes = block.bytes.len();
        match self.format {
            Format::Csv => self.parse_csv(&block.bytes, block.lines_before, chunk),
            Format::Jsonl => {
                parse_jsonl(&block.bytes, block.lines_before, chunk);
                Ok(())
            }
        }
    }

    fn parse_csv(&self, bytes: &[u8], lines_before: u64, chunk: &mut Chunk) -> Result<(), String> {
        csv_records(bytes, lines_before, |line, rec| {
            if rec.len() == 1 && rec[0].trim().is_empty() {
                return;
            }
            if rec.len() != self.fields {
                chunk.reject_shape(
                    line,
                    self.columns[Col::Id as usize].and_then(|i| rec.get(i)).unwrap_or(""),
                    format!("row has {} fields, the header has {}", rec.len(), self.fields),
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
}

/// Every CSV record of a block with the physical line it starts on.
fn csv_records(
    bytes: &[u8],
    lines_before: u64,
    mut each: impl FnMut(u64, &csv::StringRecord),
) -> Result<(), String> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let lines = LineCounter::new(bytes, lines_before + 1);
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(e.to_string()),
        }
        let line = rec.position().map_or(lines_before + 1, |p| lines.record_line(p));
        each(line, &rec);
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

    /// A reader that hands out at most `step` bytes per call, as a pipe or
    /// a slow disk may.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(out.len()).min(self.bytes.len());
            out[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// Every record of a file read as a stream of blocks of about `block`
    /// bytes, and the blocks' bytes joined again.
    fn streamed(bytes: &[u8], block: usize, step: usize) -> (Vec<(u64, Vec<String>)>, Vec<u8>) {
        let reader = Trickle { bytes, step };
        let mut s = Stream::new("t.csv".into(), reader, Format::Csv, block).unwrap();
        let (mut out, mut joined) = (Vec::new(), Vec::new());
        while let Some(b) = s.next_block().unwrap() {
            assert!(!b.bytes.is_empty());
            csv_records(&b.bytes, b.lines_before, |line, rec| {
                out.push((line, rec.iter().map(str::to_string).collect()));
            })
            .unwrap();
            joined.extend_from_slice(&b.bytes);
        }
        assert_eq!(s.sha256(), crate::model::hex(&Sha256::digest(bytes)));
        (out, joined)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// However the file is cut into blocks and however the reads come,
        /// the blocks give the records and lines that one serial csv reader
        /// gives, and those are the ones written.
        #[test]
        fn blocks_read_as_one_serial_reader(
            (bytes, want) in csv_file(),
            block in 1usize..48,
            step in 1usize..64,
        ) {
            // The serial reader agrees with what was written (values; lines come from the file).
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
            let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(body);
            let serial: Vec<Vec<String>> = rdr
                .records()
                .map(|r| r.unwrap().iter().map(str::to_string).collect())
                .collect();
            let values: Vec<Vec<String>> = want.iter().map(|w| w.1.clone()).collect();
            prop_assert_eq!(&serial, &values);

            let (whole, _) = streamed(&bytes, 1 << 30, 1 << 30);
            prop_assert_eq!(&whole, &want);
            let (got, joined) = streamed(&bytes, block, step);
            prop_assert_eq!(&got, &want);
            // The blocks are the file's data, in order, without gaps.
            prop_assert!(bytes.ends_with(&joined));
        }
    }

    #[test]
    fn a_stray_quote_does_not_cut_a_later_multi_line_field() {
        let mut text = String::from("id,title,company,posted_at\n");
        text.push_str("1,Machine Learning Engineer 27in\",Acme,2026-11-02\n");
        for i in 2..40 {
            text.push_str(&format!("{i},MLOps Engineer,\"New York,\nNY\",2026-11-02\n"));
        }
        for block in [1, 5, 16, 100] {
            let (got, _) = streamed(text.as_bytes(), block, 7);
            assert_eq!(got.len(), 39, "blocks of {block} bytes");
            assert!(got.iter().all(|r| r.1.len() == 4), "blocks of {block} bytes");
            assert_eq!(got[38].0, 2 + 2 * 38 - 1);
        }
    }
}
