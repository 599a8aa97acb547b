//! The one place where a harness may tolerate a core bug: known bugs that are reported to the
//! core's owner and not fixed yet.
//!
//! Each entry carries its own minimal reproduction ([`KnownBug::check`], `Err` while the bug
//! is there), so a tolerated bug cannot outlive its fix: the test `known_bugs_still_reproduce`
//! (`tests/known_bugs.rs`) fails as soon as a check passes, and then the entry must go. A
//! harness violation whose text contains every string of an entry's `signature` is counted
//! under the entry's id instead of failing the run; `WALOGS_TORTURE_STRICT=1` turns that off.
//!
//! To add one: write the reproduction as a `check` function here (it must return `Err` on
//! today's core), give the entry the narrowest signature that matches the violations it
//! explains, and describe it in the report to the core's owner.

use std::sync::OnceLock;

/// One known, reported core bug.
#[derive(Debug)]
pub struct KnownBug {
    /// Short id used in figures.
    pub id: &'static str,
    /// What is wrong.
    pub title: &'static str,
    /// Substrings that must all occur in a harness violation's text for it to be this bug
    /// (empty: never matches).
    pub signature: &'static [&'static str],
    /// Minimal reproduction on the current core: `Ok` when the core behaves correctly,
    /// `Err(what went wrong)` while the bug is there.
    pub check: fn() -> Result<(), String>,
}

/// The known core bugs still open (reproductions in [`crate::repro`]; those of bugs fixed
/// since run as regression tests in `tests/core_findings.rs`).
pub const KNOWN: &[KnownBug] = &[];

/// Whether tolerance is off (`WALOGS_TORTURE_STRICT=1`).
pub fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var("WALOGS_TORTURE_STRICT").is_ok_and(|v| v == "1"))
}

/// The known bug `message` is an instance of, if any (never in strict mode).
pub fn classify(message: &str) -> Option<&'static KnownBug> {
    classify_in(KNOWN, message)
}

fn classify_in(known: &'static [KnownBug], message: &str) -> Option<&'static KnownBug> {
    if strict() {
        return None;
    }
    known
        .iter()
        .find(|b| !b.signature.is_empty() && b.signature.iter().all(|s| message.contains(s)))
}

/// Sort `(violation text, item)` pairs: the ids of the known bugs that explain some, and the
/// items no known bug explains.
pub fn partition<T>(items: impl IntoIterator<Item = (String, T)>) -> (Vec<&'static str>, Vec<T>) {
    let mut known = Vec::new();
    let mut rest = Vec::new();
    for (msg, item) in items {
        match classify(&msg) {
            Some(b) => known.push(b.id),
            None => rest.push(item),
        }
    }
    (known, rest)
}

/// For a figure line: `""` when nothing was tolerated, else `", plus N tolerated as known
/// core bugs (T1 ×N, ...)"`.
pub fn tolerated_note(ids: &[&'static str]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let mut per: Vec<(&str, usize)> = Vec::new();
    for id in ids {
        match per.iter_mut().find(|(k, _)| k == id) {
            Some((_, n)) => *n += 1,
            None => per.push((id, 1)),
        }
    }
    let list: Vec<String> = per.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
    format!(
        ", plus {} tolerated as known core bugs ({})",
        ids.len(),
        list.join(", ")
    )
}

/// A harness's violations sorted into known bugs and real failures.
#[derive(Debug, Default)]
pub struct Triage {
    /// `(bug id, violation)` for every violation a known bug explains.
    pub known: Vec<(&'static str, String)>,
    /// Every other violation: each one fails the harness.
    pub unknown: Vec<String>,
}

impl Triage {
    /// Sort `violations` (their full texts, including what reproduces them).
    pub fn of(violations: impl IntoIterator<Item = String>) -> Triage {
        let mut t = Triage::default();
        for v in violations {
            match classify(&v) {
                Some(b) => t.known.push((b.id, v)),
                None => t.unknown.push(v),
            }
        }
        t
    }

    /// Print a summary line of what was tolerated, and the first violations; panic if any
    /// violation is not a known bug. For tests.
    pub fn assert_clean(&self, harness: &str) {
        if let Some((id, first)) = self.known.first() {
            println!(
                "{harness}: {} violations tolerated as known core bugs (first: {id}: {first})",
                self.known.len()
            );
        }
        for v in self.unknown.iter().take(10) {
            println!("VIOLATION ({harness}): {v}");
        }
        assert!(
            self.unknown.is_empty(),
            "{harness}: {} violations (first: {})",
            self.unknown.len(),
            self.unknown[0]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reproduces() -> Result<(), String> {
        Err("still there".into())
    }

    #[test]
    fn every_signature_names_a_harness_violation_narrowly() {
        for b in KNOWN {
            assert!(
                b.signature.len() >= 2,
                "{}: a signature of one string is too wide",
                b.id
            );
        }
    }

    static SAMPLE: [KnownBug; 2] = [
        KnownBug {
            id: "K1",
            title: "sample",
            signature: &["acknowledged", "lost"],
            check: reproduces,
        },
        KnownBug {
            id: "K2",
            title: "listed only",
            signature: &[],
            check: reproduces,
        },
    ];

    #[test]
    fn a_signature_matches_only_with_every_part() {
        if strict() {
            return;
        }
        assert_eq!(
            classify_in(&SAMPLE, "run 3: acknowledged entries lost").map(|b| b.id),
            Some("K1")
        );
        assert!(classify_in(&SAMPLE, "run 3: acknowledged twice").is_none());
        assert!(classify_in(&SAMPLE, "").is_none());
        assert!((SAMPLE[0].check)().is_err());
    }
}
