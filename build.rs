//! Gives the program an identity that changes whenever what it renders can
//! change: a digest of the sources, templates, fonts and locked
//! dependencies, as `SALARYTRENDS_BUILD`. The "is it current?" stamps of
//! reports and the newsletter include it, so a rebuilt binary with new prose
//! or charts renders again (the crate version stays the same across builds).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const INPUTS: &[&str] = &["src", "templates", "assets", "Cargo.toml", "Cargo.lock", "build.rs"];

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", path.display()))
            .map(|e| e.expect("a directory entry").path())
            .collect();
        entries.sort();
        for e in entries {
            files(&e, out);
        }
    } else if path.is_file() {
        out.push(path.to_path_buf());
    }
}

fn main() {
    let mut all = Vec::new();
    for input in INPUTS {
        println!("cargo::rerun-if-changed={input}");
        files(Path::new(input), &mut all);
    }
    let mut h = Sha256::new();
    for f in &all {
        let name = f.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo::rustc-env=SALARYTRENDS_BUILD={}", &hex[..16]);
}
