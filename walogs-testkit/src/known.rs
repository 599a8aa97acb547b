//! The one mechanism by which a harness may tolerate a core bug: a self-expiring registry of
//! known, reported core bugs that are not fixed yet. Each harness crate keeps only its list
//! (a [`Registry`] constant); the matching, the strict switch, the triage and the expiry
//! check live here.
//!
//! Each entry carries its own minimal reproduction ([`KnownBug::check`], `Err` while the bug
//! is there), so a tolerated bug cannot outlive its fix: every harness crate has a test that
//! calls [`Registry::assert_still_reproduce`], which fails as soon as a check passes; the
//! entry must then go (its reproduction becomes a regression test beside the core) and the
//! harnesses hold the core to the fix. A violation whose text contains every string of an
//! entry's `signature` is counted under the entry's id instead of failing the run.
//!
//! Strict mode turns that off (every violation counts): `WALOGS_STRICT=1`, or the
//! registry's own older variable ([`Registry::strict_alias`], e.g. `WALOGS_SIM_STRICT=1`).

/// One known, reported core bug.
#[derive(Debug)]
pub struct KnownBug {
    /// Short id used in figures and summary lines.
    pub id: &'static str,
    /// What is wrong.
    pub title: &'static str,
    /// Substrings that must all occur in a harness violation's text for it to be this bug
    /// (empty: never matches; the bug is listed only because the harnesses avoid it).
    pub signature: &'static [&'static str],
    /// Minimal reproduction on the current core: `Ok` when the core behaves correctly,
    /// `Err(what went wrong)` while the bug is there.
    pub check: fn() -> Result<(), String>,
    /// How to see it in a harness.
    pub repro: &'static str,
}

impl KnownBug {
    /// Whether `message` contains every string of the signature (never for an empty one).
    /// Costs one substring search per signature string.
    pub fn matches(&self, message: &str) -> bool {
        !self.signature.is_empty() && self.signature.iter().all(|s| message.contains(s))
    }
}

/// A harness crate's list of known core bugs, with where it lives (for the messages that
/// tell a maintainer what to delete) and the crate's older strict variable.
#[derive(Debug)]
pub struct Registry {
    /// The entries.
    pub bugs: &'static [KnownBug],
    /// The file that holds the list, relative to the repository root.
    pub file: &'static str,
    /// The test file the reproduction of a fixed bug moves to, relative to the repository
    /// root.
    pub regressions: &'static str,
    /// The harness's own strict variable, kept as an alias of `WALOGS_STRICT`.
    pub strict_alias: &'static str,
}

/// What running every entry's reproduction found.
#[derive(Debug, Default)]
pub struct Expiry {
    /// `(bug, what its check reported)` for every bug that still reproduces.
    pub reproducing: Vec<(&'static KnownBug, String)>,
    /// The bugs whose check passes: fixed in the core, their entries must go.
    pub fixed: Vec<&'static KnownBug>,
}

impl Registry {
    /// Whether tolerance is off: `WALOGS_STRICT=1` or `<strict_alias>=1`. Reads the two
    /// environment variables on every call (cheap; lets a test set them).
    pub fn strict(&self) -> bool {
        let on = |var: &str| std::env::var(var).is_ok_and(|v| v == "1");
        on("WALOGS_STRICT") || on(self.strict_alias)
    }

    /// The known bug `message` is an instance of, if any (never in strict mode).
    pub fn classify(&self, message: &str) -> Option<&'static KnownBug> {
        if self.strict() {
            return None;
        }
        self.bugs.iter().find(|b| b.matches(message))
    }

    /// Sort `(violation text, item)` pairs: the ids of the known bugs that explain some,
    /// and the items no known bug explains.
    pub fn partition<T>(
        &self,
        items: impl IntoIterator<Item = (String, T)>,
    ) -> (Vec<&'static str>, Vec<T>) {
        let mut known = Vec::new();
        let mut rest = Vec::new();
        for (msg, item) in items {
            match self.classify(&msg) {
                Some(b) => known.push(b.id),
                None => rest.push(item),
            }
        }
        (known, rest)
    }

    /// Sort `violations` (their full texts, including what reproduces them) into known
    /// bugs and real failures.
    pub fn triage(&self, violations: impl IntoIterator<Item = String>) -> Triage {
        let mut t = Triage::default();
        for v in violations {
            match self.classify(&v) {
                Some(b) => t.known.push((b.id, v)),
                None => t.unknown.push(v),
            }
        }
        t
    }

    /// Run every entry's reproduction (their cost: each builds a small log on the real file
    /// system).
    pub fn expiry(&self) -> Expiry {
        let mut e = Expiry::default();
        for bug in self.bugs {
            match (bug.check)() {
                Err(what) => e.reproducing.push((bug, what)),
                Ok(()) => e.fixed.push(bug),
            }
        }
        e
    }

    /// Every way the entries are malformed: an empty id, title or `repro`, a duplicate id,
    /// an empty signature string, or a signature of one string (too wide).
    pub fn malformed(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, b) in self.bugs.iter().enumerate() {
            if b.id.is_empty() || b.title.is_empty() || b.repro.is_empty() {
                out.push(format!(
                    "entry {i} ({}): id, title and repro are required",
                    b.id
                ));
            }
            if self.bugs[..i].iter().any(|o| o.id == b.id) {
                out.push(format!("{}: id used twice", b.id));
            }
            if b.signature.iter().any(|s| s.is_empty()) {
                out.push(format!(
                    "{}: an empty signature string matches anything",
                    b.id
                ));
            }
            if b.signature.len() == 1 {
                out.push(format!("{}: a signature of one string is too wide", b.id));
            }
        }
        out
    }

    /// The self-expiry test: print what still reproduces and panic if any entry is
    /// malformed or its bug is fixed (naming the entries to delete and where their
    /// reproductions go).
    pub fn assert_still_reproduce(&self) {
        let bad = self.malformed();
        assert!(bad.is_empty(), "{}: {}", self.file, bad.join("; "));
        let e = self.expiry();
        for (bug, what) in &e.reproducing {
            println!(
                "known core bug {} ({}) still reproduces: {what}",
                bug.id, bug.title
            );
        }
        println!("known core bugs tolerated: {}", self.bugs.len());
        let fixed: Vec<&str> = e.fixed.iter().map(|b| b.id).collect();
        assert!(
            fixed.is_empty(),
            "fixed in the core: delete from {} and move the reproduction to {}: {fixed:?}",
            self.file,
            self.regressions
        );
    }
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

/// A harness's violations sorted into known bugs and real failures ([`Registry::triage`]).
#[derive(Debug, Default)]
pub struct Triage {
    /// `(bug id, violation)` for every violation a known bug explains.
    pub known: Vec<(&'static str, String)>,
    /// Every other violation: each one fails the harness.
    pub unknown: Vec<String>,
}

impl Triage {
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

    fn fixed() -> Result<(), String> {
        Ok(())
    }

    static SAMPLE: Registry = Registry {
        bugs: &[
            KnownBug {
                id: "K1",
                title: "sample",
                signature: &["acknowledged", "lost"],
                check: reproduces,
                repro: "run the sample",
            },
            KnownBug {
                id: "K2",
                title: "listed only",
                signature: &[],
                check: fixed,
                repro: "avoided",
            },
        ],
        file: "known.rs",
        regressions: "regressions.rs",
        strict_alias: "WALOGS_TESTKIT_SAMPLE_STRICT",
    };

    #[test]
    fn a_signature_matches_only_with_every_part() {
        assert!(SAMPLE.bugs[0].matches("run 3: acknowledged entries lost"));
        assert!(!SAMPLE.bugs[0].matches("run 3: acknowledged twice"));
        assert!(!SAMPLE.bugs[1].matches("anything"));
        if SAMPLE.strict() {
            assert!(SAMPLE.classify("acknowledged entries lost").is_none());
            return;
        }
        assert_eq!(
            SAMPLE.classify("acknowledged entries lost").map(|b| b.id),
            Some("K1")
        );
        let t = SAMPLE.triage(["acknowledged lost".to_string(), "other".to_string()]);
        assert_eq!(t.known.len(), 1);
        assert_eq!(t.unknown, ["other"]);
        assert_eq!(
            tolerated_note(&["K1", "K1", "K2"]),
            ", plus 3 tolerated as known core bugs (K1 ×2, K2 ×1)"
        );
        assert_eq!(tolerated_note(&[]), "");
    }

    #[test]
    fn expiry_sorts_reproducing_from_fixed_and_lint_finds_wide_signatures() {
        let e = SAMPLE.expiry();
        assert_eq!(e.reproducing.len(), 1);
        assert_eq!(e.reproducing[0].0.id, "K1");
        assert_eq!(e.fixed.iter().map(|b| b.id).collect::<Vec<_>>(), ["K2"]);
        assert!(SAMPLE.malformed().is_empty());
        static WIDE: Registry = Registry {
            bugs: &[KnownBug {
                id: "W",
                title: "",
                signature: &[""],
                check: reproduces,
                repro: "",
            }],
            file: "",
            regressions: "",
            strict_alias: "WALOGS_TESTKIT_SAMPLE_STRICT",
        };
        assert_eq!(WIDE.malformed().len(), 3);
    }
}
