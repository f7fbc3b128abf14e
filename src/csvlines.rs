//! CSV as the `csv` crate reads it, seen from outside the parser: the
//! physical line a record starts on, and where records may be cut apart.
//!
//! Both exist because the two obvious shortcuts are wrong. The csv crate's
//! own `Position::line()` is one short per record in a `\r\n` file (it counts
//! `\r` as the end of a record and the `\n` after it as the start of the
//! next), so lines are counted here from byte offsets. And counting quotes to
//! find record boundaries fails on a quote inside an unquoted field (`27in"`),
//! which the csv crate, like Python's `csv`, keeps as a literal character: a
//! quote opens a quoted field only at the start of a field.

/// The physical line (1-based) of the records of one byte buffer.
#[derive(Debug, Clone, Copy)]
pub struct LineCounter<'a> {
    bytes: &'a [u8],
    first_line: u64,
}

impl<'a> LineCounter<'a> {
    /// A counter over `bytes`, whose first byte is on line `first_line`.
    pub fn new(bytes: &'a [u8], first_line: u64) -> Self {
        LineCounter { bytes, first_line }
    }

    /// The line on which the record at `pos` (the csv crate's position of a
    /// record read from these bytes) begins.
    ///
    /// The csv crate counts one line per `\n` before the record's byte
    /// offset, and that offset can point at line ends before the record
    /// (the `\n` of a `\r\n`, empty lines it skipped): a record never starts
    /// with a bare line end, so the `\n`s of that run are added.
    pub fn record_line(&self, pos: &csv::Position) -> u64 {
        let start = usize::try_from(pos.byte()).unwrap_or(usize::MAX).min(self.bytes.len());
        let run = self.bytes[start..].iter().take_while(|b| matches!(b, b'\r' | b'\n'));
        let skipped = run.filter(|b| **b == b'\n').count() as u64;
        self.first_line - 1 + pos.line() + skipped
    }
}

/// Walks a CSV file's quotes forward and says, at any byte, whether it lies
/// inside a quoted field, with the csv crate's rules (comma delimiter,
/// doubled quotes as escapes): a `"` opens a quoted field only as the first
/// byte of a field (the start of the data, or after `,`, `\r` or `\n`);
/// inside one, `""` is a literal quote and any other `"` closes the field;
/// anywhere else a `"` is an ordinary character.
#[derive(Debug, Clone)]
pub struct QuoteWalk<'a> {
    raw: &'a [u8],
    data_start: usize,
    /// Every quote before `pos` has been accounted for.
    pos: usize,
    inside: bool,
}

impl<'a> QuoteWalk<'a> {
    /// A walk over `raw` whose CSV records begin at `data_start` (outside quotes).
    pub fn new(raw: &'a [u8], data_start: usize) -> Self {
        QuoteWalk { raw, data_start, pos: data_start, inside: false }
    }

    /// Whether byte `at` lies inside a quoted field. `at` must not go back
    /// before an earlier call's `at`.
    pub fn inside_at(&mut self, at: usize) -> bool {
        let at = at.min(self.raw.len());
        if self.pos >= at {
            return self.inside;
        }
        let start = self.pos;
        // One iterator over the range: files with a quoted field on every
        // row have millions of quotes, and this walk runs before the
        // parallel parse.
        let mut skip = None;
        for i in memchr::memchr_iter(b'"', &self.raw[start..at]) {
            let q = start + i;
            if skip == Some(q) {
                // The second quote of a `""` inside a quoted field.
                continue;
            }
            if self.inside {
                if self.raw.get(q + 1) == Some(&b'"') {
                    skip = Some(q + 1);
                } else {
                    self.inside = false;
                }
            } else {
                self.inside =
                    q == self.data_start || matches!(self.raw[q - 1], b',' | b'\r' | b'\n');
            }
        }
        // A `""` whose second quote is at `at` or later: resume after it.
        self.pos = skip.map_or(at, |s| (s + 1).max(at));
        self.inside
    }

    /// The first record boundary at or after `target`: the byte after the
    /// first `\n` at or after `target` that is outside quotes, or the end.
    pub fn boundary_after(&mut self, target: usize) -> usize {
        let mut from = target;
        while let Some(nl) = memchr::memchr(b'\n', self.raw.get(from..).unwrap_or_default()) {
            let nl = from + nl;
            if !self.inside_at(nl) {
                return nl + 1;
            }
            from = nl + 1;
        }
        self.raw.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records and the physical line each starts on, as one serial csv reader
    /// with [`LineCounter`] sees them.
    fn lines(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let counter = LineCounter::new(text.as_bytes(), 1);
        rdr.records()
            .map(|r| {
                let r = r.unwrap();
                let line = counter.record_line(r.position().unwrap());
                (line, r.iter().map(str::to_string).collect())
            })
            .collect()
    }

    #[test]
    fn crlf_and_lf_give_the_same_physical_lines() {
        let lf = "id,title\n1,a\n2,\"b\nc\"\n\n3,d\n";
        let crlf = lf.replace('\n', "\r\n");
        let want: Vec<u64> = vec![1, 2, 3, 6];
        assert_eq!(lines(lf).iter().map(|r| r.0).collect::<Vec<_>>(), want);
        assert_eq!(lines(&crlf).iter().map(|r| r.0).collect::<Vec<_>>(), want);
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_a_character() {
        let text = "a,b\nMonitor 27in\",x\n\"New York,\nNY\",y\n";
        let raw = text.as_bytes();
        let mut walk = QuoteWalk::new(raw, 4);
        // The newline inside "New York,\nNY" is inside quotes; the others are not.
        let nls: Vec<usize> = memchr::memchr_iter(b'\n', raw).collect();
        let inside: Vec<bool> = nls.iter().map(|&n| walk.inside_at(n)).collect();
        assert_eq!(inside, [false, false, true, false]);
        // The csv crate agrees: three records.
        assert_eq!(lines(text).len(), 3);
        assert_eq!(lines(text)[1].1, ["Monitor 27in\"", "x"]);
    }

    #[test]
    fn doubled_quotes_and_text_after_a_closing_quote_follow_the_csv_crate() {
        // `"a""b"` is a"b; `"x"y"` is xy" (after the closing quote, quotes are characters).
        let text = "\"a\"\"b\",\"x\"y\"\n\"c\nd\",e\n";
        let raw = text.as_bytes();
        let mut walk = QuoteWalk::new(raw, 0);
        let nls: Vec<usize> = memchr::memchr_iter(b'\n', raw).collect();
        let inside: Vec<bool> = nls.iter().map(|&n| walk.inside_at(n)).collect();
        assert_eq!(inside, [false, true, false]);
        assert_eq!(lines(text)[0].1, ["a\"b", "xy\""]);
    }
}
