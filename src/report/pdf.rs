//! Typesetting: a report's files → PDF bytes with typst used as a library.

use anyhow::{Result, anyhow};
use chrono::{Datelike, NaiveDate};
use typst::foundations::{Datetime, Smart};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

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
        let msgs: Vec<String> = errs.iter().map(|e| e.message.to_string()).collect();
        anyhow!("the report template failed to compile: {}", msgs.join("; "))
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
        let msgs: Vec<String> = errs.iter().map(|e| e.message.to_string()).collect();
        anyhow!("PDF export failed: {}", msgs.join("; "))
    })
}
