//! Shared domain types passed between the pipeline stages: weeks, postings,
//! and the small value types that know how to format themselves.
//!
//! Everything here is plain data; nothing reads files or the clock.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO week (Monday to Sunday), written `2026-W48`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    year: i32,
    week: u32,
}

impl IsoWeek {
    /// The ISO week that contains `date`.
    pub fn containing(date: NaiveDate) -> Self {
        let w = date.iso_week();
        IsoWeek { year: w.year(), week: w.week() }
    }

    /// Monday of the week.
    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("an IsoWeek is only built from a valid year and week")
    }

    /// Sunday of the week.
    pub fn sunday(self) -> NaiveDate {
        self.monday() + Days::new(6)
    }

    /// The week before.
    pub fn prev(self) -> Self {
        Self::containing(self.monday() - Days::new(7))
    }

    /// The week after.
    pub fn next(self) -> Self {
        Self::containing(self.monday() + Days::new(7))
    }

    /// The weeks from `self` to `last`, both included (empty when `last` is earlier).
    pub fn through(self, last: IsoWeek) -> Vec<IsoWeek> {
        let mut out = Vec::new();
        let mut w = self;
        while w <= last {
            out.push(w);
            w = w.next();
        }
        out
    }

    /// `count` weeks ending with `self`, oldest first.
    pub fn trailing(self, count: usize) -> Vec<IsoWeek> {
        let mut out = Vec::with_capacity(count);
        let mut w = self;
        for _ in 0..count {
            out.push(w);
            w = w.prev();
        }
        out.reverse();
        out
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

/// Why a week label did not parse.
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not an ISO week (expected the form 2026-W48)")]
pub struct BadWeek(String);

impl FromStr for IsoWeek {
    type Err = BadWeek;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadWeek(s.to_string());
        let (y, w) = s.trim().split_once(['W', 'w']).ok_or_else(bad)?;
        let y = y.strip_suffix('-').unwrap_or(y);
        let year: i32 = y.parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(IsoWeek { year, week })
    }
}

/// A range of ISO weeks, both ends included, written `2026-W30..2026-W47`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekRange {
    /// The first week.
    pub first: IsoWeek,
    /// The last week (not before `first`).
    pub last: IsoWeek,
}

impl WeekRange {
    /// Every week of the range, oldest first.
    pub fn weeks(self) -> Vec<IsoWeek> {
        self.first.through(self.last)
    }
}

/// Why a week range did not parse.
#[derive(Debug, thiserror::Error)]
#[error(
    "'{0}' is not a range like 2026-W30..2026-W47 (first week, two dots, a week not before it)"
)]
pub struct BadWeekRange(String);

impl FromStr for WeekRange {
    type Err = BadWeekRange;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadWeekRange(s.to_string());
        let (a, b) = s.split_once("..").ok_or_else(bad)?;
        let (first, last): (IsoWeek, IsoWeek) =
            (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
        if last < first {
            return Err(bad());
        }
        Ok(WeekRange { first, last })
    }
}

impl Serialize for IsoWeek {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoWeek {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Work arrangement of a posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arrangement {
    /// Fully remote.
    Remote,
    /// Partly remote.
    Hybrid,
    /// On site.
    Onsite,
}

/// Seniority band of a posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Seniority {
    /// Entry level (junior, graduate, intern, associate).
    Entry,
    /// Mid level (the default).
    Mid,
    /// Senior and above (staff, principal, lead, director, …).
    Senior,
}

/// A usable salary, already annualised and converted to USD.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Salary {
    /// Lower bound (equal to `high` when only one bound was given).
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Salary {
    /// The salary point: the mean of the bounds.
    pub fn point(&self) -> f64 {
        (self.low + self.high) / 2.0
    }
}

/// One accepted posting, with its strings interned in the [`crate::ingest::Dataset`].
#[derive(Debug, Clone, PartialEq)]
pub struct Posting {
    /// Index of the role in `roles.toml`, or `None` when unclassified.
    pub role: Option<u16>,
    /// Interned company, `None` when empty or `Unknown`.
    pub company: Option<u32>,
    /// Interned location, `None` when empty.
    pub location: Option<u32>,
    /// Work arrangement, `None` when unknown.
    pub arrangement: Option<Arrangement>,
    /// Seniority band.
    pub seniority: Seniority,
    /// Usable salary, `None` when undisclosed or excluded.
    pub salary: Option<Salary>,
    /// Range into [`crate::ingest::Dataset::skill_refs`] (deduplicated skill ids).
    pub skills: (u32, u32),
    /// Date the posting opened.
    pub posted: NaiveDate,
    /// Date the posting closed, `None` while open.
    pub closed: Option<NaiveDate>,
    /// Its job's identity: a hash of the normalised company, title and
    /// location (`crate::ingest::jobs`); 0 when read with reposts not
    /// chained (`window_days = 0`).
    pub key: u64,
    /// The job it belongs to (an index; reposts share one). Every posting is
    /// its own job until `crate::ingest::jobs::chain` says otherwise.
    pub job: u32,
}

impl Posting {
    /// Whether the posting is open at some point of `week`.
    pub fn is_open_in(&self, week: IsoWeek) -> bool {
        self.posted <= week.sunday() && self.closed.is_none_or(|c| c >= week.monday())
    }
}

/// Bytes as lower-case hex (digests, tokens).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn week_round_trips_and_knows_its_days() {
        let w: IsoWeek = "2026-W47".parse().unwrap();
        assert_eq!(w.to_string(), "2026-W47");
        assert_eq!(w.monday().to_string(), "2026-11-16");
        assert_eq!(w.sunday().to_string(), "2026-11-22");
        assert_eq!(w.prev().to_string(), "2026-W46");
        let first: IsoWeek = "2021-W01".parse().unwrap();
        assert_eq!(first.prev().to_string(), "2020-W53");
        assert!("2026-W54".parse::<IsoWeek>().is_err());
        assert!("2026-11-16".parse::<IsoWeek>().is_err());
        assert_eq!(w.trailing(3).len(), 3);
        assert_eq!(w.trailing(3)[0].to_string(), "2026-W45");
    }

    #[test]
    fn week_ranges_parse_in_order_only() {
        // 2026 has a week 53.
        let r: WeekRange = "2026-W52..2027-W02".parse().unwrap();
        assert_eq!(r.weeks().len(), 4);
        assert!("2026-W47..2026-W46".parse::<WeekRange>().is_err());
        assert!("2026-W47".parse::<WeekRange>().is_err());
        assert!("2026-W47..".parse::<WeekRange>().is_err());
    }
}
