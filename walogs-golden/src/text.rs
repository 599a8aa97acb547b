//! `expected.txt`: the same facts as `expected.json`, one per line, space-separated tokens,
//! for readers without a JSON parser (the C test). Absent values are absent lines; an empty
//! byte string is `-`.
//!
//! ```text
//! open read_only
//! first_lsn N | next_lsn N | purged_up_to N | tail_truncated_at N | user_data HEX
//! entry LSN HEX
//! error KIND DAMAGE FILE|- OFFSET|-
//! recovery TAIL|- BYTES_TRUNCATED MIGRATED_V1(0|1)
//! streams
//! topic NAME FIRST_LSN NEXT_LSN
//! record TOPIC LSN TIMESTAMP_MS DATA_HEX HEADER_HEX
//! consumer TOPIC NAME MODE PERSIST_EVERY POSITION
//! ```

use std::fmt::Write as _;

use crate::model::{Expected, OpenMode};

/// `-` for an empty token, the token otherwise.
fn tok(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

/// `-` for `None`, the number otherwise.
fn num(n: Option<u64>) -> String {
    n.map_or_else(|| "-".to_string(), |n| n.to_string())
}

/// Render `e` in the line format. Costs one pass over the expected values.
pub fn render(e: &Expected) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(match e.open {
        OpenMode::ReadOnly => "open read_only".to_string(),
    });
    let numbers = [
        ("first_lsn", e.first_lsn),
        ("next_lsn", e.next_lsn),
        ("purged_up_to", e.purged_up_to),
        ("tail_truncated_at", e.tail_truncated_at),
    ];
    for (name, value) in numbers {
        if let Some(n) = value {
            line(format!("{name} {n}"));
        }
    }
    if let Some(u) = &e.user_data {
        line(format!("user_data {}", tok(u)));
    }
    for (lsn, data) in &e.entries {
        line(format!("entry {lsn} {}", tok(data)));
    }
    if let Some(err) = &e.error {
        let file = err.file.as_deref().unwrap_or("-");
        line(format!(
            "error {} {} {file} {}",
            err.kind,
            err.damage,
            num(err.offset)
        ));
    }
    if let Some(r) = &e.recovery {
        line(format!(
            "recovery {} {} {}",
            num(r.tail_truncated_at),
            r.bytes_truncated,
            u8::from(r.migrated_v1)
        ));
    }
    if let Some(s) = &e.streams {
        line("streams".to_string());
        for t in &s.topics {
            line(format!("topic {} {} {}", t.name, t.first_lsn, t.next_lsn));
            for r in &t.records {
                let mut l = String::new();
                let _ = write!(
                    l,
                    "record {} {} {} {} {}",
                    t.name,
                    r.lsn,
                    r.timestamp_ms,
                    tok(&r.data),
                    tok(&r.header)
                );
                line(l);
            }
        }
        for c in &s.consumers {
            line(format!(
                "consumer {} {} {} {} {}",
                c.topic, c.name, c.mode, c.persist_every, c.position
            ));
        }
    }
    out
}
