//! Validation of one row: the rules of spec section 2 applied to the text of
//! each column, producing a [`Posting`] or an [`Issue`].

use rustc_hash::FxHashMap as HashMap;

use chrono::NaiveDate;

use super::salary::{self, Exclusion, FxRates};
use super::{Interner, Issue, IssueKind, Retain};
use crate::model::{Arrangement, Posting, Seniority};
use crate::roles::{Catalog, seniority_from_title};

/// The known columns, in the order of [`Col`].
pub const COLUMNS: &[&str] = &[
    "id",
    "title",
    "role",
    "company",
    "location",
    "remote",
    "seniority",
    "salary_min",
    "salary_max",
    "salary_currency",
    "salary_period",
    "skills",
    "posted_at",
    "closed_at",
];

/// Index of each column in [`COLUMNS`].
#[derive(Debug, Clone, Copy)]
pub(super) enum Col {
    Id,
    Title,
    Role,
    Company,
    Location,
    Remote,
    Seniority,
    SalaryMin,
    SalaryMax,
    SalaryCurrency,
    SalaryPeriod,
    Skills,
    PostedAt,
    ClosedAt,
}

impl Col {
    pub(super) fn name(self) -> &'static str {
        COLUMNS[self as usize]
    }
}

/// Columns whose absence is a file error and whose emptiness rejects a row.
pub(super) const REQUIRED: &[Col] = &[Col::Id, Col::Title, Col::Company, Col::PostedAt];

/// An accepted row as the merge needs it, kept or not: what detects a
/// repeated id, counts it, and links it into its job.
#[derive(Debug, Clone, Copy)]
pub(super) struct Accepted {
    /// Digest of the id ([`id_digest`]).
    pub(super) digest: u64,
    pub(super) line: u64,
    pub(super) posted: NaiveDate,
    /// The job key ([`super::jobs::job_key`]).
    pub(super) key: u64,
    /// Index in [`Chunk::postings`] when kept.
    pub(super) kept: Option<u32>,
    pub(super) unclassified: bool,
}

/// The digest that finds repeated ids: SipHash-1-3 (std's hasher with its
/// fixed keys), a well-mixed 64-bit digest even for ids that differ in one
/// digit. Two different ids share one with a probability of about n²/2⁶⁵
/// among n ids (one in four million for three million ids).
pub(super) fn id_digest(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// A title's role and seniority.
type Class = (Option<u16>, Seniority);

/// Titles classified so far by one parsing thread, kept from block to
/// block: a file has far fewer distinct titles than rows (25,000 in a
/// million generated postings), and each is classified once per thread
/// rather than once per block. (Shared between threads behind locks, the
/// locks' cache lines cost more than classifying twice.) It stops growing
/// at [`Titles::MAX`] titles, so that memory does not follow a file of ever
/// new titles.
#[derive(Debug, Default)]
pub(super) struct Titles(HashMap<String, Class>);

impl Titles {
    const MAX: usize = 100_000;

    fn get_or(&mut self, title: &str, classify: impl FnOnce() -> Class) -> Class {
        if let Some(&hit) = self.0.get(title) {
            return hit;
        }
        let class = classify();
        if self.0.len() < Self::MAX {
            self.0.insert(title.to_string(), class);
        }
        class
    }
}

/// What one block of a file produced, with block-local string ids.
pub(super) struct Chunk<'a> {
    pub(super) file: usize,
    /// Bytes of the block.
    pub(super) bytes: usize,
    name: String,
    catalog: &'a Catalog,
    fx: &'a FxRates,
    /// Which postings to keep in full (the others are only counted).
    retain: Retain,
    /// Every accepted row, in file order.
    pub(super) accepted: Vec<Accepted>,
    /// The ids of the accepted rows, one after another (ends in `id_ends`).
    id_text: String,
    id_ends: Vec<u32>,
    /// The postings kept.
    pub(super) postings: Vec<Posting>,
    pub(super) skill_refs: Vec<u32>,
    pub(super) companies: Interner,
    pub(super) locations: Interner,
    /// (canonical lower-case key, display name) per local skill id.
    pub(super) skills: Vec<(String, String)>,
    skill_by_key: HashMap<String, u32>,
    /// Lower-cased spelling as written → local skill id.
    skill_by_spelling: HashMap<String, u32>,
    /// Spelling exactly as written → local skill id.
    skill_by_written: HashMap<String, u32>,
    /// The parsing thread's titles, lent to the chunk while it parses.
    pub(super) titles: Titles,
    /// Whether job keys are computed (not when reposts are known not to be
    /// chained, or no posting is kept).
    job_keys: bool,
    pub(super) issues: Vec<Issue>,
    pub(super) rows_read: u64,
    pub(super) rejected: u64,
    pub(super) excluded: HashMap<Exclusion, u64>,
    lower: String,
    /// The normalised job key of the row being read (reused).
    key_buf: String,
}

impl<'a> Chunk<'a> {
    pub(super) fn new(
        file: usize,
        name: String,
        catalog: &'a Catalog,
        fx: &'a FxRates,
        titles: Titles,
        retain: Retain,
        job_keys: bool,
    ) -> Self {
        Chunk {
            file,
            bytes: 0,
            name,
            catalog,
            fx,
            retain,
            accepted: Vec::new(),
            id_text: String::new(),
            id_ends: Vec::new(),
            postings: Vec::new(),
            skill_refs: Vec::new(),
            companies: Interner::default(),
            locations: Interner::default(),
            skills: Vec::new(),
            skill_by_key: HashMap::default(),
            skill_by_spelling: HashMap::default(),
            skill_by_written: HashMap::default(),
            titles,
            job_keys,
            issues: Vec::new(),
            rows_read: 0,
            rejected: 0,
            excluded: HashMap::default(),
            lower: String::new(),
            key_buf: String::new(),
        }
    }

    /// The id of the `i`th accepted row.
    pub(super) fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.id_ends[i - 1] as usize };
        &self.id_text[start..self.id_ends[i] as usize]
    }

    fn issue(&mut self, line: u64, id: &str, kind: IssueKind, field: &str, reason: String) {
        self.issues.push(Issue {
            file: self.name.clone(),
            line,
            id: id.to_string(),
            kind,
            field: field.to_string(),
            reason,
        });
    }

    /// Rejects a row whose shape is wrong (field count, not JSON).
    pub(super) fn reject_shape(&mut self, line: u64, id: &str, reason: String) {
        self.rows_read += 1;
        self.rejected += 1;
        self.issue(line, id.trim(), IssueKind::Rejected, "(row)", reason);
    }

    /// Rejects a row because of one field.
    pub(super) fn reject_field(&mut self, line: u64, id: &str, field: &str, reason: String) {
        self.rows_read += 1;
        self.rejected += 1;
        self.issue(line, id.trim(), IssueKind::Rejected, field, reason);
    }

    /// Validates one row and keeps it as a posting, or records why not.
    pub(super) fn process(&mut self, line: u64, f: &[&str; COLUMNS.len()]) {
        // Each field trimmed once (the skills are split, then trimmed).
        let trimmed: [&str; COLUMNS.len()] = std::array::from_fn(|i| f[i].trim());
        let get = |c: Col| trimmed[c as usize];
        let id = get(Col::Id);
        for &c in REQUIRED {
            if get(c).is_empty() {
                return self.reject_field(line, id, c.name(), "required field is empty".into());
            }
        }
        let posted = match parse_date(get(Col::PostedAt)) {
            Some(d) => d,
            None => {
                let v = get(Col::PostedAt);
                return self.reject_field(line, id, "posted_at", not_a_date(v));
            }
        };
        let closed = match get(Col::ClosedAt) {
            "" => None,
            v => match parse_date(v) {
                Some(d) if d < posted => {
                    let reason = format!("{d} is before posted_at {posted}");
                    return self.reject_field(line, id, "closed_at", reason);
                }
                Some(d) => Some(d),
                None => return self.reject_field(line, id, "closed_at", not_a_date(v)),
            },
        };
        let title = get(Col::Title);
        let role_col = get(Col::Role);
        let role_from_col = if role_col.is_empty() {
            None
        } else {
            match self.catalog.role_by_name(role_col) {
                Some(r) => Some(r),
                None => {
                    let reason = format!("'{role_col}' names no role in roles.toml");
                    return self.reject_field(line, id, "role", reason);
                }
            }
        };
        self.rows_read += 1;

        let (title_role, title_seniority) = self.classify(title);
        let role = role_from_col.or(title_role);
        let seniority_text = get(Col::Seniority);
        let is = |v: &str, name: &str| v.eq_ignore_ascii_case(name);
        let seniority = match seniority_text {
            "" => title_seniority,
            v if is(v, "entry") => Seniority::Entry,
            v if is(v, "mid") => Seniority::Mid,
            v if is(v, "senior") => Seniority::Senior,
            other => {
                let reason =
                    format!("'{other}' is not entry, mid or senior; inferred from the title");
                self.issue(line, id, IssueKind::Warning, "seniority", reason);
                title_seniority
            }
        };
        let location_text = get(Col::Location);
        let arrangement = match get(Col::Remote) {
            "" if is(location_text, "remote") => Some(Arrangement::Remote),
            "" => None,
            v if is(v, "remote") || is(v, "true") => Some(Arrangement::Remote),
            v if is(v, "hybrid") => Some(Arrangement::Hybrid),
            v if is(v, "onsite") || is(v, "on-site") || is(v, "false") => Some(Arrangement::Onsite),
            other => {
                let reason = format!("'{other}' is not remote, hybrid or onsite; kept as unknown");
                self.issue(line, id, IssueKind::Warning, "remote", reason);
                None
            }
        };
        let salary = match salary::normalise(
            self.fx,
            get(Col::SalaryMin),
            get(Col::SalaryMax),
            get(Col::SalaryCurrency),
            get(Col::SalaryPeriod),
        ) {
            Ok(s) => s,
            Err(ex) => {
                *self.excluded.entry(ex.reason).or_default() += 1;
                let reason = format!("salary excluded: {}", ex.detail);
                self.issue(line, id, IssueKind::Warning, ex.field, reason);
                None
            }
        };
        let company = get(Col::Company);
        let key = if self.job_keys {
            super::jobs::job_key_with(&mut self.key_buf, company, title, location_text)
        } else {
            0
        };
        let kept = self.retain.keeps(posted, closed).then_some(self.postings.len() as u32);
        let start = self.skill_refs.len() as u32;
        for s in f[Col::Skills as usize].split(';') {
            let s = s.trim();
            if s.is_empty() {
                continue;
            }
            // Every row's spellings count towards a skill's name, kept or not.
            let sid = self.skill(s);
            if kept.is_some() && !self.skill_refs[start as usize..].contains(&sid) {
                self.skill_refs.push(sid);
            }
        }
        if kept.is_some() {
            let company =
                (!company.eq_ignore_ascii_case("unknown")).then(|| self.companies.get(company));
            let location = (!location_text.is_empty()).then(|| self.locations.get(location_text));
            self.postings.push(Posting {
                role,
                company,
                location,
                arrangement,
                seniority,
                salary,
                skills: (start, self.skill_refs.len() as u32),
                posted,
                closed,
                key,
                job: 0,
            });
        }
        self.accepted.push(Accepted {
            digest: id_digest(id),
            line,
            posted,
            key,
            kept,
            unclassified: role.is_none(),
        });
        self.id_text.push_str(id);
        self.id_ends.push(self.id_text.len() as u32);
    }

    fn classify(&mut self, title: &str) -> (Option<u16>, Seniority) {
        let catalog = self.catalog;
        self.titles.get_or(title, || (catalog.classify_title(title), seniority_from_title(title)))
    }

    /// Local id of a skill as written: aliases and case variants share one id.
    fn skill(&mut self, spelling: &str) -> u32 {
        // A spelling seen before in this block: its skill, whose name
        // already took this spelling into account.
        if let Some(&id) = self.skill_by_written.get(spelling) {
            return id;
        }
        let id = self.new_spelling(spelling);
        self.skill_by_written.insert(spelling.to_string(), id);
        id
    }

    fn new_spelling(&mut self, spelling: &str) -> u32 {
        self.lower.clear();
        if spelling.is_ascii() {
            self.lower.push_str(spelling);
            self.lower.make_ascii_lowercase();
        } else {
            self.lower.extend(spelling.chars().flat_map(char::to_lowercase));
        }
        if let Some(&id) = self.skill_by_spelling.get(self.lower.as_str()) {
            let entry = &mut self.skills[id as usize];
            if self.catalog.canonical_skill(&entry.0).is_none() && spelling < entry.1.as_str() {
                entry.1 = spelling.to_string();
            }
            return id;
        }
        let (key, display) = match self.catalog.canonical_skill(&self.lower) {
            Some(c) => (c.to_lowercase(), c.to_string()),
            None => (self.lower.clone(), spelling.to_string()),
        };
        let id = match self.skill_by_key.get(&key) {
            Some(&id) => {
                let entry = &mut self.skills[id as usize];
                if display < entry.1 && self.catalog.canonical_skill(&key).is_none() {
                    entry.1 = display;
                }
                id
            }
            None => {
                let id = self.skills.len() as u32;
                self.skills.push((key.clone(), display));
                self.skill_by_key.insert(key, id);
                id
            }
        };
        self.skill_by_spelling.insert(self.lower.clone(), id);
        id
    }
}

fn not_a_date(v: &str) -> String {
    format!("'{v}' is not a date (YYYY-MM-DD or RFC 3339)")
}

/// `YYYY-MM-DD`, or RFC 3339 of which the written date part is used.
pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            b[r].iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        return NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?);
    }
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|d| d.naive_local().date())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_take_both_forms() {
        assert_eq!(parse_date("2026-11-16"), NaiveDate::from_ymd_opt(2026, 11, 16));
        assert_eq!(parse_date("2026-11-16T23:30:00-05:00"), NaiveDate::from_ymd_opt(2026, 11, 16));
        assert_eq!(parse_date("2026-11-16T01:00:00Z"), NaiveDate::from_ymd_opt(2026, 11, 16));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("16/11/2026"), None);
        assert_eq!(parse_date("yesterday"), None);
    }
}
