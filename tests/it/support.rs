//! Shared helpers: a temporary project folder with a config, and the binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary project: `salarytrends.toml`, `roles.toml`, `fx.toml` and postings.
pub struct Project {
    pub dir: tempfile::TempDir,
}

pub const ROLES: &str = r#"
[[role]]
name = "MLOps Engineer"
slug = "mlops-engineer"
match = ["mlops", "ml ops"]
description = "Deploys ML systems."
career_path = ["ML Platform Lead"]
entry_points = ["DevOps Engineer"]

[[role]]
name = "AI Software Engineer"
slug = "ai-software-engineer"
match = ["ai software engineer", "ai engineer"]
description = "Builds software with AI."
career_path = ["Staff Engineer"]
entry_points = ["Software Engineer"]

[skills]
k8s = "Kubernetes"
aws = "AWS"
rag = "RAG"
"#;

pub const HEADER: &str = "id,title,role,company,location,remote,seniority,salary_min,salary_max,salary_currency,salary_period,skills,posted_at,closed_at";

impl Project {
    /// A project whose postings file is `postings.csv` with `rows` under the standard header.
    pub fn with_rows(rows: &[&str]) -> Self {
        let p = Self::empty();
        let mut text = String::from(HEADER);
        for r in rows {
            text.push('\n');
            text.push_str(r);
        }
        text.push('\n');
        p.write("postings.csv", &text);
        p
    }

    /// A project with config, roles and rates but no postings.
    pub fn empty() -> Self {
        let p = Project { dir: tempfile::tempdir().unwrap() };
        p.write(
            "salarytrends.toml",
            "postings = \"postings.csv\"\nroles = \"roles.toml\"\nfx = \"fx.toml\"\n\
             snapshots_dir = \"snapshots\"\noutput_dir = \"output\"\nmin_salary_sample = 3\n",
        );
        p.write("roles.toml", ROLES);
        p.write("fx.toml", "[usd_per_unit]\nUSD = 1.0\nEUR = 1.1\n");
        p
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// The binary, run in the project folder with its config and a fixed today.
    pub fn cmd(&self) -> Command {
        self.cmd_as_of("2026-11-28")
    }

    /// The binary with another today.
    pub fn cmd_as_of(&self, today: &str) -> Command {
        let mut c = Command::cargo_bin("salarytrends").unwrap();
        c.current_dir(self.dir.path())
            .env_remove("SALARYTRENDS_CONFIG")
            .env_remove("SOURCE_DATE_EPOCH")
            .args(["--config", "salarytrends.toml", "--as-of", today]);
        c
    }

    /// Every file under the project's output and snapshot folders.
    pub fn written(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for top in ["output", "snapshots"] {
            collect(&self.path(top), &mut out);
        }
        out
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}
