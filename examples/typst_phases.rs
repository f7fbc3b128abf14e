//! Where a report's time goes: times typst's compilation and PDF export
//! separately over `--emit-source` folders, in one process and one thread,
//! with the same world and memo-cache policy as `report --all`.
//!
//! usage: cargo run --release --example typst_phases -- SRC_DIR [N]
//!   TEMPLATE=path   compile this template instead of the folders' report.typ
//!   EVICT=age       `comemo::evict(age)` after each report (default 2; 0 empties it)
use std::time::Instant;

use salarytrends::report::world::{Base, ReportWorld};
use typst_layout::PagedDocument;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: typst_phases SRC_DIR [N]"));
    let n: usize = args.next().map_or(usize::MAX, |s| s.parse().expect("N is a number"));
    let mut folders: Vec<_> =
        std::fs::read_dir(&dir).expect("SRC_DIR is readable").map(|e| e.unwrap().path()).collect();
    folders.sort();
    folders.truncate(n);
    let template_path = std::env::var("TEMPLATE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| folders[0].join("report.typ"));
    let age: usize = std::env::var("EVICT").map_or(2, |s| s.parse().expect("EVICT is a number"));
    let base = Base::new(std::fs::read_to_string(template_path).expect("template is readable"));
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("valid date");
    let (mut compile, mut export) = (0.0, 0.0);
    for folder in &folders {
        let mut files =
            vec![("data.json".to_string(), std::fs::read(folder.join("data.json")).unwrap())];
        for chart in std::fs::read_dir(folder.join("charts")).unwrap() {
            let chart = chart.unwrap().path();
            let name = chart.file_name().unwrap().to_string_lossy();
            files.push((format!("charts/{name}"), std::fs::read(&chart).unwrap()));
        }
        let world = ReportWorld::new(&base, &files, date);
        let t = Instant::now();
        let doc = typst::compile::<PagedDocument>(&world).output.expect("the report compiles");
        compile += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let pdf = typst_pdf::pdf(&doc, &Default::default()).expect("the report exports");
        export += t.elapsed().as_secs_f64();
        std::hint::black_box(pdf);
        typst::comemo::evict(age);
    }
    let k = folders.len() as f64;
    println!(
        "{} reports: compile {:.1} ms, export {:.1} ms per report",
        folders.len(),
        compile / k * 1e3,
        export / k * 1e3
    );
}
