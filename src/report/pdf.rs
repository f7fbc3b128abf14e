//! Typesetting: a report's files → PDF bytes with typst used as a library.

use anyhow::{Result, anyhow};
use chrono::{Datelike, NaiveDate};
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

use std::fmt::Write as _;

use typst::WorldExt;
use typst::diag::{Severity, SourceDiagnostic};
use typst::syntax::DiagSpan;

use super::world::{Base, ReportWorld};

/// Compiles the template against `files` and exports a PDF. `ident` is a
/// stable document identifier; `date` is both today and the PDF timestamp.
pub fn render_pdf(
    base: &Base,
    files: &[(String, Vec<u8>)],
    date: NaiveDate,
    ident: &str,
) -> Result<Vec<u8>> {
    let world = ReportWorld::new(base, files, date);
    let warned = typst::compile::<PagedDocument>(&world);
    let doc = warned.output.map_err(|errs| {
        let msgs: Vec<String> = errs.iter().map(|e| describe(&world, e)).collect();
        anyhow!("the report template failed to compile:\n{}", msgs.join("\n"))
    })?;
    let stamp = Datetime::from_ymd_hms(date.year(), date.month() as u8, date.day() as u8, 0, 0, 0)
        .map(Timestamp::new_utc);
    let options = PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some("salarytrends".to_string())),
        timestamp: stamp,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&doc, &options).map_err(|errs| {
        let msgs: Vec<String> = errs.iter().map(|e| describe(&world, e)).collect();
        anyhow!("PDF export failed:\n{}", msgs.join("\n"))
    })
}

/// A diagnostic as the typst command line prints it: the message, where it
/// is (`report.typ:12:5`), the call trace and the hints.
fn describe(world: &ReportWorld, d: &SourceDiagnostic) -> String {
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut s = format!("{severity}: {}", d.message);
    if let Some(at) = location(world, d.span) {
        let _ = write!(s, "\n  ┌─ {at}");
    }
    for t in &d.trace {
        if let Some(at) = location(world, t.span) {
            let _ = write!(s, "\n  = {} at {at}", t.v);
        }
    }
    for hint in &d.hints {
        let _ = write!(s, "\n  = hint: {}", hint.v);
    }
    s
}

/// `file:line:column` (1-based) of a span in the world's sources.
fn location(world: &ReportWorld, span: impl Into<DiagSpan>) -> Option<String> {
    let span = span.into();
    let id = span.id()?;
    let range = world.range(span)?;
    let source = typst::World::source(world, id).ok()?;
    let (line, column) = source.lines().byte_to_line_column(range.start)?;
    let path = id.get().vpath().get_without_slash();
    Some(format!("{path}:{}:{}", line + 1, column + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_error_names_its_file_line_column_and_hint() {
        let template = "#let x = 1\n#set page(width: 10cm)\n\n#text(fill: nonexistent)[x]\n";
        let base = Base::new(template.to_string());
        let date = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let err = render_pdf(&base, &[], date, "t").unwrap_err().to_string();
        assert!(err.contains("error: unknown variable: nonexistent"), "{err}");
        assert!(err.contains("report.typ:4:13"), "{err}");
    }
}
