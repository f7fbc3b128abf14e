//! PDF reports read back as text (`pdftotext`), fonts checked (`pdffonts`),
//! bytes compared across runs, hostile names printed literally.

use std::path::Path;
use std::process::Command as Process;

use predicates::str::contains;
use salarytrends::text::{count, money_k};

use crate::support::{HEADER, Project};

/// Text of a PDF, white space folded so that line breaks do not matter.
fn pdf_text(path: &Path) -> String {
    let out = Process::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "pdftotext failed on {}", path.display());
    // Typst sets apostrophes as typographic ones; compare with the plain form.
    let text = String::from_utf8(out.stdout).unwrap().replace('\u{2019}', "'");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A project on a small generated market: 14 roles, four weeks.
fn generated() -> Project {
    let p = Project::generated(7, "");
    p.cmd().args(["-q", "snapshot", "--weeks", "2026-W44..2026-W47"]).assert().success();
    p
}

const HEADINGS: &[&str] = &[
    "Quick Verdict",
    "Side-by-Side Comparison",
    "Skills Comparison",
    "Skills You'd Need for Both Roles",
    "Salary Deep Dive",
    "Top Hiring Companies",
    "Career Path",
    "Switching Between Roles",
    "This Week's Changes",
    "What You Need to Know",
    "FAQ",
    "Related Comparisons",
    "Methodology and Data Quality",
];

#[test]
#[ignore = "needs pdftotext (poppler-utils)"]
fn a_report_holds_the_snapshot_figures_and_every_section() {
    let p = generated();
    p.cmd()
        .args(["report", "--pair", "ai-software-engineer", "MLOps Engineer", "--week", "2026-W47"])
        .assert()
        .success()
        .stderr(contains("mlops-engineer-vs-ai-software-engineer.pdf"));
    let pdf = p.path("output/2026-W47/reports/mlops-engineer-vs-ai-software-engineer.pdf");
    let text = pdf_text(&pdf);
    let snap: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path("snapshots/2026-W47.json")).unwrap()).unwrap();
    let role = |slug: &str| {
        snap["roles"].as_array().unwrap().iter().find(|r| r["slug"] == slug).unwrap().clone()
    };
    let (a, b) = (role("mlops-engineer"), role("ai-software-engineer"));
    assert!(text.contains("MLOps Engineer vs AI Software Engineer"), "{text}");
    for h in HEADINGS {
        assert!(text.contains(h), "missing heading {h}");
    }
    // The comparison table's row: the label, then A's figure, then B's.
    let open = |r: &serde_json::Value| count(r["open_positions"].as_u64().unwrap());
    let row = format!("Open positions {} {}", open(&a), open(&b));
    assert!(text.contains(&row), "{row:?} not in the report:\n{text}");
    for r in [&a, &b] {
        let s = &r["salary"];
        if s["median"].is_null() {
            assert!(
                text.contains(&format!("not enough disclosed salaries (n = {})", s["n"])),
                "suppressed"
            );
        } else {
            for key in ["p25", "median", "p75"] {
                let v = money_k(s[key].as_f64().unwrap());
                assert!(text.contains(&v), "{} {key} {v} not in the report", r["name"]);
            }
        }
        let first_skill = r["top_skills"][0]["name"].as_str().unwrap();
        assert!(text.contains(first_skill), "{first_skill}");
    }
    // Shared skills in A's order, as the comparison defines them.
    let names = |r: &serde_json::Value| -> Vec<String> {
        r["top_skills"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    let shared: Vec<String> = names(&a).into_iter().filter(|s| names(&b).contains(s)).collect();
    assert!(!shared.is_empty());
    assert!(
        text.contains(&format!(
            "top 8 for both MLOps Engineer and AI Software Engineer: {}",
            shared[0]
        )),
        "{text}"
    );
    assert!(text.contains("Changes since 2026-W46"));
    // The chart and its data are on disk, and the manifest lists the PDF with its hash.
    assert!(
        p.path("output/2026-W47/charts/mlops-engineer-vs-ai-software-engineer/salary.svg")
            .is_file()
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.path("output/2026-W47/manifest.json")).unwrap())
            .unwrap();
    let entry = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "reports/mlops-engineer-vs-ai-software-engineer.pdf")
        .expect("manifest lists the report");
    assert_eq!(entry["size"].as_u64().unwrap(), std::fs::metadata(&pdf).unwrap().len());
}

#[test]
#[ignore = "needs pdffonts and pdfinfo (poppler-utils)"]
fn the_same_week_renders_byte_identical_pdfs_with_every_font_embedded() {
    let p = generated();
    let args = ["report", "--pair", "data-scientist", "data-engineer", "--week", "2026-W47"];
    p.cmd().args(args).assert().success();
    let pdf = p.path("output/2026-W47/reports/data-scientist-vs-data-engineer.pdf");
    let first = std::fs::read(&pdf).unwrap();
    std::fs::remove_file(&pdf).unwrap();
    p.cmd().args(args).assert().success();
    assert!(first == std::fs::read(&pdf).unwrap(), "two renders of one week differ");
    let out = Process::new("pdffonts").arg(&pdf).output().expect("pdffonts is installed");
    let table = String::from_utf8_lossy(&out.stdout);
    let fonts: Vec<&str> = table.lines().skip(2).collect();
    assert!(!fonts.is_empty(), "{table}");
    for line in &fonts {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // name type [type] encoding emb sub uni object ID: emb is the fourth from the end but two.
        assert_eq!(cols[cols.len() - 5], "yes", "font not embedded: {line}");
    }
    assert!(table.contains("Inter"), "{table}");
}

/// The title in a PDF's metadata (`pdfinfo`).
fn pdf_title(path: &Path) -> String {
    let out = Process::new("pdfinfo").arg(path).output().expect("pdfinfo is installed");
    let info = String::from_utf8_lossy(&out.stdout);
    let line = info.lines().find(|l| l.starts_with("Title:")).unwrap_or_default();
    line.trim_start_matches("Title:").trim().to_string()
}

#[test]
#[ignore = "needs pdftotext (poppler-utils)"]
fn a_batch_reusing_layout_renders_each_pair_as_it_renders_alone() {
    // `report --all` keeps typst's memoised layout from one report to the
    // next; every report must still be exactly the one a run of its own
    // gives, with its own title, footer and figures.
    let p = generated();
    p.cmd().args(["-q", "report", "--all", "--week", "2026-W47"]).assert().success();
    let dir = p.path("output/2026-W47/reports");
    let mut batch: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    batch.sort();
    assert_eq!(batch.len(), 14 * 13 / 2);
    for pdf in &batch {
        let stem = pdf.file_stem().unwrap().to_string_lossy().into_owned();
        let title = pdf_title(pdf);
        let (a, b) = title.split_once(" vs ").unwrap_or_else(|| panic!("{stem}: title {title}"));
        let text = pdf_text(pdf);
        let footer = format!("Track AI Salary Trends · {a} vs {b} · 2026-W47");
        assert!(text.contains(&footer), "{stem}: no footer '{footer}'");
        assert!(text.contains(&format!("{a} top skills")), "{stem}: {a} missing");
        assert!(text.contains(&format!("{b} top skills")), "{stem}: {b} missing");
    }
    // Pairs from the start, middle and end of the batch, rendered alone.
    for pdf in [&batch[0], &batch[45], &batch[batch.len() - 1]] {
        let in_batch = std::fs::read(pdf).unwrap();
        let stem = pdf.file_stem().unwrap().to_string_lossy().into_owned();
        let (a, b) = stem.split_once("-vs-").unwrap();
        std::fs::remove_file(pdf).unwrap();
        p.cmd().args(["-q", "report", "--pair", a, b, "--week", "2026-W47"]).assert().success();
        assert!(in_batch == std::fs::read(pdf).unwrap(), "{stem} differs from its batch copy");
    }
}

#[test]
#[ignore = "needs pdftotext (poppler-utils)"]
fn special_characters_in_names_print_literally() {
    let p = Project::empty();
    p.write(
        "roles.toml",
        r##"
[[role]]
name = "C# <script>alert(1)</script> Engineer"
slug = "csharp"
match = ["c# dev"]
description = "Writes *bold* claims about $money and _under_ scores, #tags, @refs and back\\slashes."
career_path = ["Lead $ Engineer", "VP #1"]
entry_points = ["\"Quoted\" <b>Developer</b>"]

[[role]]
name = "ML @ Scale_Engineer"
slug = "ml-at-scale"
match = ["ml at scale"]
description = "Ships models."
"##,
    );
    let mut rows = Vec::new();
    for i in 0..12 {
        rows.push(format!(
            "h{i},C# Dev,,\"#Acme $ *Corp* _x_ @home \\ back\",Remote,,,{}000,,,,\"#rust;$money;<b>bold</b>;a\\b\",2026-11-16,",
            100 + i
        ));
        rows.push(format!("k{i},ML at Scale,,\"O'Brien & Sons <i>\",Remote,,,{}000,,,,\"#rust;python\",2026-11-16,", 120 + i));
    }
    p.write("postings.csv", &format!("{HEADER}\n{}\n", rows.join("\n")));
    p.cmd().args(["-q", "snapshot", "--week", "2026-W47"]).assert().success();
    p.cmd()
        .args(["report", "--pair", "csharp", "ml-at-scale", "--week", "2026-W47"])
        .assert()
        .success();
    let text = pdf_text(&p.path("output/2026-W47/reports/csharp-vs-ml-at-scale.pdf"));
    for literal in [
        "C# <script>alert(1)</script> Engineer vs ML @ Scale_Engineer",
        "#Acme $ *Corp* _x_ @home \\ back",
        "O'Brien & Sons <i>",
        "<b>bold</b>",
        "$money",
        "#rust",
        "a\\b",
        "Writes *bold* claims about $money and _under_ scores, #tags, @refs and back\\slashes.",
        "Lead $ Engineer → VP #1",
        "\"Quoted\" <b>Developer</b>",
    ] {
        assert!(text.contains(literal), "{literal:?} not printed literally in:\n{text}");
    }
}

#[test]
fn emit_source_writes_a_folder_the_typst_cli_can_compile() {
    let p = generated();
    p.cmd()
        .args([
            "report",
            "--pair",
            "mlops-engineer",
            "llm-engineer",
            "--week",
            "2026-W47",
            "--emit-source",
            "src-out",
        ])
        .assert()
        .success();
    let dir = p.path("src-out/mlops-engineer-vs-llm-engineer");
    for f in [
        "report.typ",
        "data.json",
        "charts/salary.svg",
        "charts/trend-open.svg",
        "fonts/Inter-Regular.otf",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let data: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("data.json")).unwrap()).unwrap();
    assert_eq!(data["title"], "MLOps Engineer vs LLM Engineer");
    assert_eq!(data["week"], "2026-W47");
}

#[test]
#[ignore = "needs python3 with typst (pip install typst) and pdftotext (poppler-utils)"]
fn the_emitted_source_compiles_outside_the_program_to_the_same_report() {
    let p = generated();
    p.cmd()
        .args(["report", "--pair", "mlops-engineer", "llm-engineer", "--week", "2026-W47"])
        .args(["--emit-source", "src-out"])
        .assert()
        .success();
    let dir = p.path("src-out/mlops-engineer-vs-llm-engineer");
    // Another build of typst (its Python package), as the README's
    // `typst compile --font-path fonts --ignore-system-fonts report.typ`.
    let out = Process::new("python3")
        .current_dir(&dir)
        .args([
            "-c",
            "import typst; typst.compile('report.typ', output='cli.pdf', font_paths=['fonts'], ignore_system_fonts=True)",
        ])
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "typst failed: {}", String::from_utf8_lossy(&out.stderr));
    let ours = pdf_text(&p.path("output/2026-W47/reports/mlops-engineer-vs-llm-engineer.pdf"));
    let theirs = pdf_text(&dir.join("cli.pdf"));
    assert!(ours.contains("MLOps Engineer vs LLM Engineer"));
    assert_eq!(ours, theirs);
}

#[test]
fn report_for_an_unstored_week_or_unknown_role_fails_clearly() {
    let p = generated();
    p.cmd()
        .args(["report", "--pair", "mlops-engineer", "llm-engineer", "--week", "2026-W30"])
        .assert()
        .code(1)
        .stderr(contains("no stored snapshot for 2026-W30"));
    p.cmd()
        .args(["report", "--pair", "mlops-engineer", "plumber", "--week", "2026-W47"])
        .assert()
        .code(2)
        .stderr(contains("unknown role 'plumber'"));
}
