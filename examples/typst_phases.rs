//! Times typst's compile and PDF export separately over `--emit-source` folders.
//! usage: cargo run --release --example typst_phases -- SRC_DIR [N]
use std::time::Instant;

use salarytrends::render::world::{Base, ReportWorld};
use typst_layout::PagedDocument;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("SRC_DIR"));
    let n: usize = args.next().map(|s| s.parse().unwrap()).unwrap_or(40);
    let mut folders: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    folders.sort();
    folders.truncate(n);
    let template = std::fs::read_to_string(
        std::env::var("TEMPLATE")
            .map(std::path::PathBuf::from)
            .unwrap_or(folders[0].join("report.typ")),
    )
    .unwrap();
    let base = Base::new(template);
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let (mut tc, mut te) = (0.0, 0.0);
    for f in &folders {
        let mut files =
            vec![("data.json".to_string(), std::fs::read(f.join("data.json")).unwrap())];
        for c in std::fs::read_dir(f.join("charts")).unwrap() {
            let c = c.unwrap().path();
            files.push((
                format!("charts/{}", c.file_name().unwrap().to_str().unwrap()),
                std::fs::read(&c).unwrap(),
            ));
        }
        if std::env::var("VIA_LIB").is_ok() {
            let t = Instant::now();
            let pdf = salarytrends::render::pdf::render_pdf(&base, &files, date, "x").unwrap();
            std::hint::black_box(pdf);
            tc += t.elapsed().as_secs_f64();
            if let Ok(age) = std::env::var("EVICT") {
                typst::comemo::evict(age.parse().unwrap());
            }
            continue;
        }
        let world = ReportWorld::new(&base, &files, date);
        let t = Instant::now();
        let doc = typst::compile::<PagedDocument>(&world).output.unwrap();
        let c = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let pdf = typst_pdf::pdf(&doc, &Default::default()).unwrap();
        let e = t.elapsed().as_secs_f64();
        std::hint::black_box(pdf);
        tc += c;
        te += e;
        if let Ok(age) = std::env::var("EVICT") {
            typst::comemo::evict(age.parse().unwrap());
        }
        if std::env::var("VERBOSE").is_ok() {
            println!("{:.1} {:.1}", c * 1e3, e * 1e3);
        }
    }
    let k = folders.len() as f64;
    println!(
        "compile {:.1} ms  export {:.1} ms per report ({} reports)",
        tc / k * 1e3,
        te / k * 1e3,
        folders.len()
    );
}
