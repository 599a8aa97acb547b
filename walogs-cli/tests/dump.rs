//! `walogs dump`: every format, ranges, and its exit codes on healthy, torn and damaged logs.

mod common;

use common::*;
use walogs_core::WalOptions;

#[test]
fn json_lines_hold_every_entry_exactly() {
    let d = tempfile::tempdir().unwrap();
    let all = healthy(d.path());
    let r = walogs(&["dump", "--format", "json", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = r.json_lines();
    assert_eq!(lines.len() as u64, ENTRIES);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["lsn"], i as u64 + 1);
        assert_eq!(l["len"], all[i].len());
        assert_eq!(hex_decode(l["hex"].as_str().unwrap()), all[i]);
        assert_eq!(l["utf8"].as_str().unwrap().as_bytes(), all[i].as_slice());
    }
    // The global --json selects the same format.
    assert_eq!(walogs(&["--json", "dump", p(d.path())]).stdout, r.stdout);
}

#[test]
fn ranges_and_text_format() {
    let d = tempfile::tempdir().unwrap();
    let all = healthy(d.path());
    let r = walogs(&["dump", "--from", "10", "--to", "12", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    for (k, line) in lines.iter().enumerate() {
        let lsn = 10 + k;
        let e = &all[lsn - 1];
        let want = format!("{lsn}\t{}\t{}", e.len(), String::from_utf8_lossy(e));
        assert_eq!(*line, want);
    }
    // --to past the end stops at the last entry; --from past --to prints nothing.
    let tail = walogs(&["dump", "--from", "199", "--to", "5000", p(d.path())]);
    assert_eq!(tail.stdout.lines().count(), 2);
    let none = walogs(&["dump", "--from", "50", "--to", "40", p(d.path())]);
    assert_eq!((none.code, none.stdout.as_str()), (0, ""));
}

#[test]
fn binary_payloads_in_hex_and_escaped_text() {
    let d = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..=255u8).collect();
    let mut wal = WalOptions::new().open(d.path()).unwrap();
    wal.append(&bytes).unwrap();
    wal.append(b"").unwrap();
    close(wal);

    let j = walogs(&["--json", "dump", p(d.path())]).json_lines();
    assert_eq!(hex_decode(j[0]["hex"].as_str().unwrap()), bytes);
    assert!(j[0]["utf8"].is_null());
    assert_eq!(
        (j[1]["len"].as_u64(), j[1]["hex"].as_str()),
        (Some(0), Some(""))
    );

    let h = walogs(&["dump", "--format", "hex", "--to", "1", p(d.path())]);
    let lines: Vec<&str> = h.stdout.lines().collect();
    assert_eq!(lines[0], "lsn 1 len 256");
    assert_eq!(lines.len(), 1 + 16);
    assert!(
        lines[1].starts_with("  00000000  00 01 02 03"),
        "{}",
        lines[1]
    );
    assert!(lines[16].starts_with("  000000f0  f0 f1"), "{}", lines[16]);

    let t = walogs(&["dump", "--to", "1", p(d.path())]);
    assert!(t.stdout.starts_with("1\t256\t\\x00\\x01"), "{}", t.stdout);
    assert!(t.stdout.trim_end().ends_with("\\xfe\\xff"));
    assert_eq!(
        t.stdout.lines().count(),
        1,
        "escaped text stays on one line"
    );
}

#[test]
fn torn_log_dumps_the_intact_entries_and_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    torn(d.path());
    let before = snapshot(d.path());
    let r = walogs(&["--json", "dump", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json_lines().len() as u64, ENTRIES - 1);
    assert_eq!(snapshot(d.path()), before);
}

#[test]
fn damaged_log_exits_3_and_bad_ranges_exit_1() {
    let d = tempfile::tempdir().unwrap();
    damaged_completed(d.path());
    let r = walogs(&["dump", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("wal-000001.log"), "{}", r.stderr);

    let h = tempfile::tempdir().unwrap();
    healthy(h.path());
    let r = walogs(&["--json", "dump", "--from", "500", p(h.path())]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["kind"], "lsn_out_of_range");
    let r = walogs(&["dump", "--format", "yaml", p(h.path())]);
    assert_eq!(r.code, 1, "usage errors exit 1");
}

#[test]
fn works_while_a_writer_holds_the_lock() {
    let d = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new().open(d.path()).unwrap();
    wal.append(b"one").unwrap();
    wal.append(b"two").unwrap();
    let r = walogs(&["dump", p(d.path())]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "1\t3\tone\n2\t3\ttwo\n");
    wal.append(b"three").unwrap();
    close(wal);
}

/// Damage inside a completed segment: the entries before it are printed (and none after),
/// then the error; every format; exit 3.
#[test]
fn damage_in_an_older_segment_prints_the_entries_before_it() {
    let d = tempfile::tempdir().unwrap();
    let all = healthy(d.path());
    let dmg = damage_frame(d.path(), 1, 2);
    let good = dmg.lsn - 1;

    let r = walogs(&["dump", "--format", "json", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let lines = r.json_lines();
    assert_eq!(
        lines.len() as u64,
        good + 1,
        "entries then one error object"
    );
    for (i, l) in lines[..good as usize].iter().enumerate() {
        assert_eq!(l["lsn"], i as u64 + 1);
        assert_eq!(hex_decode(l["hex"].as_str().unwrap()), all[i]);
    }
    let e = &lines[good as usize]["error"];
    assert_eq!(e["kind"], "corrupt");
    assert_eq!(e["exit_code"], 3);
    assert_eq!(e["file"], dmg.file);
    assert_eq!(e["offset"], dmg.offset);
    assert_eq!(e["damage"]["last_good_lsn"], good);
    assert_eq!(e["damage"]["kind"], "completed_segment");
    assert_eq!(e["damage"]["salvageable"], false);
    assert_eq!(
        e["damage"]["first_lsn_after"],
        dmg.next_segment_lsn.unwrap()
    );
    assert!(r.stderr.contains(&dmg.file), "{}", r.stderr);

    let t = walogs(&["dump", p(d.path())]);
    assert_eq!(t.code, 3);
    assert_eq!(t.stdout.lines().count() as u64, good);
    assert!(
        t.stdout
            .lines()
            .last()
            .unwrap()
            .starts_with(&format!("{good}\t"))
    );
    assert!(t.stderr.contains("wal corrupt"), "{}", t.stderr);
    assert!(
        t.stderr.contains(&format!("offset {}", dmg.offset)),
        "{}",
        t.stderr
    );

    let h = walogs(&["dump", "--format", "hex", p(d.path())]);
    assert_eq!(h.code, 3);
    let heads: Vec<&str> = h.stdout.lines().filter(|l| l.starts_with("lsn ")).collect();
    assert_eq!(heads.len() as u64, good);

    // The global --json prints the same, with the error object last.
    assert_eq!(walogs(&["--json", "dump", p(d.path())]).stdout, r.stdout);

    // Ranges: inside the readable part, and past the damage (nothing printed).
    let r = walogs(&["dump", "--from", "3", "--to", "5", p(d.path())]);
    assert_eq!((r.code, r.stdout.lines().count()), (3, 3), "{}", r.stdout);
    let past = (dmg.lsn + 1).to_string();
    let r = walogs(&["dump", "--from", &past, p(d.path())]);
    assert_eq!((r.code, r.stdout.as_str()), (3, ""));
}

#[test]
fn mid_log_damage_in_the_last_segment_prints_up_to_it() {
    let d = tempfile::tempdir().unwrap();
    let (_, _, seg_first) = damaged_mid(d.path());
    let r = walogs(&["--json", "dump", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let lines = r.json_lines();
    let (error, entries) = lines.split_last().unwrap();
    assert_eq!(entries.len() as u64, seg_first - 1);
    assert_eq!(entries.last().unwrap()["lsn"], seg_first - 1);
    assert_eq!(error["error"]["damage"]["kind"], "mid_log");
    assert_eq!(error["error"]["damage"]["salvageable"], true);
}

/// Damage in a completed segment of a log written in atomic batches (units of member frames)
/// and purged up to an LSN whose bytes are still in the oldest segment: dump prints exactly
/// the entries above the floor and before the damage.
#[test]
fn damage_after_batches_and_a_purge_prints_only_what_counts() {
    let d = tempfile::tempdir().unwrap();
    let mut wal = WalOptions::new()
        .max_segment_size(Some(1024))
        .open(d.path())
        .unwrap();
    let mut all = Vec::new();
    for b in 0..40u64 {
        let batch: Vec<Vec<u8>> = (0..3).map(|k| entry(b * 3 + k + 1)).collect();
        wal.append_batch(&batch).unwrap();
        all.extend(batch);
    }
    wal.purge_up_to(walogs_core::Lsn(5)).unwrap();
    close(wal);
    let segs = segments(d.path());
    assert!(segs.len() >= 4);
    assert!(
        frames_of(&segs[0])[0].1 & !(1 << 62) <= 5,
        "purged bytes remain on disk"
    );
    // Flip a payload byte of the second frame of the third segment (a member frame).
    let (offset, field) = frames_of(&segs[2])[1];
    flip_byte(&segs[2], offset + 30);
    let damaged = field & !(1 << 62);
    let r = walogs(&["--json", "dump", p(d.path())]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let mut lines = r.json_lines();
    let error = lines.pop().unwrap();
    assert_eq!(error["error"]["damage"]["kind"], "completed_segment");
    let lsns: Vec<u64> = lines.iter().map(|l| l["lsn"].as_u64().unwrap()).collect();
    assert_eq!(lsns, (6..damaged).collect::<Vec<_>>());
    for l in &lines {
        let lsn = l["lsn"].as_u64().unwrap() as usize;
        assert_eq!(hex_decode(l["hex"].as_str().unwrap()), all[lsn - 1]);
    }
}
