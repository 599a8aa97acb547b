//! `walogs append`: entries from stdin lines, files and generated payloads; an LSN is
//! printed only for an acknowledged entry, and a SIGKILL loses nothing acknowledged.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::*;
use walogs_core::WalOptions;

#[test]
fn stdin_lines_become_entries() {
    let d = tempfile::tempdir().unwrap();
    let r = walogs_stdin(&["append", p(d.path())], b"a\nb\r\n\nlast");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "1\n2\n3\n4\n");
    let got: Vec<Vec<u8>> = read_all(d.path()).into_iter().map(|(_, e)| e).collect();
    assert_eq!(
        got,
        vec![b"a".to_vec(), b"b".to_vec(), b"".to_vec(), b"last".to_vec()]
    );
    // A second run continues the LSNs.
    let r = walogs_stdin(&["--json", "append", p(d.path())], b"x\n");
    assert_eq!(r.json_lines()[0]["lsn"], 5);
    assert_eq!(r.json_lines()[0]["len"], 1);
}

#[test]
fn files_become_one_entry_each() {
    let d = tempfile::tempdir().unwrap();
    let w = d.path().join("wal");
    let f1 = d.path().join("one.bin");
    let f2 = d.path().join("two.bin");
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&f1, &big).unwrap();
    std::fs::write(&f2, b"\x00\n\xff").unwrap();
    let r = walogs(&["append", p(&w), "--file", p(&f1), "--file", p(&f2)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "1\n2\n");
    let got = read_all(&w);
    assert_eq!(got, vec![(1, big), (2, b"\x00\n\xff".to_vec())]);
}

/// `--batch K`: each batch is one unit (format extension 2: one member frame per entry, each
/// with its own CRC, bit 62 of the LSN field set, `[index][count]` before the payload),
/// written by one `pwrite`; a last batch of one entry is a plain frame. Every LSN is printed.
#[test]
fn batches_are_units_of_member_frames_and_lsns_are_all_printed() {
    let d = tempfile::tempdir().unwrap();
    let input: String = (1..=7).map(|i| format!("line {i}\n")).collect();
    let r = walogs_stdin(&["append", "--batch", "3", p(d.path())], input.as_bytes());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "1\n2\n3\n4\n5\n6\n7\n");
    let got = read_all(d.path());
    assert_eq!(got.len(), 7);
    assert_eq!(got[6].1, b"line 7");
    // (LSN, index, count) of every frame; plain frames have no unit.
    let seg = std::fs::read(last_segment(d.path())).unwrap();
    let mut frames = Vec::new();
    let mut off = 0;
    while off < seg.len() {
        let len = u32::from_le_bytes(seg[off..off + 4].try_into().unwrap()) as usize;
        let field = u64::from_le_bytes(seg[off + 8..off + 16].try_into().unwrap());
        let unit = (field & (1 << 62) != 0).then(|| {
            let word = |at: usize| u32::from_le_bytes(seg[at..at + 4].try_into().unwrap());
            (word(off + 16), word(off + 20))
        });
        frames.push((field & !(1 << 62), unit));
        off += 16 + len;
    }
    let want: Vec<(u64, Option<(u32, u32)>)> = vec![
        (1, Some((0, 3))),
        (2, Some((1, 3))),
        (3, Some((2, 3))),
        (4, Some((0, 3))),
        (5, Some((1, 3))),
        (6, Some((2, 3))),
        (7, None),
    ];
    assert_eq!(frames, want);
}

#[test]
fn files_it_creates_get_the_mode_asked_for() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    let private = d.path().join("private");
    assert_eq!(walogs_stdin(&["append", p(&private)], b"x\n").code, 0);
    assert_eq!(mode(&private), 0o700);
    assert_eq!(mode(&last_segment(&private)), 0o600);
    let shared = d.path().join("shared");
    let r = walogs_stdin(&["append", "--mode", "0640", p(&shared)], b"x\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(mode(&shared), 0o750);
    for f in std::fs::read_dir(&shared).unwrap() {
        let f = f.unwrap().path();
        assert_eq!(mode(&f), 0o640, "{}", f.display());
    }
    let v = walogs(&["--json", "info", p(&shared)]).json();
    assert_eq!(v["permissions"]["files"][0]["mode"], "0640");
    // A mode without owner read and write is refused by the core; nothing is created.
    let refused = d.path().join("refused");
    let r = walogs_stdin(&["--json", "append", "--mode", "0440", p(&refused)], b"x\n");
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(r.json()["error"]["kind"], "invalid_argument");
    assert!(!refused.exists());
    let r = walogs(&["append", "--mode", "rw-r-----", p(&refused)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

#[test]
fn generated_payloads_verify() {
    let d = tempfile::tempdir().unwrap();
    let r = walogs(&[
        "append",
        p(d.path()),
        "--generate",
        "300",
        "--size",
        "0-2000",
        "--max-segment-size",
        "65536",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lsns: Vec<u64> = r.stdout.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(lsns, (1..=300).collect::<Vec<_>>());
    assert!(segments(d.path()).len() > 1);
    assert_eq!(walogs(&["verify", "--generated", p(d.path())]).code, 0);
}

#[test]
fn locked_directory_and_oversized_entries_append_nothing() {
    let d = tempfile::tempdir().unwrap();
    let wal = WalOptions::new().open(d.path()).unwrap();
    let r = walogs_stdin(&["append", p(d.path())], b"x\n");
    assert_eq!((r.code, r.stdout.as_str()), (4, ""));
    close(wal);
    assert!(read_all(d.path()).is_empty());

    let big = d.path().join("big");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(walogs_core::MAX_ENTRY_SIZE as u64 + 1).unwrap();
    let r = walogs(&["--json", "append", p(d.path()), "--file", p(&big)]);
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["kind"], "entry_too_large");
    assert!(read_all(d.path()).is_empty());
}

/// Kill `append --generate` with SIGKILL after it acknowledged some entries: every
/// acknowledged LSN is in the log with its exact payload, and at most one more.
#[test]
fn sigkill_loses_nothing_acknowledged() {
    let d = tempfile::tempdir().unwrap();
    let mut acked = 0u64;
    for round in 0..3 {
        let mut child = spawn(
            bin()
                .args(["append", p(d.path()), "--generate", "0", "--size", "1-3000"])
                .args(["--max-segment-size", "200000"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let target = acked + 150 + 50 * round;
        while acked < target {
            let l = lines.next().expect("child ended early").unwrap();
            let lsn: u64 = l.parse().unwrap();
            assert_eq!(lsn, acked + 1, "acknowledged LSNs are dense");
            acked = lsn;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for l in lines {
            acked = l.unwrap().parse().unwrap();
        }
        let v = walogs(&["--json", "verify", "--generated", p(d.path())]);
        // A kill can land inside the write of the next (unacknowledged) entry: the kernel
        // stops a `pwrite` between pages on SIGKILL, so a torn tail (2) is allowed here;
        // damage (3) never is.
        assert!(v.code == 0 || v.code == 2, "round {round}: {}", v.stdout);
        let recovered = v.json()["next_lsn"].as_u64().unwrap() - 1;
        assert!(
            acked <= recovered && recovered <= acked + 1,
            "round {round}: acknowledged {acked}, recovered {recovered}"
        );
        acked = recovered;
    }
}
