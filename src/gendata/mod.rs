//! `gen-data`: a deterministic synthetic data set shaped like the AI job
//! market of the seed page (roles, salaries, skills, companies, metros, week
//! to week movement), of any size, for the bundled data, tests and benchmarks.
//!
//! Same arguments, same bytes: the generator uses its own seeded PRNG.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::Days;
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::ingest::COLUMNS;
use crate::model::IsoWeek;
use crate::roles::RoleDef;
use crate::store;

/// Output format of generated postings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// Comma-separated values with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Arguments of `gen-data`.
#[derive(Debug, Args)]
pub struct GenDataArgs {
    /// Folder to write roles.toml, fx.toml, postings and subscribers.csv into
    #[arg(long, default_value = "data")]
    pub out: PathBuf,
    /// Open postings in the newest week (the market size)
    #[arg(long = "open", default_value_t = 25_000)]
    pub open: u64,
    /// Total postings to write instead of a market size (for benchmarks)
    #[arg(long = "rows", conflicts_with = "open")]
    pub rows: Option<u64>,
    /// Weeks of history
    #[arg(long, default_value_t = 16)]
    pub weeks: u32,
    /// The newest week
    #[arg(long, default_value = "2026-W47")]
    pub end_week: IsoWeek,
    /// Roles (the first 14 are the built-in market; more are synthetic)
    #[arg(long, default_value_t = 14)]
    pub roles: usize,
    /// Subscribers
    #[arg(long, default_value_t = 40)]
    pub subscribers: u64,
    /// Random seed
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Postings file format
    #[arg(long, value_enum, default_value_t = DataFormat::Csv)]
    pub format: DataFormat,
}

const MARKET: &str = include_str!("market.toml");
/// Weeks generated before the first week of history, so it starts full.
const WARMUP_WEEKS: u32 = 7;
/// Average number of weeks a posting stays open (durations 1–7 weeks).
const MEAN_OPEN_WEEKS: f64 = 4.55;

#[derive(Debug, Deserialize)]
struct Market {
    unclassified_open: f64,
    unclassified_titles: Vec<String>,
    generic_companies: Vec<String>,
    metros: Vec<String>,
    skills: BTreeMap<String, String>,
    role: Vec<MarketRole>,
}

#[derive(Debug, Clone, Deserialize)]
struct MarketRole {
    #[serde(flatten)]
    def: RoleDef,
    titles: Vec<String>,
    open: f64,
    median: f64,
    spread: f64,
    trend: f64,
    disclosed: f64,
    remote: f64,
    hybrid: f64,
    entry: f64,
    senior: f64,
    skills: Vec<String>,
    companies: Vec<String>,
    company_focus: f64,
    metros: Vec<String>,
}

#[derive(Serialize)]
struct RolesFile<'a> {
    role: Vec<&'a RoleDef>,
    skills: &'a BTreeMap<String, String>,
}

/// SplitMix64: small, fast and stable across versions (unlike a library PRNG).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.f64() * n as f64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.f64();
        let v = self.f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    /// An index in 0..n, earlier ones likelier (Zipf-like weights 1/(i+1)).
    fn zipf(&mut self, n: usize) -> usize {
        let total: f64 = (1..=n).map(|i| 1.0 / i as f64).sum();
        let mut x = self.f64() * total;
        for i in 0..n {
            x -= 1.0 / (i + 1) as f64;
            if x <= 0.0 {
                return i;
            }
        }
        n - 1
    }
}

fn market() -> Market {
    toml::from_str(MARKET).expect("the built-in market file is valid")
}

/// The roles of a generated data set: the built-in market's first `n`, then
/// synthetic ones.
fn roles(m: &Market, n: usize) -> Vec<MarketRole> {
    let mut out: Vec<MarketRole> = m.role.iter().take(n).cloned().collect();
    let mut rng = Rng(0x5EED);
    let pool: Vec<String> =
        m.skills.values().cloned().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    for i in out.len()..n {
        let k = i + 1;
        let name = format!("Synthetic Role {k}");
        let mut base = m.role[i % m.role.len()].clone();
        base.def = RoleDef {
            name: name.clone(),
            slug: format!("synthetic-role-{k}"),
            phrases: vec![name.to_lowercase()],
            description: format!("A synthetic role ({name}) for tests and benchmarks."),
            career_path: vec![format!("Senior {name}"), format!("Lead {name}")],
            entry_points: vec!["Software Engineer".into()],
        };
        base.titles = vec![name];
        base.open = 300.0 + (rng.below(400) as f64);
        base.median = 120_000.0 + rng.below(130) as f64 * 1000.0;
        base.skills = (0..9).map(|_| pool[rng.below(pool.len())].clone()).collect();
        out.push(base);
    }
    out
}

/// Writes the data set described by `args`.
pub fn generate(args: &GenDataArgs) -> Result<Summary> {
    let m = market();
    let roles = roles(&m, args.roles.max(2));
    let total_weeks = args.weeks.max(1) + WARMUP_WEEKS;
    let first = {
        let mut w = args.end_week;
        for _ in 1..total_weeks {
            w = w.prev();
        }
        w
    };
    let weeks = first.through(args.end_week);
    let last = weeks.len() as f64 - 1.0;
    // Expected new postings per (week, role) at scale 1.
    let unclassified = MarketRole {
        def: RoleDef {
            name: String::new(),
            slug: String::new(),
            phrases: vec![],
            description: String::new(),
            career_path: vec![],
            entry_points: vec![],
        },
        titles: m.unclassified_titles.clone(),
        open: m.unclassified_open,
        median: 150_000.0,
        spread: 0.3,
        trend: 0.0,
        disclosed: 0.4,
        remote: 0.15,
        hybrid: 0.3,
        entry: 0.08,
        senior: 0.35,
        skills: vec![
            "Python".into(),
            "SQL".into(),
            "AWS".into(),
            "Docker".into(),
            "Java".into(),
            "Go".into(),
        ],
        companies: vec![],
        company_focus: 0.0,
        metros: vec![],
    };
    let mut all: Vec<(Option<&MarketRole>, &MarketRole)> =
        roles.iter().map(|r| (Some(r), r)).collect();
    all.push((None, &unclassified));
    let base_open = |r: &MarketRole, k: usize| r.open * (1.0 + r.trend).powf(k as f64 - last);
    let expected_total: f64 = all
        .iter()
        .map(|(_, r)| (0..weeks.len()).map(|k| base_open(r, k) / MEAN_OPEN_WEEKS).sum::<f64>())
        .sum();
    let open_scale = match args.rows {
        // Reposts add rows on top of the postings drawn here: as many as
        // land before the data set ends, on average over its weeks.
        Some(rows) => {
            let lands =
                |days_left: f64, from: f64, span: f64| ((days_left - from) / span).clamp(0.0, 1.0);
            let n = weeks.len() as f64;
            let landed: f64 = (0..weeks.len())
                .map(|k| {
                    let left = (n - k as f64) * 7.0 - 3.5;
                    (1.0 - LATE_REPOST_SHARE) * lands(left, 14.0, 35.0)
                        + LATE_REPOST_SHARE * lands(left, 65.0, 30.0)
                })
                .sum::<f64>()
                / n;
            rows as f64 / (expected_total * (1.0 + REPOST_SHARE * landed))
        }
        None => {
            let total_open: f64 = all.iter().map(|(_, r)| r.open).sum();
            args.open as f64 / total_open
        }
    };

    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("failed to create '{}'", args.out.display()))?;
    let defs: Vec<&RoleDef> = roles.iter().map(|r| &r.def).collect();
    let roles_toml = toml::to_string(&RolesFile { role: defs, skills: &m.skills })?;
    store::write_atomic(
        &args.out.join("roles.toml"),
        format!("# Roles of the salarytrends data set (written by gen-data).\n\n{roles_toml}")
            .as_bytes(),
    )?;
    store::write_atomic(&args.out.join("fx.toml"), FX.as_bytes())?;

    let mut rng = Rng(args.seed);
    let ext = match args.format {
        DataFormat::Csv => "csv",
        DataFormat::Jsonl => "jsonl",
    };
    let postings_path = args.out.join(format!("postings.{ext}"));
    let mut rows = 0u64;
    store::write_atomic_with(&postings_path, |w| {
        let mut out = RowWriter::new(w, args.format)?;
        let end_sunday = args.end_week.sunday();
        let mut carry = vec![0.0f64; all.len()];
        for (k, week) in weeks.iter().enumerate() {
            for (ri, (role, r)) in all.iter().enumerate() {
                // Week-to-week noise of ±6% on top of the trend.
                let target =
                    base_open(r, k) * open_scale * (1.0 + 0.06 * rng.normal().clamp(-2.0, 2.0));
                carry[ri] += target / MEAN_OPEN_WEEKS;
                let count = carry[ri].floor();
                carry[ri] -= count;
                let drift = 1.0 + 0.004 * (k as f64 - last) + 0.01 * rng.normal().clamp(-2.0, 2.0);
                for _ in 0..count as u64 {
                    rows += 1;
                    let p = posting(&mut rng, &m, *role, r, *week, end_sunday, drift, rows);
                    out.write(&p)?;
                    if rng.chance(REPOST_SHARE)
                        && let Some(again) = repost(&mut rng, &p, end_sunday, rows + 1)
                    {
                        rows += 1;
                        out.write(&again)?;
                    }
                }
            }
        }
        out.finish()
    })?;

    let subs_path = args.out.join("subscribers.csv");
    store::write_atomic_with(&subs_path, |w| {
        write_subscribers(w, &mut Rng(args.seed ^ 0xABCD), &roles, args.subscribers)
    })?;
    Ok(Summary {
        rows,
        roles: roles.len(),
        weeks: args.weeks,
        postings_path: postings_path.display().to_string(),
    })
}

/// What `gen-data` wrote.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Posting rows written.
    pub rows: u64,
    /// Roles in roles.toml.
    pub roles: usize,
    /// Weeks of history.
    pub weeks: u32,
    /// Where the postings went.
    pub postings_path: String,
}

const FX: &str = "# Exchange rates used to convert salaries to USD: USD per one unit.\n\
# Fixed rates keep snapshots reproducible; update them deliberately.\n\
[usd_per_unit]\nUSD = 1.0\nEUR = 1.08\nGBP = 1.27\nCAD = 0.73\nINR = 0.012\nCHF = 1.13\nAUD = 0.66\n";

const SENIOR_PREFIX: &[&str] = &["Senior", "Sr.", "Staff", "Principal", "Lead"];
const ENTRY_PREFIX: &[&str] = &["Junior", "Associate", "Graduate", "Entry-level"];
/// Teams a title may name (`Machine Learning Engineer, Search`): words that
/// no role phrase or seniority word contains. Distinct jobs at one employer
/// and metro mostly differ by team, so that only reposts share a job's key.
const TEAMS: &[&str] = &[
    "Search",
    "Ads",
    "Payments",
    "Growth",
    "Maps",
    "Checkout",
    "Fraud",
    "Recommendations",
    "Pricing",
    "Logistics",
    "Security",
    "Trust and Safety",
    "Cloud",
    "Mobile",
    "Health",
    "Finance",
    "Marketing",
    "Core",
    "Developer Tools",
    "Speech",
    "Music",
    "Video",
    "Identity",
    "Risk",
    "Supply Chain",
    "Assistant",
    "Autonomy",
    "Insights",
    "Personalization",
    "Billing",
    "Customer Support",
    "Retail",
    "Sports",
    "Travel",
    "Gaming",
    "Energy",
    "Robotics Tooling",
    "Documents",
    "Translation",
    "Commerce",
];
/// Share of postings reposted (a new row for the same job), and of those
/// the share reposted after the dedup window (a new job by the chain rule).
const REPOST_SHARE: f64 = 0.3;
const LATE_REPOST_SHARE: f64 = 0.15;

struct Row {
    fields: [String; 14],
}

#[allow(clippy::too_many_arguments, reason = "one posting draws on every parameter of the market")]
fn posting(
    rng: &mut Rng,
    m: &Market,
    role: Option<&MarketRole>,
    r: &MarketRole,
    week: IsoWeek,
    end_sunday: chrono::NaiveDate,
    drift: f64,
    n: u64,
) -> Row {
    let mut f: [String; 14] = Default::default();
    f[0] = format!("p-{n:07}");
    let u = rng.f64();
    let seniority = if u < r.entry {
        0
    } else if u < r.entry + r.senior {
        2
    } else {
        1
    };
    let base = &r.titles[rng.below(r.titles.len())];
    f[1] = match seniority {
        0 => format!("{} {base}", ENTRY_PREFIX[rng.below(ENTRY_PREFIX.len())]),
        2 => format!("{} {base}", SENIOR_PREFIX[rng.below(SENIOR_PREFIX.len())]),
        _ => base.clone(),
    };
    if rng.chance(0.85) {
        f[1] = format!("{}, {}", f[1], TEAMS[rng.below(TEAMS.len())]);
    }
    // Some sources carry the canonical role; most leave it to the title.
    if let Some(role) = role
        && rng.chance(0.15)
    {
        f[2] = if rng.chance(0.5) { role.def.slug.clone() } else { role.def.name.clone() };
    }
    f[3] = if !r.companies.is_empty() && rng.chance(r.company_focus) {
        r.companies[rng.zipf(r.companies.len())].clone()
    } else {
        // Each role's generic employers start at a different place in the list.
        let n = m.generic_companies.len();
        m.generic_companies[(rng.zipf(n) + r.titles.len() * 7 + r.skills.len() * 3) % n].clone()
    };
    let u = rng.f64();
    let remote = u < r.remote;
    let hybrid = !remote && u < r.remote + r.hybrid;
    let metro = if remote {
        "Remote".to_string()
    } else if !r.metros.is_empty() && rng.chance(0.6) {
        let non_remote: Vec<&String> = r.metros.iter().filter(|x| *x != "Remote").collect();
        non_remote[rng.zipf(non_remote.len())].clone()
    } else {
        m.metros[1 + rng.zipf(m.metros.len() - 1)].clone()
    };
    f[5] = match (remote, hybrid, rng.chance(0.1)) {
        (_, _, true) => String::new(),                    // not stated
        (true, _, _) if rng.chance(0.3) => String::new(), // "Remote" location says it
        (true, _, _) => {
            if rng.chance(0.5) {
                "remote".into()
            } else {
                "true".into()
            }
        }
        (_, true, _) => "hybrid".into(),
        _ => {
            if rng.chance(0.5) {
                "onsite".into()
            } else {
                "false".into()
            }
        }
    };
    if rng.chance(0.04) {
        f[4] = String::new();
    } else {
        f[4] = metro;
    }
    if rng.chance(0.3) {
        f[6] = ["entry", "mid", "senior"][seniority].into();
    }
    if rng.chance(r.disclosed) {
        // Seniority moves pay, normalised so the role's median stays near `median`.
        let mean_level = r.entry * 0.74 + (1.0 - r.entry - r.senior) + r.senior * 1.22;
        let level = [0.74, 1.0, 1.22][seniority] / mean_level;
        let point = (r.median * drift * level * (r.spread * rng.normal().clamp(-2.5, 2.5)).exp())
            .max(40_000.0);
        let half = 0.1 + 0.15 * rng.f64();
        let (lo, hi) = (point * (1.0 - half), point * (1.0 + half));
        let in_london = f[4].starts_with("London");
        let in_berlin = f[4].starts_with("Berlin");
        let style = rng.below(20);
        if in_london || in_berlin {
            let rate = if in_london { 1.27 } else { 1.08 };
            f[7] = format!("{:.0}", lo / rate);
            f[8] = format!("{:.0}", hi / rate);
            f[9] = if in_london { "GBP".into() } else { "EUR".into() };
        } else if style == 0 {
            f[7] = format!("{:.1}", lo / 2080.0);
            f[8] = format!("{:.1}", hi / 2080.0);
            f[10] = "hour".into();
        } else if style == 1 {
            f[7] = format!("{:.0}", lo / 12.0);
            f[8] = format!("{:.0}", hi / 12.0);
            f[10] = "month".into();
        } else if style < 6 {
            f[7] = format!("${:.0}k", lo / 1000.0);
            f[8] = format!("${:.0}k", hi / 1000.0);
        } else if style < 9 {
            f[7] = thousands(lo);
            f[8] = thousands(hi);
        } else if style == 9 {
            f[8] = format!("{:.0}", point);
        } else {
            f[7] = format!("{:.0}", lo);
            f[8] = format!("{:.0}", hi);
        }
        // A few salaries that the checks must set aside.
        match rng.below(400) {
            0 => f[10] = "month".into(),      // an annual figure labelled monthly
            1 => f[7] = "competitive".into(), // not a number
            2 => f.swap(7, 8),                // min above max
            _ => {}
        }
    }
    let want = 3 + rng.below(4);
    let mut skills: Vec<&str> = Vec::new();
    for _ in 0..want * 2 {
        if skills.len() >= want {
            break;
        }
        let s = r.skills[rng.zipf(r.skills.len())].as_str();
        if !skills.contains(&s) {
            skills.push(s);
        }
    }
    f[11] = skills.join(";");
    let posted = week.monday() + Days::new(rng.below(7) as u64);
    f[12] = posted.to_string();
    let weeks_open = 1 + rng.below(7) as u64;
    let closed = posted + Days::new(weeks_open * 7 - 1 - rng.below(3) as u64);
    if closed <= end_sunday {
        f[13] = closed.to_string();
    }
    // A few rows that validation must reject.
    match rng.below(3000) {
        0 => f[3] = String::new(),
        1 => f[12] = format!("{}", posted.format("%d/%m/%Y")),
        2 if !f[13].is_empty() => f[13] = (posted - Days::new(3)).to_string(),
        3 => f[0] = format!("p-{:07}", n.saturating_sub(1).max(1)),
        _ => {}
    }
    Row { fields: f }
}

/// The same job posted again (a new id, the same company, title, location,
/// pay and skills): usually when the first posting closes, a few weeks after
/// it was posted; sometimes months later, beyond the dedup window. `None`
/// when that date falls after the data set ends.
fn repost(rng: &mut Rng, first: &Row, end_sunday: chrono::NaiveDate, n: u64) -> Option<Row> {
    let posted: chrono::NaiveDate = first.fields[12].parse().ok()?;
    let after = if rng.chance(LATE_REPOST_SHARE) { 65 + rng.below(30) } else { 14 + rng.below(35) };
    let again = posted + Days::new(after as u64);
    if again > end_sunday {
        return None;
    }
    let mut f = first.fields.clone();
    f[0] = format!("p-{n:07}");
    f[12] = again.to_string();
    let weeks_open = 1 + rng.below(6) as u64;
    let closed = again + Days::new(weeks_open * 7 - 1);
    f[13] = if closed <= end_sunday { closed.to_string() } else { String::new() };
    Some(Row { fields: f })
}

fn thousands(v: f64) -> String {
    let n = v.round() as u64;
    if n >= 1000 { format!("{},{:03}", n / 1000, n % 1000) } else { n.to_string() }
}

struct RowWriter<'w> {
    format: DataFormat,
    csv: Option<csv::Writer<&'w mut dyn Write>>,
    raw: Option<&'w mut dyn Write>,
}

impl<'w> RowWriter<'w> {
    fn new(w: &'w mut dyn Write, format: DataFormat) -> Result<Self> {
        Ok(match format {
            DataFormat::Csv => {
                let mut c = csv::Writer::from_writer(w);
                c.write_record(COLUMNS)?;
                RowWriter { format, csv: Some(c), raw: None }
            }
            DataFormat::Jsonl => RowWriter { format, csv: None, raw: Some(w) },
        })
    }

    fn write(&mut self, row: &Row) -> Result<()> {
        match self.format {
            DataFormat::Csv => self.csv.as_mut().expect("csv writer").write_record(&row.fields)?,
            DataFormat::Jsonl => {
                let obj: serde_json::Map<String, serde_json::Value> = COLUMNS
                    .iter()
                    .zip(&row.fields)
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                    .collect();
                let w = self.raw.as_mut().expect("raw writer");
                serde_json::to_writer(&mut **w, &obj)?;
                w.write_all(b"\n")?;
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<()> {
        if let Some(mut c) = self.csv {
            c.flush()?;
        }
        Ok(())
    }
}

const FIRST: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Tim",
    "Radia",
    "Guido",
    "Hedy",
    "John",
    "Shafi",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Berners-Lee",
    "Perlman",
    "van Rossum",
    "Lamarr",
    "McCarthy",
    "Goldwasser",
];

fn write_subscribers(w: &mut dyn Write, rng: &mut Rng, roles: &[MarketRole], n: u64) -> Result<()> {
    let mut c = csv::Writer::from_writer(w);
    c.write_record(["email", "name", "roles", "status"])?;
    for i in 0..n {
        let (first, last) = (FIRST[rng.below(FIRST.len())], LAST[rng.below(LAST.len())]);
        let email = format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            last.to_lowercase().replace(' ', ""),
            i + 1
        );
        let follow = 1 + rng.below(3);
        let mut picked: Vec<String> = Vec::new();
        for _ in 0..follow {
            let r = &roles[rng.zipf(roles.len().min(14))];
            let label = if rng.chance(0.5) { r.def.slug.clone() } else { r.def.name.clone() };
            if !picked.contains(&label) {
                picked.push(label);
            }
        }
        let status = match rng.below(50) {
            0..=2 => "unsubscribed",
            3 => "bounced",
            _ => "active",
        };
        let name = format!("{first} {last}");
        c.write_record([email.as_str(), name.as_str(), &picked.join(";"), status])?;
    }
    c.flush()?;
    Ok(())
}

/// Writes generated files for tests: a small data set in `dir`.
pub fn generate_small(dir: &Path, seed: u64) -> Result<Summary> {
    generate(&GenDataArgs {
        out: dir.to_path_buf(),
        open: 2_000,
        rows: None,
        weeks: 4,
        end_week: "2026-W47".parse().expect("valid week"),
        roles: 14,
        subscribers: 10,
        seed,
        format: DataFormat::Csv,
    })
}
