//! The typst world: fonts and the standard library built once per process
//! and shared by every report; each compilation adds only its own files (the
//! data JSON and the chart SVGs) and its date.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::fonts;

/// Virtual path of the template inside the world.
pub const MAIN: &str = "report.typ";

/// What every compilation shares: the library, the fonts and the template.
pub struct Base {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("report paths are valid virtual paths");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// The fonts a report may use: Inter (embedded) and typst's own.
pub fn font_data() -> Vec<&'static [u8]> {
    let mut all = fonts::FILES.iter().map(|(_, bytes)| *bytes).collect::<Vec<_>>();
    all.extend(typst_assets::fonts());
    all
}

impl Base {
    /// Loads the fonts and the library; `template` is the report's typst source.
    pub fn new(template: String) -> Self {
        let fonts: Vec<Font> =
            font_data().into_iter().flat_map(|data| Font::iter(Bytes::new(data))).collect();
        Base {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            main: Source::new(file_id(MAIN), template),
        }
    }
}

/// One compilation: the shared base plus this report's files and date.
pub struct ReportWorld<'a> {
    base: &'a Base,
    files: HashMap<FileId, Bytes>,
    today: NaiveDate,
}

impl<'a> ReportWorld<'a> {
    /// A world whose files are `files` (virtual path → bytes) and whose today is `today`.
    pub fn new(base: &'a Base, files: &[(String, Vec<u8>)], today: NaiveDate) -> Self {
        let files =
            files.iter().map(|(path, bytes)| (file_id(path), Bytes::new(bytes.clone()))).collect();
        ReportWorld { base, files, today }
    }
}

impl World for ReportWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.base.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.base.book
    }

    fn main(&self) -> FileId {
        self.base.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.base.main.id() {
            Ok(self.base.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.vpath().get_without_slash().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.base.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // The report's week, never the clock: the same week gives the same bytes.
        Datetime::from_ymd(self.today.year(), self.today.month() as u8, self.today.day() as u8)
    }
}
