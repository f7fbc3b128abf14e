//! The files in `deploy/`, checked as far as this machine can: the systemd
//! units with `systemd-analyze verify`, the Kubernetes YAML parsed, the
//! container definition naming only real images and paths in the repository.

use std::process::Command;

use crate::support::root;

#[test]
#[ignore = "needs systemd-analyze (systemd)"]
fn systemd_units_verify_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("salarytrends");
    let mut units = Vec::new();
    for name in [
        "salarytrends-weekly.service",
        "salarytrends-weekly.timer",
        "salarytrends-serve.service",
        "salarytrends-bounces.service",
        "salarytrends-bounces.timer",
    ] {
        let text = std::fs::read_to_string(root().join("deploy/systemd").join(name)).unwrap();
        // verify checks that ExecStart exists: point it at the built binary.
        let text = text.replace("/usr/local/bin/salarytrends", bin.to_str().unwrap());
        std::fs::write(dir.path().join(name), text).unwrap();
        units.push(dir.path().join(name));
    }
    let timer =
        std::fs::read_to_string(root().join("deploy/systemd/salarytrends-weekly.timer")).unwrap();
    assert!(timer.contains("Persistent=true") && timer.contains("OnCalendar=Mon "));
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&units)
        .output()
        .expect("systemd-analyze runs");
    let err = String::from_utf8_lossy(&out.stderr);
    // Unknown keys are only warnings (exit 0), so any output is a failure.
    assert!(out.status.success() && err.trim().is_empty(), "{err}");
}

#[test]
#[ignore = "needs python3 with PyYAML"]
fn the_kubernetes_cronjob_parses_and_forbids_concurrent_runs() {
    let path = root().join("deploy/kubernetes/cronjob.yaml");
    let script = r#"
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
print(json.dumps(docs))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 with PyYAML (python3-yaml)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let docs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["PersistentVolumeClaim", "ConfigMap", "CronJob"]);
    let cron = &docs[2]["spec"];
    assert_eq!(cron["concurrencyPolicy"], "Forbid");
    assert_eq!(cron["schedule"], "0 6 * * 1");
    let pod = &cron["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let c = &pod["containers"][0];
    assert_eq!(c["envFrom"][0]["secretRef"]["name"], "salarytrends-secrets");
    let mounts: Vec<&str> = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    assert!(mounts.contains(&"/srv/salarytrends/data"));
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        docs[0]["metadata"]["name"]
    );

    // The config in the ConfigMap is a valid salarytrends config, with every
    // path on the volume.
    let toml = docs[1]["data"]["salarytrends.toml"].as_str().unwrap();
    let raw = salarytrends::config::RawConfig::parse(toml).expect("valid config");
    for p in [&raw.postings, &raw.snapshots_dir, &raw.output_dir, &raw.state_db] {
        assert!(p.starts_with("/srv/salarytrends/data/"), "{p}");
    }
    let args: Vec<&str> =
        c["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(args.last(), Some(&"weekly"));
}

#[test]
fn the_container_definition_names_real_images_and_paths() {
    let text = std::fs::read_to_string(root().join("deploy/Containerfile")).unwrap();
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let msrv = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let mut froms = Vec::new();
    let mut user = None;
    for line in text.lines().map(str::trim) {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("FROM") => froms.push(words.next().unwrap().to_string()),
            Some("COPY") => {
                let args: Vec<&str> = words.collect();
                if args.iter().any(|a| a.starts_with("--from=")) {
                    continue;
                }
                for src in &args[..args.len() - 1] {
                    assert!(root().join(src).exists(), "COPY {src}: not in the repository");
                }
            }
            Some("USER") => user = words.next().map(str::to_string),
            _ => {}
        }
    }
    assert_eq!(
        froms,
        [
            format!("docker.io/library/rust:{msrv}-bookworm"),
            "docker.io/library/debian:bookworm-slim".into()
        ],
        "official images only, the builder at the crate's rust-version"
    );
    let user = user.expect("a USER line");
    assert!(!user.starts_with("0") && user != "root", "runs as {user}");
}

#[test]
fn the_cron_line_runs_the_weekly_job_on_monday_morning() {
    let text = std::fs::read_to_string(root().join("deploy/cron")).unwrap();
    let jobs: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#') && !l.starts_with("CRON_TZ="))
        .collect();
    assert!(!jobs.is_empty());
    for job in jobs {
        let f: Vec<&str> = job.split_whitespace().collect();
        assert_eq!(f[2..5], ["*", "*", "1"], "{job}");
        assert_eq!(f[5], "salarytrends", "the user field: {job}");
        assert!(job.contains("/usr/local/bin/salarytrends") && job.ends_with("2>&1"), "{job}");
    }
}
