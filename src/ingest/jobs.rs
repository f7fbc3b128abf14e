//! Reposts are one job (spec section 10.1). Job boards repost the same job
//! every few weeks; counting each repost would inflate demand and weigh
//! long-open jobs more in every salary figure.
//!
//! Two postings are the same job when their company, title and location are
//! equal after [`normalise`] and they form a chain: sorted by `posted_at`
//! (then file order), a posting joins the job of the posting before it when
//! it was posted at most `window_days` days after that one.

use std::hash::{BuildHasher, Hasher};

use rayon::prelude::*;

use super::Dataset;

/// Lowercase; every run of characters other than letters, digits, `+` and
/// `#` becomes one space; trimmed (so `C++` and `C#` stay apart from `C`).
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalise_into(text, &mut out);
    out
}

/// [`normalise`], appending to `out` (which must be empty or end a part).
fn normalise_into(text: &str, out: &mut String) {
    let start = out.len();
    let mut gap = false;
    for c in text.chars() {
        let keep = if c.is_ascii() {
            c.is_ascii_alphanumeric() || c == '+' || c == '#'
        } else {
            c.is_alphanumeric()
        };
        if keep {
            if gap && out.len() > start {
                out.push(' ');
            }
            gap = false;
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            gap = true;
        }
    }
}

/// The identity of a posting's job: a 64-bit hash of its normalised
/// company, title and location. (A collision between two different keys is
/// about as likely as 1 in 10^7 among a million distinct jobs.)
pub fn job_key(company: &str, title: &str, location: &str) -> u64 {
    job_key_with(&mut String::new(), company, title, location)
}

/// [`job_key`] with a buffer the caller reuses from row to row.
pub fn job_key_with(buf: &mut String, company: &str, title: &str, location: &str) -> u64 {
    buf.clear();
    for part in [company, title, location] {
        normalise_into(part, buf);
        buf.push('\u{1f}');
    }
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(buf.as_bytes());
    h.finish()
}

/// Marks a posting that links jobs but is not kept (see [`chain`]).
pub(super) const BRIDGE: u32 = u32::MAX;

/// Assigns every kept posting its job (`Posting::job`, an index): postings
/// with the same key chain into one job while each follows the one before
/// within `window_days`; `0` makes every posting its own job. Accepted
/// postings that were not kept still link the kept ones they fall between.
/// Returns the number of jobs among the kept postings.
pub fn chain(ds: &mut Dataset, window_days: u32) -> u32 {
    ds.dedup_window_days = Some(window_days);
    let n = ds.postings.len();
    if window_days == 0 {
        for (i, p) in ds.postings.iter_mut().enumerate() {
            p.job = i as u32;
        }
        return n as u32;
    }
    // The kept postings join the bridges, sorted in place.
    let mut order = std::mem::take(&mut ds.bridges);
    order.extend(ds.postings.iter().enumerate().map(|(i, p)| (p.key, p.posted, i as u32)));
    order.par_sort_unstable();
    // Jobs are numbered in key and date order; a job with no kept posting
    // takes no number. (Postings of one key on one day always share a job,
    // so the order among them does not matter.)
    let mut jobs = 0u32;
    let mut current: Option<u32> = None;
    let mut prev: Option<(u64, chrono::NaiveDate)> = None;
    for &(key, posted, i) in &order {
        let joins = prev
            .is_some_and(|(k, d)| k == key && (posted - d).num_days() <= i64::from(window_days));
        if !joins {
            current = None;
        }
        if i != BRIDGE {
            let job = *current.get_or_insert_with(|| {
                jobs += 1;
                jobs - 1
            });
            ds.postings[i as usize].job = job;
        }
        prev = Some((key, posted));
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_keeps_letters_digits_plus_and_hash() {
        assert_eq!(
            normalise("  Senior  ML-Ops   Engineer (m/f/d) "),
            "senior ml ops engineer m f d"
        );
        assert_eq!(normalise("C++ / C# Developer"), "c++ c# developer");
        assert_eq!(normalise("San Francisco, CA"), normalise("san francisco ca"));
        assert_ne!(normalise("C++ Developer"), normalise("C Developer"));
        assert_eq!(normalise("Zürich"), "zürich");
        assert_eq!(
            job_key("Acme, Inc.", "MLOps Engineer", "Remote"),
            job_key("acme inc", "mlops  engineer", "REMOTE")
        );
    }
}
