//! Every golden vector under `tests/golden/`, seen through the command line (on a copy):
//! `walogs verify` gives the status, exit code, LSNs, torn-tail offset or the damage of
//! `expected.json`; `walogs dump` prints exactly its entries (or, for damage, ends with the
//! same damage); `walogs user-data` prints its user data.

mod common;

use common::*;
use serde_json::Value;
use walogs_golden::Vector;

/// `MidLog` -> `mid_log`: the CLI's spelling of a damage kind.
fn snake(kind: &str) -> String {
    let mut out = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// The damage object `d` against the vector's expected error.
fn check_damage(d: &Value, v: &Vector) {
    let want = v.expected.error.as_ref().unwrap();
    assert_eq!(d["kind"], snake(&want.damage), "{d}");
    assert_eq!(d["file"].as_str(), want.file.as_deref(), "{d}");
    assert_eq!(d["offset"].as_u64(), want.offset, "{d}");
}

fn check(v: &Vector) {
    let e = &v.expected;
    let (_t, dir) = v.copy().unwrap();
    let verify = walogs(&["--json", "verify", p(&dir)]);
    let out = verify.json();
    let dump = walogs(&["--json", "dump", p(&dir)]);
    let lines = dump.json_lines();
    if e.error.is_some() {
        assert_eq!(verify.code, 3, "verify: {}", verify.stdout);
        assert_eq!(out["status"], "corrupt");
        check_damage(&out["damage"], v);
        let last = lines.last().expect("dump prints the error");
        check_damage(&last["error"]["damage"], v);
        return;
    }
    let torn = e.tail_truncated_at.is_some();
    assert_eq!(verify.code, if torn { 2 } else { 0 }, "{}", verify.stdout);
    assert_eq!(out["entries"], e.entries.len());
    assert_eq!(out["first_lsn"].as_u64(), e.first_lsn);
    assert_eq!(out["next_lsn"].as_u64(), e.next_lsn);
    assert_eq!(out["tail"]["offset"].as_u64(), e.tail_truncated_at);
    assert_eq!(dump.code, 0, "dump: {}", dump.stderr);
    let entries: Vec<(u64, String)> = lines
        .iter()
        .map(|l| {
            let hex = l["hex"].as_str().expect("hex").to_string();
            (l["lsn"].as_u64().expect("lsn"), hex)
        })
        .collect();
    assert_eq!(entries, e.entries, "dump");
    let ud = walogs(&["--json", "user-data", p(&dir)]);
    assert_eq!(ud.code, 0, "user-data: {}", ud.stderr);
    assert_eq!(ud.json()["hex"].as_str(), e.user_data.as_deref());
}

#[test]
fn every_golden_vector_through_verify_dump_and_user_data() {
    let vectors = walogs_golden::vectors().unwrap();
    assert!(!vectors.is_empty(), "no vectors under tests/golden");
    for v in &vectors {
        if let Err(p) = std::panic::catch_unwind(|| check(v)) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("vector {}: {msg}", v.name);
        }
    }
}
